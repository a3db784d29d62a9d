#include "csr.h"

#include "broker_core.h"
#include "broker_regmap.h"

namespace broker {
namespace core {
namespace rm = broker::regmap;

namespace {

inline uint32_t field(uint32_t value, uint32_t lsb, uint32_t mask) { return (value & mask) >> lsb; }

}  // namespace

bool csr_write(uint32_t addr, uint32_t v, CoreState& st) {
  CoreConfig& cfg = st.cfg;
  int i;
  if (addr == rm::CTRL) {
    cfg.enable = v & rm::CTRL_ENABLE_MASK;
  } else if (addr == rm::COMMAND) {
    // Clearing walks whole tables: in fabric the kernel spends that many cycles on it while
    // its input back-pressures; it is a rare management action.
    if (v & rm::COMMAND_CLEAR_COUNTERS_MASK) clear_counters(st.counters);
    if (v & rm::COMMAND_CLEAR_FLOWS_MASK) clear_flows(st.flows);
  } else if ((i = register_instance(addr, rm::IN_MAP, rm::INGRESS_STRIDE, rm::kInPorts)) >= 0) {
    cfg.in_map[i] = uint8_t((v & rm::IN_MAP_VALID_MASK ? kInMapValid : 0) |
                            field(v, rm::IN_MAP_GROUP_LSB, rm::IN_MAP_GROUP_MASK));
  } else if ((i = register_instance(addr, rm::GRP_CTRL, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    GroupConfig& g = cfg.group[i];
    g.enable = v & rm::GRP_CTRL_ENABLE_MASK;
    g.hash = uint8_t(field(v, rm::GRP_CTRL_HASH_LSB, rm::GRP_CTRL_HASH_MASK));
    g.symmetric = v & rm::GRP_CTRL_SYMMETRIC_MASK;
    g.mode = uint8_t(field(v, rm::GRP_CTRL_MODE_LSB, rm::GRP_CTRL_MODE_MASK));
  } else if ((i = register_instance(addr, rm::GRP_TUPLE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg.group[i].tuple = uint16_t(v);
  } else if ((i = register_instance(addr, rm::GRP_THRESH_BP, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg.group[i].threshold_bp = uint16_t(v > 0xFFFF ? 0xFFFF : v);
  } else if ((i = register_instance(addr, rm::GRP_IDLE_US, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg.group[i].idle_us = v;
  } else if ((i = register_instance(addr, rm::GRP_LIVE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg.group[i].live = uint16_t(v);
  } else if ((i = register_instance(addr, rm::MEMBER, rm::MEMBER_STRIDE, rm::kGroups * rm::kMembers)) >= 0) {
    cfg.group[i / rm::kMembers].member_port[i % rm::kMembers] =
        uint8_t(field(v, rm::MEMBER_PORT_LSB, rm::MEMBER_PORT_MASK));
  } else if ((i = register_instance(addr, rm::IND, rm::INDIRECTION_STRIDE, rm::INDIRECTION_COUNT)) >= 0) {
    const int words_per_group = kBuckets / 8;
  ind_nibbles:
    for (int n = 0; n < 8; ++n) {
#pragma HLS UNROLL
      cfg.ind[i / words_per_group][(i % words_per_group) * 8 + n] = uint8_t((v >> (4 * n)) & 0xF);
    }
  } else {
    return false;
  }
  return true;
}

namespace {

// The 64-bit counter whose LO word is at addr.
bool counter_at(uint32_t addr, const CoreCounters& c, uint64_t& v) {
  int i;
  if ((i = register_instance(addr, rm::RX_PKTS_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = c.rx_pkts[i];
  else if ((i = register_instance(addr, rm::RX_BYTES_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = c.rx_bytes[i];
  else if ((i = register_instance(addr, rm::TX_PKTS_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) v = c.tx_pkts[i];
  else if ((i = register_instance(addr, rm::TX_BYTES_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) v = c.tx_bytes[i];
  else if ((i = register_instance(addr, rm::GRP_PKTS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) v = c.grp_pkts[i];
  else if ((i = register_instance(addr, rm::GRP_NEW_FLOWS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) v = c.grp_new_flows[i];
  else if (addr == rm::MALFORMED_LO) v = c.malformed;
  else if (addr == rm::FRAGMENTS_LO) v = c.fragments;
  else if (addr == rm::DEPTH_EXCEEDED_LO) v = c.depth_exceeded;
  else if (addr == rm::UNMAPPED_DROPS_LO) v = c.unmapped_drops;
  else if (addr == rm::THRESHOLD_AVOIDS_LO) v = c.threshold_avoids;
  else return false;
  return true;
}

}  // namespace

bool csr_read_counter(uint32_t addr, CoreState& st, uint32_t& value) {
  uint64_t v = 0;
  if (counter_at(addr, st.counters, v)) {
    st.counter_hi_latch = uint32_t(v >> 32);
    value = uint32_t(v);
    return true;
  }
  // Every HI word sits 4 bytes after its LO word and reads what the LO read latched.
  if (addr >= 4 && counter_at(addr - 4, st.counters, v)) {
    value = st.counter_hi_latch;
    return true;
  }
  return false;
}

}  // namespace core
}  // namespace broker
