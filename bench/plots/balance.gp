# Balance by hash function: max/mean per-member bytes (1.0 is perfect), 4 members.
set terminal pngcairo size 1000,460 font ",10"
set output out.'/balance_by_hash.png'
set datafile separator "\t"
set datafile missing "n/a"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key outside right top
set ylabel "max / mean member load (bytes)"
set yrange [1:*]
set grid ytics
set xtics rotate by -20 noenhanced
set title "Per-member load balance, 4 members (lower is better; 1.0 = perfect)"
plot raw.'/dist/balance.tsv' using 4:xtic(1) title "crc32 static", \
     '' using 5 title "xor16 static", \
     '' using 6 title "crc32 dynamic", \
     '' using 7 title "ideal (largest-first)"
