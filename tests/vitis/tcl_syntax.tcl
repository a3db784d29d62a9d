# Structural check of Tcl scripts without running them (no Vitis/Vivado here).
#
#   tclsh tcl_syntax.tcl FILE...
#
# Splits each file into commands the way the Tcl parser does (info complete), then each command
# into words, and descends into braced words that are script bodies. Reports, with file and line:
# a command never completed (unbalanced braces, brackets or quotes), characters right after a
# closing brace or quote ("extra characters after close-brace", a run-time error in Tcl).
# Prints "CMD <file> <line> <name>" for every command found, so the caller can check that the
# expected tool commands are there. Exit status 1 if anything is wrong.

set ::errors 0

proc report {file line msg} {
  puts "ERROR $file:$line: $msg"
  incr ::errors
}

proc is_space {c} {
  return [expr {$c eq " " || $c eq "\t" || $c eq "\n" || $c eq "\r"}]
}

proc line_of {base text offset} {
  return [expr {$base + [regexp -all "\n" [string range $text 0 [expr {$offset - 1}]]]}]
}

# Commands whose braced arguments are scripts (or expressions) even on one line.
set ::control {proc if elseif else foreach while for catch switch namespace eval uplevel time try}

# One complete chunk of source: one or more commands separated by ';', maybe a comment.
proc check_chunk {file base chunk} {
  set n [string length $chunk]
  set i 0
  set words {}
  set at_start 1
  while {$i <= $n} {
    set c [string index $chunk $i]
    if {$i == $n || $c eq ";" || ($c eq "\n" && [llength $words] > 0)} {
      if {[llength $words] > 0} {
        check_command $file $base $chunk $words
      }
      set words {}
      set at_start 1
      incr i
      continue
    }
    if {[is_space $c]} {
      incr i
      continue
    }
    if {$c eq "\\" && [string index $chunk [expr {$i + 1}]] eq "\n"} {
      incr i 2
      continue
    }
    if {$at_start && $c eq "#"} {
      # A comment runs to the end of the line (a backslash-newline continues it).
      while {$i < $n} {
        set d [string index $chunk $i]
        if {$d eq "\\"} {
          incr i 2
          continue
        }
        if {$d eq "\n"} {
          break
        }
        incr i
      }
      continue
    }
    set at_start 0
    if {[string range $chunk $i [expr {$i + 2}]] eq "\{*\}"} {
      incr i 3
      set c [string index $chunk $i]
    }
    set start $i
    if {$c eq "\{" || $c eq "\""} {
      set close [expr {$c eq "\{" ? "\}" : "\""}]
      set j $i
      set found 0
      while {1} {
        set j [string first $close $chunk [expr {$j + 1}]]
        if {$j < 0} {
          break
        }
        if {[info complete [string range $chunk $i $j]]} {
          set found 1
          break
        }
      }
      if {!$found} {
        report $file [line_of $base $chunk $start] "word opened with $c is never closed"
        return
      }
      set after [string index $chunk [expr {$j + 1}]]
      if {$after ne "" && ![is_space $after] && $after ne ";"} {
        set what [expr {$c eq "\{" ? "close-brace" : "close-quote"}]
        report $file [line_of $base $chunk $j] "extra characters after $what"
      }
      set kind [expr {$c eq "\{" ? "brace" : "quote"}]
      lappend words [list $kind [string range $chunk [expr {$i + 1}] [expr {$j - 1}]] [expr {$i + 1}]]
      set i [expr {$j + 1}]
    } else {
      set j $i
      while {$j < $n} {
        set d [string index $chunk $j]
        if {([is_space $d] || $d eq ";") && [info complete [string range $chunk $i [expr {$j - 1}]]]} {
          break
        }
        incr j
      }
      lappend words [list bare [string range $chunk $i [expr {$j - 1}]] $i]
      set i $j
    }
  }
}

proc check_command {file base chunk words} {
  set name [lindex $words 0 1]
  set line [line_of $base $chunk [lindex $words 0 2]]
  puts "CMD $file $line $name"
  set control [expr {[lsearch -exact $::control $name] >= 0}]
  set position 0
  set previous $name
  foreach word [lrange $words 1 end] {
    incr position
    lassign $word kind text offset
    set is_condition [expr {(($name eq "if" || $name eq "while") && $position == 1) ||
                            ($name eq "for" && $position == 2) || $previous eq "elseif"}]
    set previous $text
    if {$kind ne "brace" || $is_condition} {
      # Conditions are expressions, not scripts.
      continue
    }
    if {$control || [string first "\n" $text] >= 0} {
      check_script $file [line_of $base $chunk $offset] $text
    }
  }
}

# A script: accumulate lines until they make a complete command, then check that chunk.
proc check_script {file base text} {
  set chunk ""
  set start $base
  set line $base
  foreach l [split $text "\n"] {
    if {$chunk eq ""} {
      set start $line
    }
    append chunk $l "\n"
    incr line
    if {[info complete $chunk]} {
      check_chunk $file $start $chunk
      set chunk ""
    }
  }
  if {[string trim $chunk] ne ""} {
    report $file $start "command starting here is never completed (unbalanced braces, brackets or quotes)"
  }
}

if {$argc == 0} {
  puts "usage: tclsh tcl_syntax.tcl FILE..."
  exit 2
}
foreach file $argv {
  if {[catch {open $file r} fh]} {
    report $file 0 "cannot read: $fh"
    continue
  }
  set text [read $fh]
  close $fh
  check_script $file 1 $text
}
exit [expr {$::errors > 0 ? 1 : 0}]
