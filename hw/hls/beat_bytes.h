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

// Bytes r..63 of lo followed by bytes 0..r-1 of hi: the output beat that starts r bytes into lo
// (a 1024-to-512-bit shifter by a byte amount, as decap and encap use it). r == 0 is lo itself
// (in fabric the shifter's zero setting; natively no 1024-bit shift).
template <int RW>
inline ap_uint<512> beat_shift(const ap_uint<512>& lo, const ap_uint<512>& hi, const ap_uint<RW>& r) {
  if (r == 0) return lo;
  ap_uint<1024> both;
  both.range(511, 0) = lo;
  both.range(1023, 512) = hi;
  ap_uint<10> bits = r;
  bits <<= 3;
  return ap_uint<512>((both >> bits).range(511, 0));
}

}  // namespace core
}  // namespace broker
