# Helpers shared by hls/synth_core.tcl (vitis_hls) and rtl/package_kernel.tcl (vivado).
# Plain Tcl only: it must run in both tools.

# The paths listed under [section] in sources.txt (relative to the repository root).
proc broker_sources {sources_file section} {
  set fh [open $sources_file r]
  set text [read $fh]
  close $fh
  set current ""
  set result {}
  foreach line [split $text "\n"] {
    set line [string trim [regsub {#.*$} $line ""]]
    if {$line eq ""} {
      continue
    }
    if {[regexp {^\[([a-z_]+)\]$} $line -> name]} {
      set current $name
      continue
    }
    if {$current eq $section} {
      lappend result $line
    }
  }
  return $result
}

# Absolute paths of the [section] files; stops with the list of missing ones.
proc broker_source_paths {repo sources_file section} {
  set paths {}
  set missing {}
  foreach rel [broker_sources $sources_file $section] {
    set path [file normalize [file join $repo $rel]]
    if {![file exists $path]} {
      lappend missing $rel
    }
    lappend paths $path
  }
  if {[llength $missing] > 0} {
    error "sources listed under \[$section\] in $sources_file are missing: [join $missing {, }]"
  }
  return $paths
}

# A setting from the environment (the Makefile passes them so); stops if a required one is absent.
proc broker_env {name {default "\x00required"}} {
  if {[info exists ::env($name)] && $::env($name) ne ""} {
    return $::env($name)
  }
  if {$default eq "\x00required"} {
    error "environment variable $name is not set: run this script through hw/vitis/Makefile"
  }
  return $default
}
