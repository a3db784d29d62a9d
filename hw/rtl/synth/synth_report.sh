#!/usr/bin/env bash
# Resource report of the RTL shell with yosys (not part of `make test`; yosys is optional).
# Usage: synth_report.sh REGMAP_PKG_SV CORE_BB_SV OUT_DIR      (YOSYS=/path/to/yosys to override)
#   BROKER_SYNTH_WIRED="RX TX": build only that many wired ports, as a card with RX ingress and
#   TX egress cages does (broker_kernel.sv: "2 2"); default: every port of the register map.
#   CORE_BB_SV: the HLS core's black box, generated from hw/graph/core_graph.toml (the encap
#   kernel's, hw/rtl/broker_encap_bb.sv, is read from here)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$(dirname "$here")"
usage="usage: synth_report.sh REGMAP_PKG_SV CORE_BB_SV OUT_DIR"
pkg="${1:?$usage}"
core_bb="${2:?$usage}"
out="${3:?$usage}"
yosys="${YOSYS:-}"
if [ -z "$yosys" ] || [ "$yosys" = "YOSYS_EXECUTABLE-NOTFOUND" ]; then
  yosys="$(command -v yosys || true)"
fi
if [ -z "$yosys" ]; then
  echo "synth-report: yosys not found. Install it (Debian/Ubuntu: sudo apt-get install yosys)" >&2
  echo "synth-report: and re-run cmake so it is found, then build the synth-report target." >&2
  exit 1
fi
if [ ! -f "$pkg" ]; then
  echo "synth-report: $pkg missing: build the broker_regmap_gen target first" >&2
  exit 1
fi
if [ ! -f "$core_bb" ]; then
  echo "synth-report: $core_bb missing: build the broker_graph_gen target first" >&2
  exit 1
fi
mkdir -p "$out"
chparam=""
if [ -n "${BROKER_SYNTH_WIRED:-}" ]; then
  read -r rx_wired tx_wired <<<"$BROKER_SYNTH_WIRED"
  chparam="-chparam RX_WIRED $rx_wired -chparam TX_WIRED $tx_wired"
fi
sed -e "s|@REGMAP_SV@|$pkg|g" -e "s|@RTL_DIR@|$rtl|g" -e "s|@CORE_BB@|$core_bb|g" \
  -e "s|@CHPARAM@|$chparam|g" \
  "$here/yosys_synth.ys" > "$out/synth.ys"
echo "synth-report: yosys synth_xilinx -family xcup, log in $out/yosys.log (takes a few minutes)"
# (yosys 0.23 warns about resizing the RAMB18E2 address ports it instantiated itself: noise.)
(cd "$out" && "$yosys" -q -l yosys.log -s synth.ys 2>&1) | { grep -v "Resizing cell port" || true; }

# Summary: the primitives that count on an UltraScale+ part.
awk '
  /Number of cells/ { cells = $NF }
  $1 ~ /^LUT[1-6]$/ { lut += $2 }
  $1 ~ /^(RAM|SRL)/ && $1 !~ /^RAMB/ { lutram[$1] += $2 }
  $1 ~ /^FD/        { ff += $2 }
  $1 ~ /^RAMB18/    { b18 += $2 }
  $1 ~ /^RAMB36/    { b36 += $2 }
  $1 ~ /^URAM/      { uram += $2 }
  $1 ~ /^DSP/       { dsp += $2 }
  $1 ~ /^CARRY/     { carry += $2 }
  $1 ~ /^MUXF/      { muxf += $2 }
  END {
    printf "broker_top (HLS core and encaps black-boxed), yosys synth_xilinx -family xcup:\n"
    printf "  LUT (logic)       %8d\n", lut
    for (k in lutram) printf "  %-17s %8d\n", k, lutram[k]
    printf "  FF                %8d\n", ff
    printf "  CARRY             %8d\n", carry
    printf "  MUXF7/8/9         %8d\n", muxf
    printf "  RAMB36 / RAMB18   %8d / %d  (BRAM36 equivalent %.1f)\n", b36, b18, b36 + b18 / 2
    printf "  URAM288           %8d\n", uram
    printf "  DSP48E2           %8d\n", dsp
    printf "  cells             %8d\n", cells
  }' "$out/stat.txt" | tee "$out/summary.txt"
echo "synth-report: per-module statistics in $out/stat_hier.txt"
