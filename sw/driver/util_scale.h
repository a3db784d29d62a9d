// TX utilization as the meters compute it, on every card: one multiply, no divider.
//
//   bp = min((wire_bytes * scale) >> shift, 0xFFFF)
//
// where scale / 2^shift is 80000 / (speed_mbps * window_us) rounded up (8 bits a byte, 10,000
// basis points), scale normalized to [2^31, 2^32). The driver computes (scale, shift) from a
// port's speed and the window and writes them to OUT_UTIL_SCALE / OUT_UTIL_SHIFT; the RTL
// meter (hw/rtl/tx_meter.sv) and the soft card's meter apply them. Rounding scale up keeps
// exact quotients exact (a full window reads 10000, not 9999); any result is within 1 bp of
// the exact floor(bits * 10000 / (speed * window)).
#pragma once
#include <algorithm>
#include <cstdint>

namespace broker::driver {

struct UtilScale {
  uint32_t scale = 0;
  uint32_t shift = 0;  // 15..67 for speeds and windows of 32 bits
};

inline UtilScale util_scale(uint64_t speed_mbps, uint64_t window_us) {
  const unsigned __int128 capacity = (unsigned __int128)std::max<uint64_t>(speed_mbps, 1) *
                                     std::max<uint64_t>(window_us, 1);
  // The largest shift that keeps scale below 2^32 (at 15 it always is: 80000 << 15 < 2^32).
  UtilScale s;
  for (uint32_t shift = 80;; --shift) {
    const unsigned __int128 q = (((unsigned __int128)80000 << shift) + capacity - 1) / capacity;
    if (q < ((unsigned __int128)1 << 32) || shift == 15) {
      s.scale = uint32_t(q);
      s.shift = shift;
      return s;
    }
  }
}

inline uint16_t util_bp(uint64_t wire_bytes, UtilScale s) {
  const unsigned __int128 v = ((unsigned __int128)wire_bytes * s.scale) >> s.shift;
  return v > 0xFFFF ? 0xFFFF : uint16_t(v);
}

}  // namespace broker::driver
