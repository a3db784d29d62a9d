// The data path: per frame, parse -> key -> hash -> select member -> count. The per-frame
// function is what every card runs; broker_core_top wraps it as the free-running 512-bit
// AXI4-Stream kernel that Vitis HLS synthesizes.
#pragma once
#include "core_config.h"
#include "csr.h"
#include "hls_compat.h"
#include "packet_fields.h"

namespace broker {
namespace core {

// Why a frame went where it went: the decision log and ExplainPacket are made of this.
struct Decision {
  uint8_t out_port;   // kNoPort when dropped
  uint8_t group;      // kNoGroup when the ingress port is unmapped
  uint8_t slot;       // member slot within the group
  uint16_t bucket;
  uint32_t hash;
  bool new_flow;      // dynamic: the bucket was free and got a member
  bool avoided;       // dynamic: the static member was at or above the threshold
};

// Everything one frame produces. fields and key are outputs for tracing; the caller owns them.
struct FrameResult {
  PacketFields fields;
  uint8_t key[kKeyBytes];
  Decision decision;
};

// Decides one frame: parse, key, hash, select; updates the flow table and the flow counters
// (new flows, threshold avoidance). frame_len may be larger than the bytes known so far (the
// fabric decides once the header window is in, before the frame's end).
void decide_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, uint8_t in_port,
                  uint64_t now_us, const CoreConfig& cfg, const uint16_t util_bp[kOutPorts],
                  FlowTable& flows, CoreCounters& counters, FrameResult& out);

// Counts a frame once its length is known: RX, TX, group, malformed, fragment, depth, drops.
void count_frame(const Decision& d, const PacketFields& f, uint8_t in_port, uint32_t frame_len,
                 CoreCounters& counters);

// decide_frame + count_frame, for callers that have the whole frame (soft card, tests).
//   hdr: the first min(frame_len, kParseBytes) bytes; frame_len: whole frame length in bytes;
//   now_us: the microsecond time base; util_bp: each egress port's current TX utilization.
void process_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, uint8_t in_port,
                   uint64_t now_us, const CoreConfig& cfg, const uint16_t util_bp[kOutPorts],
                   FlowTable& flows, CoreCounters& counters, FrameResult& out);

// Clears the flow table (COMMAND.CLEAR_FLOWS) and the counters (COMMAND.CLEAR_COUNTERS).
void clear_flows(FlowTable& flows);
void clear_counters(CoreCounters& counters);

// ---- The fabric kernel ----------------------------------------------------------------
// TID carries the ingress port on RX; TDEST the egress port on TX. A dropped frame emits
// no beats.
typedef ap_axiu<512, 0, 8, 8> AxisBeat;

constexpr int kBeatQueue = 8;   // holds a frame's header beats until its decision is made
constexpr int kPendingQueue = 8;

// A decided frame waiting for its beats to leave.
struct PendingFrame {
  Decision decision;
  uint8_t in_port;
  PacketFields fields;
};

// Everything the kernel keeps between calls. In fabric it is the kernel's static state; the
// native build keeps it in an object so several simulated cards can live in one process.
struct KernelState {
  CoreState core;  // configuration, counters, flow table
  // input side: the frame whose header is being captured
  uint8_t hdr[kParseBytes];
  uint32_t in_bytes;
  bool in_frame;
  bool in_decided;
  uint8_t in_port;
  // beats between input and output, and decisions in frame order
  AxisBeat beats[kBeatQueue];
  uint8_t beat_head, beat_count;
  PendingFrame pending[kPendingQueue];
  uint8_t pend_head, pend_count;
  // output side
  uint32_t out_bytes;
};

void reset_kernel_state(KernelState& st);

// CSR traffic from the RTL CSR block: a write is {address[63:32], data[31:0]}; a counter
// read is an address on ctr_req answered by one word on ctr_rsp.
typedef ap_uint<64> CsrWrite;
typedef ap_uint<32> CsrWord;

// One step of the kernel: at most one CSR write, one counter read, one RX beat in and one
// TX beat out. Frames are held for at most kHeaderBeats beats while their header is parsed.
void broker_core_step(hls::stream<AxisBeat>& rx, hls::stream<AxisBeat>& tx,
                      hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWord>& ctr_req,
                      hls::stream<CsrWord>& ctr_rsp, uint64_t now_us,
                      const uint16_t util_bp[kOutPorts], KernelState& st);

// The synthesized top: broker_core_step on the kernel's own static state (ap_ctrl_none,
// PIPELINE II=1). util_bp packs each egress port's TX utilization, port p in bits
// [16p+15:16p], from the RTL meters; now_us is the RTL microsecond tick.
void broker_core_top(hls::stream<AxisBeat>& rx, hls::stream<AxisBeat>& tx,
                     hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWord>& ctr_req,
                     hls::stream<CsrWord>& ctr_rsp, uint64_t now_us, ap_uint<256> util_bp);

}  // namespace core
}  // namespace broker
