#!/usr/bin/env bash
# make bench: runs every benchmark and distribution driver of bench/ against an optimized
# build, then writes docs/bench/results.md and docs/bench/*.png. About 5-10 minutes on 2 cores.
#   bench/run_bench.sh [BUILD_DIR]     (default build-bench; targets must be built)
# Environment: BENCH_CAPTURES=DIR (real captures; default ../shared/testdata/pcap),
#              BENCH_QUICK=1 (shorter runs, for trying the script), BENCH_PROFILE=0 (no callgrind).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build-bench}" && pwd)
B=$BUILD/bench
RAW=$BUILD/bench-results
OUT=$ROOT/docs/bench
CAPTURES=${BENCH_CAPTURES:-$ROOT/../shared/testdata/pcap}
QUICK=${BENCH_QUICK:-0}
PROFILE=${BENCH_PROFILE:-1}
mkdir -p "$RAW" "$OUT"
rm -f "$RAW"/*.json "$RAW"/*.tsv "$RAW"/*.txt
step() { echo "== bench: $* ($(date +%T))"; }

if [ "$QUICK" = 1 ]; then MIN_TIME=0.05; REPS=1; SESSIONS=4000; RREPS=2; CALLS=1000
else MIN_TIME=0.4; REPS=3; SESSIONS=20000; RREPS=5; CALLS=5000; fi
GB=(--benchmark_min_time="$MIN_TIME" --benchmark_repetitions="$REPS"
    --benchmark_report_aggregates_only=true --benchmark_out_format=json)

step "machine"
{
  printf 'key\tvalue\n'
  printf 'cpu_model\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'memory_gib\t%s\n' "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
  printf 'compiler\t%s\n' "$(c++ --version | head -1)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
  printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf 'loadavg_at_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'git\t%s\n' "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
} > "$RAW/machine.tsv"

step "core (Google Benchmark)"
"$B/bench_core" "${GB[@]}" --benchmark_out="$RAW/core.json"

step "CRC32 vs zlib vs DPDK"
"$B/bench_crc" "${GB[@]}" --benchmark_out="$RAW/crc.json"

step "broker-replay vs libpcap read-only"
CAP=$RAW/capture
rm -rf "$CAP"
# Egress captures go to tmpfs when there is one: the figure is the broker's, not the disk's.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then RWORK=/dev/shm/broker-bench-replay-$$; else RWORK=$RAW/replay-work; fi
"$BUILD/sw/tools/broker-gen-traffic" --out-dir "$CAP" --points 1 --sessions "$SESSIONS" \
  --duration-ms 10000 --seed 3 --quiet
"$B/bench_replay" --replay "$BUILD/sw/replay/broker-replay" --config "$ROOT/examples/seed.conf" \
  --pcap "$CAP/tap-1.pcap" --work "$RWORK" --reps "$RREPS" --out "$RAW/replay.tsv"
printf 'capture_mib\t%s\n' "$(du -m "$CAP/tap-1.pcap" | cut -f1)" >> "$RAW/replay.tsv"
printf 'egress_dir\t%s\n' "$([ "${RWORK#/dev/shm}" != "$RWORK" ] && echo tmpfs || echo disk)" >> "$RAW/replay.tsv"
rm -rf "$CAP" "$RWORK"

step "control plane over loopback"
"$B/bench_grpc" --brokerd "$BUILD/sw/daemon/brokerd" --work "$RAW/grpc-work" --calls "$CALLS" \
  --out "$RAW/grpc.tsv"
rm -rf "$RAW/grpc-work"

if [ -x "$B/bench_verilator" ]; then
  step "Verilator model cycles per packet"
  "$B/bench_verilator" --frames $([ "$QUICK" = 1 ] && echo 500 || echo 4000) --out "$RAW/verilator.tsv"
else
  echo "bench: no bench_verilator (no Verilator model in this build): skipped" | tee "$RAW/verilator.skipped"
fi

step "distribution quality"
DIST_ARGS=(--out "$RAW/dist")
[ -d "$CAPTURES" ] && DIST_ARGS+=(--captures "$CAPTURES")
[ "$QUICK" = 1 ] && DIST_ARGS+=(--quick)
"$B/bench_dist" "${DIST_ARGS[@]}"

if [ "$PROFILE" = 1 ] && command -v valgrind >/dev/null; then
  step "callgrind profile of the core (64-byte frames, static)"
  PFRAMES=$([ "$QUICK" = 1 ] && echo 100000 || echo 400000)
  valgrind --tool=callgrind --callgrind-out-file="$RAW/callgrind.out" \
    "$B/bench_core" --profile-frames=$PFRAMES >/dev/null 2>"$RAW/callgrind.log" || true
  echo "$PFRAMES" > "$RAW/profile_frames.txt"
  callgrind_annotate --inclusive=no "$RAW/callgrind.out" 2>/dev/null | head -60 > "$RAW/profile.txt" || true
fi

step "plots"
if command -v gnuplot >/dev/null; then
  for gp in "$ROOT"/bench/plots/*.gp; do
    gnuplot -e "raw='$RAW'; out='$OUT'" "$gp"
  done
else
  echo "bench: gnuplot not installed (./scripts/install-deps.sh --bench): no plots"
fi

step "results"
python3 "$ROOT/bench/report.py" "$RAW" "$OUT/results.md"
mkdir -p "$OUT/data" && cp "$RAW"/dist/*.tsv "$RAW"/*.tsv "$OUT/data/" 2>/dev/null || true
echo "bench: wrote $OUT/results.md"
