// Decoding register writes and reads by address: the register map's generated offsets
// (broker_regmap.h), shared by every task that keeps configuration or counters, and by the
// soft card's register file.
#pragma once
#include <stdint.h>

#include "broker_regmap.h"
#include "hls_compat.h"

namespace broker {
namespace core {
namespace rm = broker::regmap;

// The instance of a repeated register (instance 0 at reg0, `stride` bytes apart, `count` of
// them) that addr falls on, or -1. Strides are powers of two, so in fabric this is a compare
// and a slice of the address.
inline int register_instance(uint32_t addr, uint32_t reg0, uint32_t stride, uint32_t count) {
  if (addr < reg0) return -1;
  const uint32_t d = addr - reg0;
  if (stride == 0) return d == 0 ? 0 : -1;
  if (d % stride != 0 || d / stride >= count) return -1;
  return int(d / stride);
}

inline uint32_t reg_field(uint32_t value, uint32_t lsb, uint32_t mask) { return (value & mask) >> lsb; }

inline uint32_t csr_address(const ap_uint<64>& w) { return uint32_t(w.range(63, 32)); }
inline uint32_t csr_data(const ap_uint<64>& w) { return uint32_t(w.range(31, 0)); }

}  // namespace core
}  // namespace broker
