// The software card: an in-process register file with the register map's layout around the
// native build of the HLS core (the same tasks the fabric runs, hw/hls/native/pipeline.h),
// and a TX utilization meter clocked by packet timestamps. It is what `--card soft` (the
// default) runs, and what offline replay uses.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "broker_regmap.h"
#include "native/encap_runner.h"
#include "native/pipeline.h"
#include "register_bus.h"
#include "tx_meter.h"

namespace broker::cards {

class SoftCard final : public driver::RegisterBus {
 public:
  SoftCard();

  // RegisterBus. An offset outside the register map throws BusError, as AXI answers SLVERR.
  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  std::string describe() const override { return "soft card"; }

  // Runs one frame through the data path at time ts_ns (timestamps must not go back; an
  // earlier one is taken as the current time). The result says where it went.
  const core::FrameResult& forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame,
                                   uint32_t len);
  // The bytes of the frame forward() last delivered to egress port `port` (one of its
  // decision's out_mask), as they left the data path (after tunnel termination) and, on a port
  // that originates a tunnel, as the shell's encap wrapped them: what the port's wire carries.
  // Valid until the next forward().
  const std::vector<uint8_t>& delivered_to(uint8_t port) const {
    return port < core::kOutPorts && (wrapped_ >> port & 1) ? wire_[port] : core_->delivered();
  }
  // The same for the decision's out_port (empty when the frame was dropped).
  const std::vector<uint8_t>& delivered() const { return delivered_to(result_.decision.out_port); }
  // What forward() would decide, without changing flows, counters or the meter.
  core::FrameResult explain(uint8_t in_port, const uint8_t* frame, uint32_t len) const;

  uint64_t now_ns() const;

  // TX_DROPS of the shell: the soft card's egress bindings count here the frames they drop
  // whole (a queue without room, an output that failed). RX_DROPS stays 0: the soft card's
  // ingress waits for the core rather than dropping.
  void count_tx_drop(uint8_t out_port, uint64_t n = 1);

  // The wire's link state of an egress port (what a card's MAC reports): the soft card's
  // interface-bound ports follow the interface (up and running); other ports are up. LINK_STATUS
  // is this and not LINK_ADMIN_DOWN; selection sees LINK_STATUS.
  void set_wire_link(uint8_t out_port, bool up);
  uint16_t link_status() const;

 private:
  uint32_t read_locked(uint32_t offset);
  uint32_t read_shell_counter(uint32_t offset, const regmap::RegInfo& info);
  void decode_write(uint32_t offset, uint32_t value);

  mutable std::mutex mu_;
  std::vector<uint32_t> regs_;         // stored value of every rw register, by word
  std::vector<int16_t> reg_of_word_;   // word -> index in regmap::kRegisters, -1 unmapped
  std::unique_ptr<core::Pipeline> core_;  // the data path: its configuration, tables, counters
  TxMeter meter_;
  uint16_t link_locked() const;
  void note_link_change(uint16_t before);

  // The shell's encap per tool port (tunnel origination), with the committed ENC_* copy.
  std::array<core::EncapRunner, core::kOutPorts> encap_;
  void commit_encap(int port);
  uint16_t wrapped_ = 0;             // bit p: the last frame went through port p's encap
  std::array<std::vector<uint8_t>, core::kOutPorts> wire_;  // its bytes as those wires carry them

  std::array<uint64_t, core::kOutPorts> tx_drops_{};
  std::array<uint64_t, core::kOutPorts> link_downs_{};
  uint16_t wire_up_ = 0xFFFF;
  uint32_t shell_hi_latch_ = 0;   // HI word latched by a LO read of a shell counter
  uint64_t now_ns_ = 0;
  core::FrameResult result_{};
};

}  // namespace broker::cards
