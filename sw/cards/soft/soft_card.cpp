#include "soft_card.h"

#include <algorithm>

#include <fmt/format.h>

#include "broker_regmap.h"
#include "csr_decode.h"

namespace broker::cards {
namespace rm = broker::regmap;

using core::register_instance;

SoftCard::SoftCard()
    : regs_(rm::kAperture / 4, 0), reg_of_word_(rm::kAperture / 4, -1),
      core_(std::make_unique<core::Pipeline>()) {
  // The register map's reset values reach the core through its CSR path, as the driver's
  // writes do.
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const auto& info = rm::kRegisters[r];
    for (uint32_t i = 0; i < info.count; ++i) {
      const uint32_t word = (info.offset + i * info.stride) / 4;
      reg_of_word_[word] = int16_t(r);
      regs_[word] = info.reset;
      if (info.access == rm::Access::kRW) decode_write(word * 4, info.reset);
    }
  }
  core_->flush_csr(0);
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
  if (info.in_shell) return read_shell_counter(offset, info);
  if (info.is_counter64_lo || info.is_counter64_hi) return core_->read_counter(offset);

  if (offset == rm::NOW_US) return uint32_t(now_ns_ / 1000);
  if (offset == rm::LINK_STATUS) return link_locked();
  if (register_instance(offset, rm::OUT_STATUS, rm::EGRESS_STRIDE, rm::kOutPorts) >= 0)
    return rm::OUT_STATUS_EMPTY_MASK;  // frames leave at once: the queue is always empty
  if (int p = register_instance(offset, rm::OUT_UTIL_BP, rm::EGRESS_STRIDE, rm::kOutPorts); p >= 0)
    return meter_.util_bp(p);
  if (int p = register_instance(offset, rm::OUT_UTIL_PEAK_BP, rm::EGRESS_PEAK_STRIDE, rm::kOutPorts); p >= 0)
    return meter_.peak_bp(p);
  return info.reset;  // identification registers
}

// The shell's counters, as the CSR block keeps them: a LO read latches HI, a HI read returns
// the latch. TX_DROPS and LINK_DOWNS count here; RX_DROPS and CSR_TIMEOUTS stay 0 (nothing
// waits).
uint32_t SoftCard::read_shell_counter(uint32_t offset, const rm::RegInfo& info) {
  if (info.is_counter64_hi) return shell_hi_latch_;
  uint64_t v = 0;
  if (int p = register_instance(offset, rm::TX_DROPS_LO, rm::TX_DROP_COUNTERS_STRIDE, rm::kOutPorts); p >= 0)
    v = tx_drops_[size_t(p)];
  if (int p = register_instance(offset, rm::LINK_DOWNS_LO, rm::LINK_DOWN_COUNTERS_STRIDE, rm::kOutPorts); p >= 0)
    v = link_downs_[size_t(p)];
  shell_hi_latch_ = uint32_t(v >> 32);
  return uint32_t(v);
}

void SoftCard::count_tx_drop(uint8_t out_port, uint64_t n) {
  std::lock_guard lock(mu_);
  if (out_port < tx_drops_.size()) tx_drops_[out_port] += n;
}

uint16_t SoftCard::link_locked() const {
  return uint16_t(wire_up_ & ~regs_[rm::LINK_ADMIN_DOWN / 4]);
}

uint16_t SoftCard::link_status() const {
  std::lock_guard lock(mu_);
  return link_locked();
}

void SoftCard::note_link_change(uint16_t before) {
  const uint16_t went_down = before & ~link_locked();
  for (int p = 0; p < core::kOutPorts; ++p)
    if (went_down >> p & 1) ++link_downs_[size_t(p)];
}

void SoftCard::set_wire_link(uint8_t out_port, bool up) {
  std::lock_guard lock(mu_);
  if (out_port >= core::kOutPorts) return;
  const uint16_t before = link_locked();
  wire_up_ = up ? uint16_t(wire_up_ | (1u << out_port)) : uint16_t(wire_up_ & ~(1u << out_port));
  note_link_change(before);
}

void SoftCard::write32(uint32_t offset, uint32_t value) {
  std::lock_guard lock(mu_);
  if (offset % 4 != 0 || offset >= rm::kAperture || reg_of_word_[offset / 4] < 0)
    throw driver::BusError(fmt::format("soft card: write to unmapped offset 0x{:04x}", offset));
  const auto& info = rm::kRegisters[size_t(reg_of_word_[offset / 4])];
  if (info.access == rm::Access::kRO) return;  // ignored, as the CSR block does
  const uint16_t link_before = link_locked();
  if (info.access == rm::Access::kRW) regs_[offset / 4] = value;
  if (offset == rm::LINK_ADMIN_DOWN) note_link_change(link_before);  // the only register the link follows
  decode_write(offset, value);
  core_->flush_csr(now_ns_ / 1000);
}

// What the RTL shell does with a write: the meter's settings stay in the shell; every write
// also goes to the core's CSR stream (applied by flush_csr), whose tasks keep what they use.
void SoftCard::decode_write(uint32_t offset, uint32_t v) {
  if (offset == rm::COMMAND && (v & rm::COMMAND_CLEAR_COUNTERS_MASK)) {
    meter_.clear_peaks();
    tx_drops_.fill(0);
    link_downs_.fill(0);
  }
  if (offset == rm::UTIL_WINDOW_US) {
    meter_.set_window_us(v);
  } else if (int i = register_instance(offset, rm::OUT_UTIL_SCALE, rm::EGRESS_SCALE_STRIDE, rm::kOutPorts); i >= 0) {
    meter_.set_scale(i, v);
  } else if (int k = register_instance(offset, rm::OUT_UTIL_SHIFT, rm::EGRESS_SCALE_STRIDE, rm::kOutPorts); k >= 0) {
    meter_.set_shift(k, v);
  } else if (int e = register_instance(offset, rm::ENC_CTRL, rm::EGRESS_TUNNEL_STRIDE, rm::kOutPorts); e >= 0) {
    commit_encap(e);
  }
  core_->post_csr(offset, v);
}

// As the shell's CSR block does on an ENC_CTRL write: the staged ENC_* words become the ones
// the port's encap uses, for the frames that follow.
void SoftCard::commit_encap(int port) {
  const uint32_t base = rm::ENC_CTRL_at(uint32_t(port)) / 4;
  ap_uint<32> hdr[core::kEncapHdrBytes / 4];
  for (int k = 0; k < core::kEncapHdrBytes / 4; ++k) hdr[k] = regs_[rm::ENC_HDR0_at(uint32_t(port)) / 4 + size_t(k)];
  encap_[size_t(port)].set_config(core::encap_config_of(regs_[base], regs_[rm::ENC_SLICE_at(uint32_t(port)) / 4],
                                                        regs_[rm::ENC_CSUM_at(uint32_t(port)) / 4], hdr));
}

const core::FrameResult& SoftCard::forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame,
                                           uint32_t len) {
  std::lock_guard lock(mu_);
  now_ns_ = std::max(now_ns_, ts_ns);
  meter_.advance(now_ns_);
  core_->forward(in_port, frame, len, now_ns_ / 1000, meter_.util_bp_all().data(), result_, link_locked());
  // Each port that gets the frame (several when a filter replicates it), through its encap.
  wrapped_ = 0;
  const auto& d = core_->delivered();
  for (uint32_t mask = result_.decision.out_mask; mask != 0; mask &= mask - 1) {
    const auto out = uint8_t(__builtin_ctz(mask));
    if (encap_[out].wraps()) {
      encap_[out].run(d.data(), uint32_t(d.size()), now_ns_ / 1000, wire_[out]);
      wrapped_ |= uint16_t(1u << out);
    }
    meter_.record(out, uint32_t(delivered_to(out).size()));
  }
  return result_;
}

core::FrameResult SoftCard::explain(uint8_t in_port, const uint8_t* frame, uint32_t len) const {
  std::lock_guard lock(mu_);
  // A copy of the core's state: explaining must not age, assign or count anything.
  core::Pipeline scratch(core_->state());
  core::FrameResult r;
  scratch.forward(in_port, frame, len, now_ns_ / 1000, meter_.util_bp_all().data(), r, link_locked());
  return r;
}

}  // namespace broker::cards
