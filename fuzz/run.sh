#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets in a clang build of the tree, generates the seed
# corpora, runs each target for FUZZ_SECONDS, and prints executions and crashes per target.
# Exits non-zero if any target crashed (its input is kept under BUILD/fuzz-artifacts/).
# usage: fuzz/run.sh [BUILD_DIR [SECONDS]]     (env: FUZZ_TARGETS, FUZZ_JOBS, FUZZ_CMAKE_FLAGS)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build-fuzz}
seconds=${2:-60}
targets=${FUZZ_TARGETS:-fuzz_parser fuzz_config fuzz_api}
jobs=${FUZZ_JOBS:-$(nproc)}
cd "$root"

san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DBROKER_FUZZ=ON \
    -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_DISABLE_FIND_PACKAGE_verilator=ON ${FUZZ_CMAKE_FLAGS:-} || exit 1
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets fuzz_corpus_tool || exit 1

corpus=$build/fuzz-corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$corpus" "$artifacts"
"$here/make_corpus.sh" "$build" "$corpus" || exit 1

status=0
summary=()
for t in $targets; do
  log=$build/fuzz-$t.log
  echo "fuzz: $t for ${seconds}s (log: $log)"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 -rss_limit_mb=3072 \
      -artifact_prefix="$artifacts/$t-" "$corpus/$t" > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ -z "$execs" ]; then  # a crash ends the run before the final stats
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  crashes=0
  if [ $rc -ne 0 ]; then
    crashes=1
    status=1
    echo "fuzz: $t CRASHED (exit $rc); input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -1)"
    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|invariant violated' "$log" || true
  fi
  summary+=("$(printf '%-12s executions %-10s exec/s %-7s crashes %s' "$t" "${execs:-?}" "${rate:-?}" "$crashes")")
done
echo "fuzz summary (${seconds}s each):"
printf '  %s\n' "${summary[@]}"
exit $status
