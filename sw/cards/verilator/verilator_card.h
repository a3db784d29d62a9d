// The Verilator card (`--card verilator`): the cycle-accurate model of the RTL top
// (hw/rtl/broker_top.sv) with the HLS kernel linked in through DPI-C (sim/). Registers are
// real AXI4-Lite transactions on the model; frames go in on the ingress AXI4-Stream ports and
// are collected from the egress ports (tx_tready held high unless a test says otherwise).
//
// Time is simulated time: every access and every step() clocks the model, and the RTL's
// microsecond tick advances with it (clk_hz() cycles per second of model time).
// No Verilator header leaks out of this file: consumers only need broker_verilator_card.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "register_bus.h"

namespace broker::cards {

class VerilatorCard final : public driver::RegisterBus {
 public:
  static constexpr int kInPorts = 8;    // = broker_top NUM_IN
  static constexpr int kOutPorts = 16;  // = broker_top NUM_OUT

  struct Options {
    // FST waveform file; empty: the environment variable BROKER_SIM_WAVES, if set.
    std::string waves;
    // An AXI4-Lite access that gets no response within this many cycles throws BusError.
    uint64_t axil_timeout_cycles = 100000;
  };

  // A frame that left an egress port.
  struct Frame {
    uint8_t port = 0;
    std::vector<uint8_t> data;
    uint64_t first_cycle = 0;  // cycle of its first and last beat (tvalid & tready)
    uint64_t last_cycle = 0;
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

  // Queues a frame on an ingress port (TKEEP contiguous from byte 0, TLAST on its last beat).
  // It is driven while the clock runs, frames of one port back to back in order; 1 <= len.
  void send(uint8_t in_port, const uint8_t* frame, uint32_t len);
  // Queues a frame to start no earlier than `cycle` (for paced traffic); the port's frames
  // still go in order.
  void send_at(uint8_t in_port, uint64_t cycle, const uint8_t* frame, uint32_t len);

  // Runs the clock n cycles.
  void step(uint64_t n = 1);
  // True when no frame waits to go in and the egress ports have been quiet (no beat, no
  // tvalid) for kQuietCycles cycles with nothing on the ingress ports either.
  bool idle() const;
  // Steps until idle(); false if that takes more than max_cycles.
  bool run_until_idle(uint64_t max_cycles = 10'000'000);
  static constexpr uint64_t kQuietCycles = 64;

  // The frames that left the egress ports since the last take, in the order they completed.
  std::vector<Frame> take_egress();
  size_t egress_count() const;

  PortStats port_stats(int out_port) const;  // egress port
  PortStats rx_stats(int in_port) const;     // ingress port
  void clear_stats();
  // tx_tready of every egress port (bit p = port p); all ones after construction.
  void set_tx_ready(uint32_t mask);

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
