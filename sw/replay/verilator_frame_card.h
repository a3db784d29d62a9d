// Replay through the Verilator card (the RTL top co-simulated, sw/cards/verilator): frames go
// in on its ingress AXI4-Stream ports, decisions come from the core's traced items, frames
// come back from its egress ports. Built only where the Verilator model is
// (broker_verilator_card).
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "replay.h"
#include "verilator_card.h"

namespace broker::replay {

// Frame order: the core decides frames in the order their headers reach the shared tasks: each
// lane's arbiter serves its ingress FIFOs round robin, and the lanes' headers merge. A frame on
// another port than the previous frame is queued only once every frame sent before it has been
// decided, so no two ports ever race and the core's order is the order of forward(). Frames of
// one port still go back to back. take_decisions() is then mapped to the frames in flight in
// that order (the ParsedItem's in_port must agree), and each frame not dropped must come out of
// its egress port, byte for byte (in its lane's order; the two lanes of a port interleave as
// their frames are stored). Any disagreement throws std::runtime_error.
//
// Time is the model's clock (cycles, its microsecond tick), not the capture's: ts_ns is not
// used, so decisions that depend on time (dynamic idle timeouts, utilization thresholds,
// fragment timeouts) can differ from the soft card's.
class VerilatorFrameCard final : public FrameCard {
 public:
  // The driver must have configured `card` already; frames it emitted before are discarded.
  explicit VerilatorFrameCard(cards::VerilatorCard& card);

  void forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame, uint32_t len,
               const Done& done) override;
  void finish(const Done& done) override;

  // Frames sent at most this far ahead of the oldest one not yet reported.
  static constexpr size_t kWindow = 64;
  // Cycles without a frame reported (with frames in flight) before the card counts as stuck.
  static constexpr uint64_t kStuckCycles = 5'000'000;

 private:
  struct Sent {
    uint8_t in_port = 0;
    std::vector<uint8_t> data;
    bool decided = false;
    core::FrameResult result{};
  };

  // Takes what the model decided and sent, and reports the oldest frames that are complete.
  void collect(const Done& done);
  // Steps the model (collecting) until `until()` holds; throws if nothing moves for too long.
  template <class Pred>
  void run_until(Pred until, const Done& done, const char* what);
  uint64_t into_core() const;

  cards::VerilatorCard& card_;
  std::deque<Sent> sent_;  // in flight, oldest first
  size_t decided_ = 0;     // of sent_, the first decided_ have their decision
  std::array<std::deque<std::vector<uint8_t>>, cards::VerilatorCard::kOutPorts> egress_;
  uint64_t sent_total_ = 0;  // frames sent
  uint64_t core_base_ = 0;   // frames_into_core() at start
  int last_port_ = -1;
  uint64_t reported_ = 0;  // frames reported so far
};

}  // namespace broker::replay
