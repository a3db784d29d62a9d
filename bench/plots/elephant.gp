# Per-member TX utilization over time, a mix where a few sessions carry most bytes:
# static (indirection table) vs dynamic (threshold steering of new buckets).
set terminal pngcairo size 900,640 font ",10"
set output out.'/util_elephant.png'
set datafile separator "\t"
set key outside right top
set grid ytics
set yrange [0:*]
set multiplot layout 2,1
set title "Elephant mix, static mode"
set ylabel "TX utilization (%)"
plot for [i=2:5] raw.'/dist/elephant_static.tsv' using 1:i with steps lw 1.5 title columnhead(i)
set title "Elephant mix, dynamic mode (threshold 50%, idle 1 ms)"
set xlabel "time (ms of capture time)"
plot for [i=2:5] raw.'/dist/elephant_dynamic.tsv' using 1:i with steps lw 1.5 title columnhead(i)
unset multiplot
