#!/usr/bin/env bash
# `make run`: the seed scenario on the soft card. Eight measurement points (generated
# captures, many sessions in both directions, directions split across TAP pairs) feed one
# group of four analyzers; broker-replay writes one capture per analyzer, the decision log,
# and prints the per-analyzer summary.
set -euo pipefail
build=${1:-build}
work="$build/example"
rm -rf "$work"
mkdir -p "$work"

echo "== generating the example traffic: 8 measurement points, 2000 sessions"
"$build/sw/tools/broker-gen-traffic" --out-dir "$work/taps" --points 8 --sessions 2000 --seed 1

inputs=()
for i in 1 2 3 4 5 6 7 8; do inputs+=(--in "$((i - 1))=$work/taps/tap-$i.pcap"); done

echo
echo "== broker-replay --config examples/seed.conf (crc32 symmetric 5-tuple, static, 4 analyzers)"
"$build/sw/replay/broker-replay" --config examples/seed.conf "${inputs[@]}" \
  --out-dir "$work/analyzers" --log "$work/decisions.tsv"

echo
echo "Per-analyzer captures: $work/analyzers/   decision log: $work/decisions.tsv"
echo "Why did a packet go where it went? e.g.: head -3 $work/decisions.tsv | column -t"
