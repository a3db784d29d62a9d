// The one switch between AMD's HLS headers and the native shim: the first directory on the
// include path that has ap_int.h, hls_stream.h and ap_axi_sdata.h provides them. Vitis
// provides its own; a native build puts BROKER_HLS_INCLUDE (AMD's headers) or hls_shim/ on
// the path (hw/hls/CMakeLists.txt). Kernel code includes only this.
#pragma once

// Wide enough for the 2048-bit header window and its arithmetic.
#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif

#include <ap_int.h>
#include <hls_stream.h>
#include <ap_axi_sdata.h>

// BROKER_HLS_SHIM is defined by the shim's ap_int.h and hls_stream.h. For messages and tests
// only: the core compiles the same against either.
#if defined(BROKER_HLS_SHIM)
#define BROKER_HLS_HEADERS "hls_shim"
#else
#define BROKER_HLS_HEADERS "AMD"
#endif
