#include "soft_card.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "broker_regmap.h"

namespace broker::cards {
namespace rm = broker::regmap;

namespace {

constexpr uint32_t field(uint32_t value, uint32_t lsb, uint32_t mask) { return (value & mask) >> lsb; }

// Index of instance i of a repeated block that offset falls in, or -1.
int instance(uint32_t offset, uint32_t reg0, uint32_t stride, uint32_t count) {
  if (offset < reg0) return -1;
  const uint32_t d = offset - reg0;
  if (stride == 0) return d == 0 ? 0 : -1;
  if (d % stride != 0 || d / stride >= count) return -1;
  return int(d / stride);
}

}  // namespace

SoftCard::SoftCard()
    : regs_(rm::kAperture / 4, 0), reg_of_word_(rm::kAperture / 4, -1),
      flows_(std::make_unique<core::FlowTable>()) {
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const auto& info = rm::kRegisters[r];
    for (uint32_t i = 0; i < info.count; ++i) {
      const uint32_t word = (info.offset + i * info.stride) / 4;
      reg_of_word_[word] = int16_t(r);
      regs_[word] = info.reset;
      if (info.access == rm::Access::kRW) decode_write(word * 4, info.reset);
    }
  }
  core::clear_flows(*flows_);
}

uint64_t SoftCard::now_ns() const {
  std::lock_guard lock(mu_);
  return now_ns_;
}

uint32_t SoftCard::read32(uint32_t offset) {
  std::lock_guard lock(mu_);
  return read_locked(offset);
}

uint32_t SoftCard::read_locked(uint32_t offset) {
  if (offset % 4 != 0 || offset >= rm::kAperture || reg_of_word_[offset / 4] < 0)
    throw driver::BusError(fmt::format("soft card: read of unmapped offset 0x{:04x}", offset));
  const auto& info = rm::kRegisters[size_t(reg_of_word_[offset / 4])];
  if (info.access == rm::Access::kWO1) return 0;
  if (info.access == rm::Access::kRW) return regs_[offset / 4];

  if (offset == rm::NOW_US) return uint32_t(now_ns_ / 1000);
  if (int p = instance(offset, rm::OUT_STATUS, rm::EGRESS_STRIDE, rm::kOutPorts); p >= 0)
    return rm::OUT_STATUS_EMPTY_MASK;  // frames leave at once: the queue is always empty
  if (int p = instance(offset, rm::OUT_UTIL_BP, rm::EGRESS_STRIDE, rm::kOutPorts); p >= 0)
    return meter_.util_bp(p);
  if (int p = instance(offset, rm::OUT_UTIL_PEAK_BP, rm::EGRESS_PEAK_STRIDE, rm::kOutPorts); p >= 0)
    return meter_.peak_bp(p);
  if (info.is_counter64_hi) return latched_hi_;
  bool found = false;
  const uint32_t v = counter_word(offset, found);
  if (found) return v;
  return info.reset;  // identification registers
}

// Low word of a 64-bit counter; latches its high word for the next HI read.
uint32_t SoftCard::counter_word(uint32_t offset, bool& found) {
  const core::CoreCounters& c = counters_;
  const uint64_t* value = nullptr;
  int i;
  if ((i = instance(offset, rm::RX_PKTS_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) value = &c.rx_pkts[i];
  else if ((i = instance(offset, rm::RX_BYTES_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) value = &c.rx_bytes[i];
  else if ((i = instance(offset, rm::TX_PKTS_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) value = &c.tx_pkts[i];
  else if ((i = instance(offset, rm::TX_BYTES_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) value = &c.tx_bytes[i];
  else if ((i = instance(offset, rm::GRP_PKTS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) value = &c.grp_pkts[i];
  else if ((i = instance(offset, rm::GRP_NEW_FLOWS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) value = &c.grp_new_flows[i];
  else if (offset == rm::MALFORMED_LO) value = &c.malformed;
  else if (offset == rm::FRAGMENTS_LO) value = &c.fragments;
  else if (offset == rm::DEPTH_EXCEEDED_LO) value = &c.depth_exceeded;
  else if (offset == rm::UNMAPPED_DROPS_LO) value = &c.unmapped_drops;
  else if (offset == rm::THRESHOLD_AVOIDS_LO) value = &c.threshold_avoids;
  found = value != nullptr;
  if (!value) return 0;
  latched_hi_ = uint32_t(*value >> 32);
  return uint32_t(*value);
}

void SoftCard::write32(uint32_t offset, uint32_t value) {
  std::lock_guard lock(mu_);
  if (offset % 4 != 0 || offset >= rm::kAperture || reg_of_word_[offset / 4] < 0)
    throw driver::BusError(fmt::format("soft card: write to unmapped offset 0x{:04x}", offset));
  const auto& info = rm::kRegisters[size_t(reg_of_word_[offset / 4])];
  if (info.access == rm::Access::kRO) return;  // ignored, as the CSR block does
  if (info.access == rm::Access::kRW) regs_[offset / 4] = value;
  decode_write(offset, value);
}

// The CSR block's outputs: each register write updates the core's configuration wires.
void SoftCard::decode_write(uint32_t offset, uint32_t v) {
  int i;
  if (offset == rm::CTRL) {
    cfg_.enable = v & rm::CTRL_ENABLE_MASK;
  } else if (offset == rm::COMMAND) {
    if (v & rm::COMMAND_CLEAR_COUNTERS_MASK) {
      core::clear_counters(counters_);
      meter_.clear_peaks();
    }
    if (v & rm::COMMAND_CLEAR_FLOWS_MASK) core::clear_flows(*flows_);
  } else if (offset == rm::UTIL_WINDOW_US) {
    meter_.set_window_us(v);
  } else if ((i = instance(offset, rm::IN_MAP, rm::INGRESS_STRIDE, rm::kInPorts)) >= 0) {
    cfg_.in_map[i] = uint8_t((v & rm::IN_MAP_VALID_MASK ? core::kInMapValid : 0) |
                             field(v, rm::IN_MAP_GROUP_LSB, rm::IN_MAP_GROUP_MASK));
  } else if ((i = instance(offset, rm::GRP_CTRL, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    core::GroupConfig& g = cfg_.group[i];
    g.enable = v & rm::GRP_CTRL_ENABLE_MASK;
    g.hash = uint8_t(field(v, rm::GRP_CTRL_HASH_LSB, rm::GRP_CTRL_HASH_MASK));
    g.symmetric = v & rm::GRP_CTRL_SYMMETRIC_MASK;
    g.mode = uint8_t(field(v, rm::GRP_CTRL_MODE_LSB, rm::GRP_CTRL_MODE_MASK));
  } else if ((i = instance(offset, rm::GRP_TUPLE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg_.group[i].tuple = uint16_t(v);
  } else if ((i = instance(offset, rm::GRP_THRESH_BP, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg_.group[i].threshold_bp = uint16_t(std::min<uint32_t>(v, 0xFFFF));
  } else if ((i = instance(offset, rm::GRP_IDLE_US, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg_.group[i].idle_us = v;
  } else if ((i = instance(offset, rm::GRP_LIVE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    cfg_.group[i].live = uint16_t(v);
  } else if ((i = instance(offset, rm::MEMBER, rm::MEMBER_STRIDE, rm::kGroups * rm::kMembers)) >= 0) {
    cfg_.group[i / rm::kMembers].member_port[i % rm::kMembers] =
        uint8_t(field(v, rm::MEMBER_PORT_LSB, rm::MEMBER_PORT_MASK));
  } else if ((i = instance(offset, rm::IND, rm::INDIRECTION_STRIDE, rm::INDIRECTION_COUNT)) >= 0) {
    constexpr int kWordsPerGroup = rm::kBuckets / 8;
    for (int n = 0; n < 8; ++n)
      cfg_.ind[i / kWordsPerGroup][(i % kWordsPerGroup) * 8 + n] = uint8_t((v >> (4 * n)) & 0xF);
  } else if ((i = instance(offset, rm::OUT_SPEED_MBPS, rm::EGRESS_STRIDE, rm::kOutPorts)) >= 0) {
    meter_.set_speed_mbps(i, v);
  }
}

const core::FrameResult& SoftCard::forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame,
                                           uint32_t len) {
  std::lock_guard lock(mu_);
  now_ns_ = std::max(now_ns_, ts_ns);
  meter_.advance(now_ns_);
  uint8_t hdr[core::kParseBytes];
  const uint32_t n = std::min<uint32_t>(len, core::kParseBytes);
  std::memcpy(hdr, frame, n);
  std::memset(hdr + n, 0, core::kParseBytes - n);
  core::process_frame(hdr, len, in_port, uint32_t(now_ns_ / 1000), cfg_,
                      meter_.util_bp_all().data(), *flows_, counters_, result_);
  if (result_.decision.out_port != core::kNoPort) meter_.record(result_.decision.out_port, len);
  return result_;
}

core::FrameResult SoftCard::explain(uint8_t in_port, const uint8_t* frame, uint32_t len) const {
  std::lock_guard lock(mu_);
  uint8_t hdr[core::kParseBytes];
  const uint32_t n = std::min<uint32_t>(len, core::kParseBytes);
  std::memcpy(hdr, frame, n);
  std::memset(hdr + n, 0, core::kParseBytes - n);
  // Scratch copies: explaining must not age, assign or count anything.
  auto flows = std::make_unique<core::FlowTable>(*flows_);
  core::CoreCounters counters{};
  core::FrameResult r;
  core::process_frame(hdr, len, in_port, uint32_t(now_ns_ / 1000), cfg_,
                      meter_.util_bp_all().data(), *flows, counters, r);
  return r;
}

}  // namespace broker::cards
