#!/usr/bin/env bash
# Installs the Debian 12 packages the build and tests need; idempotent, quick when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libpcap-dev zlib1g-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  verilator libxrt-dev
  python3-grpcio python3-protobuf python3-scapy
  iproute2 tcl python3 openssl
  tshark
)

# `install-deps.sh --fuzz` (make fuzz): clang and its libFuzzer/sanitizer runtimes too
# (LLVM 14 is Debian 12's default).
fuzz_packages=(clang libclang-rt-14-dev)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=("${fuzz_packages[@]}")
fi

# `--bench` (make bench): the CRC32 peers (DPDK's rte_hash_crc / rte_softrss) and the plotter.
# Kept apart so `make test` needs nothing more than the list above.
bench_packages=(libdpdk-dev gnuplot-nox)
if [ "${1:-}" = "--bench" ]; then
  packages+=("${bench_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
