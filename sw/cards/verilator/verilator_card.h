// The Verilator card (`--card verilator`): the cycle-accurate model of the RTL top
// (hw/rtl/broker_top.sv) with the HLS core composed of its tasks (sim/: one module per task
// running the task's C++ body through DPI-C, RTL FIFOs between them). Registers are real
// AXI4-Lite transactions on the model; frames go in on the ingress AXI4-Stream ports and are
// collected from the egress ports (tx_tready held high unless a test says otherwise). What the
// core decided for each frame, and when the frame passed each stage, come from the tasks.
//
// Time is simulated time: every access and every step() clocks the model, and the RTL's
// microsecond tick advances with it (clk_hz() cycles per second of model time).
//
// Tunnel origination: each tool port's encap (the HLS kernel broker_encap, co-simulated) wraps
// what the core delivers when the port's ENC_CTRL enables it. The card keeps the reference, a
// core::EncapRunner per port (the same encap_task run natively) whose configuration it commits
// on every ENC_CTRL write as the CSR block does (and as the soft card does); expected_wire()
// gives the bytes a port's wire must carry for a delivered frame.
// No Verilator header leaks out of this file: consumers only need broker_verilator_card.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core_step.h"
#include "native/encap_runner.h"
#include "register_bus.h"

namespace broker::cards {

class VerilatorCard final : public driver::RegisterBus {
 public:
  static constexpr int kInPorts = 8;    // = broker_top NUM_IN
  static constexpr int kOutPorts = 16;  // = broker_top NUM_OUT

  // How the card drives the ingress ports (the model itself never holds a port back: each
  // ingress FIFO drops whole the frames it has no room for, as a CMAC cannot wait).
  enum class IngressMode {
    // Frames go in one at a time across all ports, in the order they were sent, each port at
    // one beat per clock: at most one beat per clock in total, what one lane carries,
    // so nothing is dropped for the ingress. Replays and comparisons use it.
    kOneLine,
    // Every port drives its own frames back to back at once (or at the times send_at gives),
    // as independent links do: more than a lane carries (a beat per clock) is dropped whole at
    // the ingress FIFOs (RX_DROPS).
    kPerPort,
  };

  struct Options {
    IngressMode ingress = IngressMode::kOneLine;
    // FST waveform file; empty: the environment variable BROKER_SIM_WAVES, if set.
    std::string waves;
    // An AXI4-Lite access that gets no response within this many cycles throws BusError.
    uint64_t axil_timeout_cycles = 100000;
    // Decided frames kept for take_decisions(); beyond this the oldest are discarded, so a
    // user that never takes them (brokerd) keeps bounded memory.
    size_t max_decisions = 1 << 16;
  };

  // A frame that left an egress port.
  struct Frame {
    uint8_t port = 0;
    std::vector<uint8_t> data;
    uint64_t first_cycle = 0;  // cycle of its first and last beat (tvalid & tready)
    uint64_t last_cycle = 0;
    // The port encap's now_us input at the clock edge it made the frame's first beat (the edge
    // before that beat was first offered): the time ERSPAN III's timestamp is taken from.
    uint64_t now_us = 0;
  };

  // When a frame passed the stages of the core, in cycles of cycles().
  struct StageCycles {
    static constexpr uint64_t kNever = ~uint64_t(0);
    uint64_t core_in = kNever;  // its first beat entered the core (rx handshake)
    // its item (on the payload bypass: its first beat) entered each FIFO of
    // core::kStageStreams (core::stream_info(...).name), in that order
    std::array<uint64_t, core::kStageCount> fifo_in;
    uint64_t core_out = kNever;  // its first beat left the core (tx handshake); kNever: dropped
    uint64_t tx_stored = kNever; // its last beat was written into its egress queue, which then
                                 // stored it whole (the cycle of that beat's handshake)
    // The ports whose egress queue dropped it whole (TX_DROPS): no room, or the port's link went
    // down before it left (a replicated frame is in several queues).
    uint16_t tx_dropped_ports = 0;
    bool tx_dropped() const { return tx_dropped_ports != 0; }
    StageCycles() { fifo_in.fill(kNever); }
  };
  // A frame the core decided: what its traced streams carried, and when it passed each stage.
  struct DecidedFrame {
    core::FrameTrace trace;
    StageCycles cycles;
  };

  // Per port, from the beginning (or the last clear_stats()).
  struct PortStats {
    uint64_t beats = 0;        // cycles with tvalid & tready
    uint64_t frames = 0;
    uint64_t bytes = 0;
    uint64_t first_beat_cycle = 0, last_beat_cycle = 0;  // valid when beats > 0
  };

  VerilatorCard();
  explicit VerilatorCard(const Options& options);
  ~VerilatorCard() override;
  VerilatorCard(const VerilatorCard&) = delete;
  VerilatorCard& operator=(const VerilatorCard&) = delete;

  // RegisterBus: one AXI4-Lite transaction each, clocking the model until the response.
  // SLVERR/DECERR (or no response) throws BusError.
  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  std::string describe() const override;
  std::optional<uint32_t> kernel_clock_hz() const override { return uint32_t(clk_hz()); }

  // Queues a frame on an ingress port (TKEEP contiguous from byte 0, TLAST on its last beat).
  // It is driven while the clock runs, frames of one port back to back in order; 1 <= len.
  void send(uint8_t in_port, const uint8_t* frame, uint32_t len);
  // Queues a frame to start no earlier than `cycle` (for paced traffic); the port's frames
  // still go in order.
  void send_at(uint8_t in_port, uint64_t cycle, const uint8_t* frame, uint32_t len);

  // Runs the clock n cycles.
  void step(uint64_t n = 1);
  // True when no frame waits to go in, every frame that entered the core has left it, and the
  // egress ports have been quiet (no beat, no tvalid) for kQuietCycles cycles with nothing on
  // the ingress ports either.
  bool idle() const;
  // Steps until idle(); false if that takes more than max_cycles.
  bool run_until_idle(uint64_t max_cycles = 10'000'000);
  static constexpr uint64_t kQuietCycles = 64;

  // The frames that left the egress ports since the last take, in the order they completed.
  std::vector<Frame> take_egress();
  size_t egress_count() const;

  // The frames the core decided since the last take (or reset), in core order: each once its
  // last traced item (the settled StatsEvent) is in and, unless it was dropped, its egress
  // queue has stored it or dropped it (cycles.tx_dropped()).
  std::vector<DecidedFrame> take_decisions();

  PortStats port_stats(int out_port) const;  // egress port
  PortStats rx_stats(int in_port) const;     // ingress port: beats and frames its FIFO took in
  // Frames whose first beat entered the core (past the ingress FIFOs and the arbiter) since
  // the last reset.
  uint64_t frames_into_core() const;
  void clear_stats();
  // Tunnel origination reference: the bytes egress port `out_port`'s wire must carry for a frame
  // the core delivered as `delivered` (after termination and segment tag). When the port's
  // committed ENC_CTRL (the last one written) enables wrapping: the frame as core::EncapRunner
  // wraps it, with the ERSPAN III timestamp taken from now_us (pass Frame::now_us: then the
  // comparison is exact, timestamp included); else the frame itself. Call it once per frame in
  // the order the port sent them (the runner carries the port's ERSPAN sequence number), and
  // write ENC_* only while the port is idle (the reference changes at the write, the kernel at
  // its next frame).
  std::vector<uint8_t> expected_wire(int out_port, const std::vector<uint8_t>& delivered, uint64_t now_us);
  // Whether the port's committed ENC_CTRL wraps frames.
  bool port_wraps(int out_port) const;
  // A wrapping port's header length and slice (ENC_SLICE, 0: none), committed.
  uint32_t wrap_header_len(int out_port) const;
  uint32_t wrap_slice(int out_port) const;

  // tx_tready of every egress port (bit p = port p); all ones after construction.
  void set_tx_ready(uint32_t mask);
  // link_up_i of every egress port (bit p = port p's MAC reports its link up); all ones after
  // construction.
  void set_link_up(uint32_t mask);

  uint64_t cycles() const;
  static uint64_t clk_hz();
  // Whether the model was built with waveform support (CMake BROKER_SIM_TRACE).
  static bool can_trace();
  // Holds rst_n low for a few cycles, as a card reset does: every register back to reset.
  void reset();

 private:
  struct Impl;
  mutable std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace broker::cards
