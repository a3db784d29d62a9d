// AMD's HLS types when Vitis is installed; otherwise the project's small native shim with the
// same names and the subset of behaviour the core uses. Kernel code includes only this.
#pragma once

#if __has_include(<hls_stream.h>) && __has_include(<ap_axi_sdata.h>) && __has_include(<ap_int.h>)
#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>
#define BROKER_WITH_AMD_HLS 1
#else
#include "hls_shim/hls_shim.h"
#define BROKER_WITH_AMD_HLS 0
#endif
