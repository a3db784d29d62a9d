# Vivado (batch): package the RTL top as the Vitis RTL kernel broker_kernel.xo. Run by `make xo`:
#
#   vivado -mode batch -notrace -source hw/vitis/rtl/package_kernel.tcl -tclargs \
#     <repo> <vitis_dir> <part> <hls_project_dir> <hls_encap_project_dir> <regmap_pkg.sv> \
#     <cfg_pkg.sv> <kernel.xml> <work_dir> <out.xo>
#
# Sources: the [rtl] list of sources.txt (hw/rtl shell + hw/vitis/rtl/broker_kernel.sv), the
# generated SV packages, and the Verilog vitis_hls exported for the two HLS tops (make hls):
# broker_core_top and broker_encap (instantiated by broker_top once per wired tool port).
# Vitis HLS names the modules it generates after their top (<top>_...), so the two sets are
# not expected to collide (not checked here: no Vivado on CI).
# The kernel is user-managed (no ap_start/ap_done: free running, registers through xrt::ip).

if {$argc != 10} {
  puts "usage: vivado -mode batch -source package_kernel.tcl -tclargs repo vitis_dir part hls_project_dir hls_encap_project_dir regmap_pkg cfg_pkg kernel_xml work_dir xo_path"
  exit 1
}
lassign $argv repo vitis_dir part hls_prj hls_encap_prj regmap_pkg cfg_pkg kernel_xml work_dir xo_path
set repo      [file normalize $repo]
set vitis_dir [file normalize $vitis_dir]
set work_dir  [file normalize $work_dir]
set xo_path   [file normalize $xo_path]

source [file join $vitis_dir flow_common.tcl]

set kernel_name broker_kernel
set ip_dir      [file join $work_dir ip]

# ---- the HLS tops' Verilog ------------------------------------------------------------------
# Exported IP first (what export_design packaged), the raw csynth output as a fallback.
proc hls_verilog_dir {prj top} {
  foreach candidate [list [file join $prj solution impl ip hdl verilog] \
                          [file join $prj solution syn verilog]] {
    if {[llength [glob -nocomplain -directory $candidate *.v]] > 0} {
      return $candidate
    }
  }
  error "no Verilog for $top under $prj: run `make hls` first"
}
set hls_files {}
set hls_rtl_dirs {}
foreach {prj top} [list $hls_prj broker_core_top $hls_encap_prj broker_encap] {
  set dir [hls_verilog_dir $prj $top]
  set files [glob -nocomplain -directory $dir *.v *.sv *.vh *.dat]
  puts "INFO: $top RTL from $dir ([llength $files] files)"
  set hls_files [concat $hls_files $files]
  lappend hls_rtl_dirs $dir
}

# ---- project --------------------------------------------------------------------------------
create_project -force kernel_pack [file join $work_dir kernel_pack] -part $part
set_property target_language Verilog [current_project]

set rtl_files [concat [list $regmap_pkg $cfg_pkg] \
                      [broker_source_paths $repo [file join $vitis_dir sources.txt] rtl]]
foreach f $rtl_files {
  if {![file exists $f]} {
    error "RTL source $f not found"
  }
}
add_files -norecurse -fileset sources_1 $rtl_files
add_files -norecurse -fileset sources_1 $hls_files
set_property file_type SystemVerilog [get_files -of_objects [get_filesets sources_1] *.sv]
# Sub-IP that vitis_hls may instantiate (floating point and the like) comes as *_ip.tcl
# scripts next to its Verilog; the two tops use none today, but honour them if they appear.
foreach hls_rtl_dir $hls_rtl_dirs {
  foreach ip_tcl [glob -nocomplain -directory $hls_rtl_dir *_ip.tcl] {
    puts "INFO: sourcing HLS sub-IP script $ip_tcl"
    source $ip_tcl
  }
}
set_property top $kernel_name [current_fileset]
update_compile_order -fileset sources_1

# ---- IP packaging ---------------------------------------------------------------------------
ipx::package_project -root_dir $ip_dir -vendor xilinx.com -library RTLKernel -taxonomy /KernelIP \
  -import_files -set_current false
ipx::unload_core [file join $ip_dir component.xml]
ipx::edit_ip_in_project -upgrade true -name tmp_edit_project -directory $ip_dir \
  [file join $ip_dir component.xml]

set core [ipx::current_core]
set_property name $kernel_name $core
set_property version 1.0 $core
set_property core_revision 1 $core
# A Vitis kernel is instantiated with its HDL defaults: no user parameters.
foreach up [ipx::get_user_parameters -of_objects $core] {
  ipx::remove_user_parameter [get_property NAME $up] $core
}
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
# Packager DRC settings of newer Vivado releases; kernel.xml carries the control protocol anyway.
foreach {prop value} {ipi_drc {ignore_freq_hz true} vitis_drc {ctrl_protocol user_managed}} {
  if {[catch {set_property $prop $value $core} msg]} {
    puts "INFO: IP property $prop not set (not known to this Vivado): $msg"
  }
}

# Interfaces: inferred from the port names (s_axi_control_*, rx0_t*, ...) and the
# X_INTERFACE_INFO attributes on ap_clk/ap_rst_n; stop if any is missing.
foreach busif {ap_clk ap_rst_n s_axi_control rx0 rx1 tx0 tx1} {
  if {[llength [ipx::get_bus_interfaces $busif -of_objects $core]] != 1} {
    error "bus interface $busif was not inferred from broker_kernel's ports"
  }
}
foreach busif {s_axi_control rx0 rx1 tx0 tx1} {
  ipx::associate_bus_interfaces -busif $busif -clock ap_clk $core
}
ipx::associate_bus_interfaces -clock ap_clk -reset ap_rst_n $core
set rst_polarity [ipx::get_bus_parameters POLARITY -of_objects [ipx::get_bus_interfaces ap_rst_n -of_objects $core]]
if {[llength $rst_polarity] == 0} {
  set rst_polarity [ipx::add_bus_parameter POLARITY [ipx::get_bus_interfaces ap_rst_n -of_objects $core]]
}
set_property value ACTIVE_LOW $rst_polarity

# s_axi_control: one 64 KiB register block (the register map's aperture, hw/regmap).
foreach mm [ipx::get_memory_maps -of_objects $core] {
  ipx::remove_memory_map [get_property NAME $mm] $core
}
set mm [ipx::add_memory_map s_axi_control $core]
set_property slave_memory_map_ref s_axi_control [ipx::get_bus_interfaces s_axi_control -of_objects $core]
set block [ipx::add_address_block reg0 $mm]
set_property range 65536 $block
set_property width 32 $block
set_property usage register $block

set_property xpm_libraries {XPM_CDC XPM_MEMORY XPM_FIFO} $core
set_property supported_families { } $core
set_property auto_family_support_level level_2 $core
ipx::create_xgui_files $core
ipx::update_checksums $core
if {[catch {ipx::check_integrity -kernel $core} msg]} {
  puts "WARNING: ipx::check_integrity -kernel: $msg (package_xo below validates the kernel again)"
}
ipx::save_core $core
close_project -delete

# ---- the .xo --------------------------------------------------------------------------------
# kernel.xml (generated from hw/graph/core_graph.toml by `make graph`) declares the control
# protocol (user_managed), the register aperture and the four streams; its vlnv is
# xilinx.com:RTLKernel:broker_kernel:1.0 as packaged above.
file mkdir [file dirname $xo_path]
if {[file exists $xo_path]} {
  file delete -force $xo_path
}
package_xo -force -xo_path $xo_path -kernel_name $kernel_name -ip_directory $ip_dir \
  -kernel_xml $kernel_xml
puts "INFO: wrote $xo_path"
exit 0
