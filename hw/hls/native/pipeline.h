// The core's tasks run natively: the one data path of the soft card, the reference of the
// kernel and co-simulation tests, and what explanations and the native helpers call. A frame
// goes in as AXI4-Stream beats and is decided by exactly the tasks the fabric runs (tasks.h),
// stepped once per call in graph order; what the traced streams carried is kept per frame.
#pragma once
#include <stdint.h>

#include <memory>
#include <vector>

#include "frame_result.h"
#include "core_step.h"  // generated from hw/graph/core_graph.toml

namespace broker {
namespace core {

ap_uint<256> pack_util(const uint16_t util_bp[kOutPorts]);

// Every egress port's link up (LINK_STATUS as the core's link_up input sees it).
const uint16_t kAllLinksUp = 0xFFFF;

class Pipeline {
 public:
  Pipeline();
  // A copy of another pipeline's task state (configuration, tables, counters), for
  // explanations that must not change the original.
  explicit Pipeline(const CoreTaskState& state);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One call of every task. util_bp: each egress port's TX utilization (basis points);
  // link_up: bit p, egress port p's link is up.
  void step(uint64_t now_us, const uint16_t util_bp[kOutPorts], uint16_t link_up = kAllLinksUp);
  // The same, showing the traced streams' items to tap(item, TraceStream) (core_step.h).
  template <class Tap>
  void step(uint64_t now_us, const uint16_t util_bp[kOutPorts], uint16_t link_up, Tap& tap) {
    core_step(*streams_, *state_, Time(now_us), pack_util(util_bp), ap_uint<16>(link_up), tap);
  }

  // A register write through the CSR stream, applied before this returns.
  void write_csr(uint32_t addr, uint32_t data, uint64_t now_us);
  // Many writes: queued, then applied in order, one per step, by flush_csr.
  void post_csr(uint32_t addr, uint32_t data);
  void flush_csr(uint64_t now_us);
  // A counter register read through ctr_req/ctr_rsp (LO latches HI, as in fabric).
  uint32_t read_counter(uint32_t addr);

  // One whole frame (len bytes; 0 is sent as one empty beat) in on ingress port in_port,
  // stepped until its last beat has left the core. `out` gets what the core decided; the
  // frame's TX beats are checked against the decision and kept: delivered() has their bytes.
  void forward(uint8_t in_port, const uint8_t* frame, uint32_t len, uint64_t now_us,
               const uint16_t util_bp[kOutPorts], FrameResult& out, uint16_t link_up = kAllLinksUp);
  // The bytes of the last forwarded frame as they left the core (after termination); empty
  // when it was dropped.
  const std::vector<uint8_t>& delivered() const { return delivered_; }

  const CoreTaskState& state() const { return *state_; }
  // The streams, for tests that drive the core beat by beat.
  CoreStreams& streams() { return *streams_; }

 private:
  struct Trace;
  std::unique_ptr<CoreStreams> streams_;
  std::unique_ptr<CoreTaskState> state_;
  std::vector<uint8_t> delivered_;
};

// A frame as the beats the AXI4-Stream bus carries (TKEEP contiguous from byte 0, TLAST on the
// last, TID = in_port); `out` is the lane's rx stream (lane_of(in_port)).
void frame_to_beats(const uint8_t* frame, uint32_t len, uint8_t in_port, hls::stream<AxisBeat>& out);

// What the core decided about one frame, from the items its traced streams carried (the
// soft card's runner and the co-simulation collect the same items).
FrameResult frame_result_of(const FrameTrace& t);

}  // namespace core
}  // namespace broker
