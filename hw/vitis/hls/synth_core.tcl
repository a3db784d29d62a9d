# Vitis HLS: synthesize one of the two HLS tops of the kernel and export its RTL as a Vivado
# IP, which rtl/package_kernel.tcl puts into the RTL kernel. Run by `make hls`, once per top:
#   broker_core_top  the data path core (the tasks of hw/hls, composed by the top generated from
#                    hw/graph/core_graph.toml): sources.txt [hls] without [hls_encap], and
#                    core_top.cpp; project ./broker_core_prj
#   broker_encap     the tunnel origination kernel, one instance per wired tool port in
#                    broker_top (hw/hls/encap_top.cpp): sources.txt [hls_encap]; project
#                    ./broker_encap_prj
#
#   cd <build>/<platform>/hls && BROKER_REPO=... vitis_hls -f hw/vitis/hls/synth_core.tcl
#   cd <build>/<platform>/hls_encap && BROKER_HLS_TOP=broker_encap BROKER_REPO=... vitis_hls -f ...
#
# Settings come from the environment (vitis_hls -f takes no script arguments):
#   BROKER_REPO        repository root
#   BROKER_VITIS_DIR   hw/vitis (for sources.txt and flow_common.tcl)
#   BROKER_PART        FPGA part of the target card, e.g. xcu55c-fsvh2892-2L-e
#   BROKER_CLK_MHZ     kernel clock in MHz (the clock v++ gives the kernel: --kernel_frequency)
#   BROKER_REGMAP_DIR  directory holding the generated broker_regmap.h (gen_regmap.py)
#   BROKER_CRC_DIR     directory holding the generated crc32_matrix.h (hw/hls/gen_crc32_matrix.py)
#   BROKER_GRAPH_DIR   directory holding the generated top core_top.cpp/core_top.h (hw/graph)
#   BROKER_HLS_TOP     optional: top function name (default broker_core_top; broker_encap: the encap)
# Output: ./<top's project>/solution/impl/ip (IP; its Verilog in impl/ip/hdl/verilog).

set script_dir [file dirname [file normalize [info script]]]
source [file join $script_dir .. flow_common.tcl]

set repo       [file normalize [broker_env BROKER_REPO]]
set vitis_dir  [file normalize [broker_env BROKER_VITIS_DIR]]
set part       [broker_env BROKER_PART]
set clk_mhz    [broker_env BROKER_CLK_MHZ]
set regmap_dir [file normalize [broker_env BROKER_REGMAP_DIR]]
set crc_dir    [file normalize [broker_env BROKER_CRC_DIR]]
set graph_dir  [file normalize [broker_env BROKER_GRAPH_DIR]]
set top        [broker_env BROKER_HLS_TOP broker_core_top]
set sources    [file join $vitis_dir sources.txt]

if {![file exists [file join $regmap_dir broker_regmap.h]]} {
  error "broker_regmap.h not found in $regmap_dir: generate it first (make regmap)"
}
if {![file exists [file join $crc_dir crc32_matrix.h]]} {
  error "crc32_matrix.h not found in $crc_dir: generate it first (make crc32)"
}
set is_encap   [expr {$top eq "broker_encap"}]
if {!$is_encap && ![file exists [file join $graph_dir core_top.cpp]]} {
  error "core_top.cpp not found in $graph_dir: generate it first (make graph)"
}

# hls_compat.h picks AMD's ap_int/hls_stream headers, which vitis_hls provides; the native shim
# in hw/hls/hls_shim is never used here. The generated headers are kept to C++14 for this front end.
set cflags "-std=c++14 -I[file join $repo hw hls] -I$regmap_dir -I$crc_dir -I$graph_dir"

set encap_files [broker_source_paths $repo $sources hls_encap]
if {$is_encap} {
  # The encap kernel: its own files only (encap.cpp, and encap_top.cpp with the top).
  open_project -reset broker_encap_prj
  set_top $top
  foreach path $encap_files {
    add_files -cflags $cflags $path
  }
  set display_name "Packet broker tunnel origination (encap)"
} else {
  open_project -reset broker_core_prj
  set_top $top
  foreach path [broker_source_paths $repo $sources hls] {
    if {[lsearch -exact $encap_files $path] < 0} {
      add_files -cflags $cflags $path
    }
  }
  # The top: one call per task in a DATAFLOW region, the FIFOs with the description's depths.
  add_files -cflags $cflags [file join $graph_dir core_top.cpp]
  set display_name "Packet broker data path core"
}

# The core goes into our own RTL kernel, so it is a plain Vivado IP, not a Vitis kernel (.xo).
open_solution -reset -flow_target vivado solution
set_part $part
create_clock -period [format %.3f [expr {1000.0 / $clk_mhz}]] -name default
# Active-low ap_rst_n (docs/hw-interfaces.md), and the reset clears the static kernel state
# (configuration, counters, flow table), which the C++ relies on ("static state is zero at reset").
config_rtl -reset state -reset_level low
config_export -format ip_catalog -rtl verilog -vendor broker.dev -library hls -version 1.0 \
  -ipname $top -display_name $display_name

csynth_design
export_design -format ip_catalog -rtl verilog

exit
