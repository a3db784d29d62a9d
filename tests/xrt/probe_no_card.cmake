# cmake -DPROBE=<broker-xrt-probe> -DCASE=no_card|missing_xclbin -DWORK=<dir> -P probe_no_card.cmake
# Runs the probe on a host without an Alveo card and checks: exit code 1, nothing on stdout,
# and a message on stderr that names what is missing.
if(EXISTS /dev/xfa OR EXISTS /dev/xfpga OR EXISTS /sys/bus/pci/drivers/xocl
   OR EXISTS /sys/bus/pci/drivers/xclmgmt)
  message("SKIPPED: an Alveo card or its driver is present on this host")
  return()
endif()

file(MAKE_DIRECTORY ${WORK})
if(CASE STREQUAL "no_card")
  file(WRITE ${WORK}/broker.xclbin "dummy")
  set(args --device 0 --xclbin ${WORK}/broker.xclbin)
  set(expect "no Alveo card found: is the card installed and the xocl/xclmgmt driver loaded\\? \\(xbutil examine lists cards\\)")
elseif(CASE STREQUAL "missing_xclbin")
  set(args --device 0000:3b:00.1 --xclbin ${WORK}/missing.xclbin)
  set(expect "xclbin file '.*missing.xclbin' not found")
else()
  message(FATAL_ERROR "unknown CASE ${CASE}")
endif()

# XILINX_XRT must not matter: the probe stops before XRT is touched.
unset(ENV{XILINX_XRT})
execute_process(COMMAND ${PROBE} ${args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
message("exit code: ${rc}\nstdout: [${out}]\nstderr: [${err}]")
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "expected exit code 1, got '${rc}'")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "expected nothing on stdout")
endif()
if(NOT err MATCHES "^broker-xrt-probe: ${expect}")
  message(FATAL_ERROR "stderr does not say: ${expect}")
endif()
