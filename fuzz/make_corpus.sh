#!/usr/bin/env bash
# Seed corpora for the fuzzers, generated (never committed):
#   fuzz_parser: every distinct frame of ../shared/testdata/pcap captures, one file each
#   fuzz_config: examples/*.conf and examples/*.json
#   fuzz_api:    SetConfig/membership/counters records from examples/seed.conf and
#                ExplainPacket records from (some of) the capture frames
# plus the regression inputs in fuzz/regressions/<target>/ (inputs that once crashed).
# Without ../shared (a user's clone) the frame corpora are skipped with a message.
# usage: fuzz/make_corpus.sh BUILD_DIR CORPUS_DIR
set -euo pipefail
build=${1:?usage: make_corpus.sh BUILD_DIR CORPUS_DIR}
corpus=${2:?usage: make_corpus.sh BUILD_DIR CORPUS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${BROKER_SHARED_TESTDATA:-$root/../shared/testdata}
tool=$build/fuzz/fuzz_corpus_tool

mkdir -p "$corpus/fuzz_parser" "$corpus/fuzz_config" "$corpus/fuzz_api"

captures=()
if [ -d "$shared/pcap" ]; then
  while IFS= read -r -d '' f; do captures+=("$f"); done \
    < <(find "$shared/pcap" -maxdepth 1 \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)
fi
if [ ${#captures[@]} -eq 0 ]; then
  echo "make_corpus: no captures at $shared/pcap (they come with the developers' checkout and CI," \
       "not with a clone): fuzz_parser starts from the regression inputs only" >&2
else
  n=$(ASAN_OPTIONS=detect_leaks=0 "$tool" frames "$corpus/fuzz_parser" "${captures[@]}" 2> >(grep -v '^$' >&2))
  echo "make_corpus: fuzz_parser: $n frames from ${#captures[@]} captures"
fi

cp "$root"/examples/*.conf "$root"/examples/*.json "$corpus/fuzz_config/" 2>/dev/null || true
echo "make_corpus: fuzz_config: $(ls "$corpus/fuzz_config" | wc -l) configurations"

# A spread of frames for ExplainPacket: every 7th, up to 64.
frames=()
if [ -d "$corpus/fuzz_parser" ]; then
  i=0
  while IFS= read -r -d '' f; do
    if [ $((i % 7)) -eq 0 ]; then frames+=("$f"); fi
    i=$((i + 1))
  done < <(find "$corpus/fuzz_parser" -maxdepth 1 -type f -print0 | sort -z)
fi
n=$(ASAN_OPTIONS=detect_leaks=0 "$tool" api "$corpus/fuzz_api" "$root/examples/seed.conf" ${frames[@]+"${frames[@]}"})
echo "make_corpus: fuzz_api: $n requests"

for t in fuzz_parser fuzz_config fuzz_api; do
  if [ -d "$here/regressions/$t" ]; then cp "$here/regressions/$t"/* "$corpus/$t/" 2>/dev/null || true; fi
done
