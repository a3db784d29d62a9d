# Per-member TX utilization over time while tool-5 joins (1/3) and tool-2 leaves (2/3).
# gnuplot -e "raw='DIR'; out='DIR'" membership.gp
set terminal pngcairo size 900,420 font ",10"
set output out.'/util_membership.png'
set datafile separator "\t"
set key outside right top
set xlabel "time (ms of capture time)"
set ylabel "TX utilization (% of 1 Gbit/s)"
set yrange [0:*]
set grid ytics
set title "Static group, 20,000 flows: tool-5 joins at 1/3, tool-2 leaves at 2/3"
plot for [i=2:6] raw.'/dist/membership.tsv' using 1:i with steps lw 2 title columnhead(i)
