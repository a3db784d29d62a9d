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

// Applies a register write. Returns false when the address is not one the core owns (the
// CSR block keeps those: ID, scratch, egress speed and drain, utilization window).
bool csr_write(uint32_t addr, uint32_t data, CoreState& st);

// Reads a counter register; a LO read latches the HI word for the following HI read.
// Returns false when the address is not a core counter.
bool csr_read_counter(uint32_t addr, CoreState& st, uint32_t& value);

}  // namespace core
}  // namespace broker
