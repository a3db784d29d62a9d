// How many bytes an AXI4-Stream beat carries: its TKEEP bits (contiguous from byte 0 on this
// bus; counted one by one, a 64-input adder tree), and the TKEEP of a count.
#pragma once
#include "core_types.h"

namespace broker {
namespace core {

inline ap_uint<7> beat_bytes(const ap_uint<64>& keep) {
  ap_uint<7> n = 0;
count:
  for (int i = 0; i < kBeatBytes; ++i) {
#pragma HLS UNROLL
    n += keep[i] ? 1 : 0;
  }
  return n;
}

// TKEEP for the first n bytes (1..64).
inline ap_uint<64> keep_of(const ap_uint<7>& n) {
  if (n >= kBeatBytes) return ~ap_uint<64>(0);
  return ~(~ap_uint<64>(0) << n);
}

}  // namespace core
}  // namespace broker
