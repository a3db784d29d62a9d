// The core's side of the register map: what a write to a configuration register does to
// the core, and what a counter register reads. The fabric kernel receives CSR writes and
// counter reads from the RTL CSR block as streams; the soft card calls the same functions
// from its register file, so both cards decode registers with this one code.
#pragma once
#include "core_config.h"

namespace broker {
namespace core {

// The core's configuration, counters and flow table.
struct CoreState {
  CoreConfig cfg;
  CoreCounters counters;
  FlowTable flows;
  uint32_t counter_hi_latch;  // HI word latched by the last counter LO read
};

// The instance of a repeated register (instance 0 at reg0, `stride` bytes apart, `count` of
// them) that addr falls on, or -1. Shared by the core's decode and the soft card's shell.
inline int register_instance(uint32_t addr, uint32_t reg0, uint32_t stride, uint32_t count) {
  if (addr < reg0) return -1;
  const uint32_t d = addr - reg0;
  if (stride == 0) return d == 0 ? 0 : -1;
  if (d % stride != 0 || d / stride >= count) return -1;
  return int(d / stride);
}

// Applies a register write. Returns false when the address is not one the core owns (the
// CSR block keeps those: ID, scratch, egress speed and drain, utilization window).
bool csr_write(uint32_t addr, uint32_t data, CoreState& st);

// Reads a counter register; a LO read latches the HI word for the following HI read.
// Returns false when the address is not a core counter.
bool csr_read_counter(uint32_t addr, CoreState& st, uint32_t& value);

}  // namespace core
}  // namespace broker
