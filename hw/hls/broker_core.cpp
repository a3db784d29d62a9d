#include "broker_core.h"

#include "hash.h"
#include "hash_key.h"
#include "parser.h"

namespace broker {
namespace core {
namespace {

inline bool slot_live(uint16_t live, int slot) { return (live >> slot) & 1; }

inline int popcount16(uint16_t v) {
  int n = 0;
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    n += (v >> i) & 1;
  }
  return n;
}

// The n-th (0-based) live slot. Only used while a removal is in flight and the indirection
// table still names a slot that is no longer live: its buckets spread over the live ones.
uint8_t nth_live_slot(uint16_t live, int n) {
  uint8_t found = 0;
  int seen = 0;
  for (int m = 0; m < kMembers; ++m) {
#pragma HLS UNROLL
    if (slot_live(live, m)) {
      if (seen == n) found = uint8_t(m);
      ++seen;
    }
  }
  return found;
}

uint8_t static_slot(const CoreConfig& cfg, const GroupConfig& g, uint8_t group, uint16_t bucket) {
  const uint8_t slot = cfg.ind[group][bucket] & (kMembers - 1);
  if (slot_live(g.live, slot)) return slot;
  return nth_live_slot(g.live, bucket % popcount16(g.live));
}

// Lowest utilization wins; on a tie the lower slot, so the choice is deterministic.
uint8_t least_utilized_slot(const GroupConfig& g, const uint16_t util_bp[kOutPorts]) {
  uint8_t best = 0;
  uint32_t best_util = 0xFFFFFFFFu;
  for (int m = 0; m < kMembers; ++m) {
#pragma HLS UNROLL
    if (slot_live(g.live, m)) {
      const uint32_t u = util_bp[g.member_port[m] % kOutPorts];
      if (u < best_util) {
        best_util = u;
        best = uint8_t(m);
      }
    }
  }
  return best;
}

uint8_t dynamic_slot(const CoreConfig& cfg, const GroupConfig& g, uint8_t group, uint16_t bucket,
                     uint64_t now_us, const uint16_t util_bp[kOutPorts], FlowTable& flows,
                     Decision& d) {
  const bool valid = flows.valid[group][bucket];
  const uint8_t held = flows.slot[group][bucket];
  // A 64-bit microsecond time base never wraps, so any silence longer than the timeout
  // frees the bucket (a 32-bit one would make a bucket idle for 71.6 minutes look fresh).
  // A time before the last sighting (frames merged out of order) counts as no silence.
  const uint64_t last = flows.last_seen_us[group][bucket];
  const uint64_t age = now_us > last ? now_us - last : 0;
  uint8_t slot;
  if (valid && age <= g.idle_us && slot_live(g.live, held)) {
    slot = held;
  } else {
    slot = static_slot(cfg, g, group, bucket);
    if (util_bp[g.member_port[slot] % kOutPorts] >= g.threshold_bp) {
      const uint8_t alt = least_utilized_slot(g, util_bp);
      if (alt != slot) {
        slot = alt;
        d.avoided = true;
      }
    }
    flows.valid[group][bucket] = true;
    flows.slot[group][bucket] = slot;
    d.new_flow = true;
  }
  if (now_us > last) flows.last_seen_us[group][bucket] = now_us;
  return slot;
}

}  // namespace

void decide_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, uint8_t in_port,
                  uint64_t now_us, const CoreConfig& cfg, const uint16_t util_bp[kOutPorts],
                  FlowTable& flows, CoreCounters& counters, FrameResult& out) {
  Decision& d = out.decision;
  d.out_port = kNoPort;
  d.group = kNoGroup;
  d.slot = 0;
  d.bucket = 0;
  d.hash = 0;
  d.new_flow = false;
  d.avoided = false;

  parse_frame(hdr, frame_len, out.fields);

  const uint8_t map = in_port < kInPorts ? cfg.in_map[in_port] : 0;
  const uint8_t group = map & (kGroups - 1);
  const GroupConfig& g = cfg.group[group];
  if (!(map & kInMapValid)) {
    for (int i = 0; i < kKeyBytes; ++i) out.key[i] = 0;
    return;
  }
  d.group = group;
  build_key(out.fields, in_port, g.tuple, g.symmetric, out.key);
  d.hash = g.hash == kHashXor16 ? uint32_t(xor16_key(out.key)) : crc32_key(out.key);
  d.bucket = uint16_t(d.hash & (kBuckets - 1));
  if (!cfg.enable || !g.enable || g.live == 0) return;

  d.slot = g.mode == kModeDynamic
               ? dynamic_slot(cfg, g, group, d.bucket, now_us, util_bp, flows, d)
               : static_slot(cfg, g, group, d.bucket);
  d.out_port = g.member_port[d.slot];
  if (d.out_port >= kOutPorts) d.out_port = kNoPort;
  if (d.new_flow) ++counters.grp_new_flows[group];
  if (d.avoided) ++counters.threshold_avoids;
}

void count_frame(const Decision& d, const PacketFields& f, uint8_t in_port, uint32_t frame_len,
                 CoreCounters& c) {
  if (in_port < kInPorts) {
    ++c.rx_pkts[in_port];
    c.rx_bytes[in_port] += frame_len;
  }
  if (f.malformed) ++c.malformed;
  if (f.fragment) ++c.fragments;
  if (f.depth_exceeded) ++c.depth_exceeded;
  if (d.out_port == kNoPort) {
    ++c.unmapped_drops;
    return;
  }
  ++c.tx_pkts[d.out_port];
  c.tx_bytes[d.out_port] += frame_len;
  ++c.grp_pkts[d.group];
}

void process_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, uint8_t in_port,
                   uint64_t now_us, const CoreConfig& cfg, const uint16_t util_bp[kOutPorts],
                   FlowTable& flows, CoreCounters& counters, FrameResult& out) {
  decide_frame(hdr, frame_len, in_port, now_us, cfg, util_bp, flows, counters, out);
  count_frame(out.decision, out.fields, in_port, frame_len, counters);
}

void clear_flows(FlowTable& flows) {
  for (int g = 0; g < kGroups; ++g)
    for (int b = 0; b < kBuckets; ++b) {
      flows.valid[g][b] = false;
      flows.slot[g][b] = 0;
      flows.last_seen_us[g][b] = 0;
    }
}

void clear_counters(CoreCounters& c) { c = CoreCounters{}; }

// ---- The fabric kernel ----------------------------------------------------------------

namespace {

// Bytes in a beat: TKEEP is contiguous from byte 0 on this bus.
inline uint32_t beat_bytes(const AxisBeat& b) {
  uint32_t n = 0;
  for (int i = 0; i < kBeatBytes; ++i) {
#pragma HLS UNROLL
    n += b.keep[i] ? 1 : 0;
  }
  return n;
}

inline uint8_t beat_byte(const AxisBeat& b, int i) {
#if BROKER_WITH_AMD_HLS
  return uint8_t(b.data.range(8 * i + 7, 8 * i));
#else
  return b.data.byte(i);
#endif
}

}  // namespace

void reset_kernel_state(KernelState& st) {
  st.core.cfg = CoreConfig{};
  clear_counters(st.core.counters);
  clear_flows(st.core.flows);
  st.core.counter_hi_latch = 0;
  for (int i = 0; i < kParseBytes; ++i) st.hdr[i] = 0;
  st.in_bytes = 0;
  st.in_frame = false;
  st.in_decided = false;
  st.in_port = 0;
  st.beat_head = st.beat_count = 0;
  st.pend_head = st.pend_count = 0;
  st.out_bytes = 0;
}

void broker_core_step(hls::stream<AxisBeat>& rx, hls::stream<AxisBeat>& tx,
                      hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWord>& ctr_req,
                      hls::stream<CsrWord>& ctr_rsp, uint64_t now_us,
                      const uint16_t util_bp[kOutPorts], KernelState& st) {
#pragma HLS INLINE
  CoreState& core = st.core;

  // Management: a register write or a counter read from the CSR block.
  if (!csr_wr.empty()) {
    CsrWrite w = csr_wr.read();
    csr_write(uint32_t(w.range(63, 32)), uint32_t(w.range(31, 0)), core);
  }
  if (!ctr_req.empty()) {
    const uint32_t addr = uint32_t(ctr_req.read());
    uint32_t value = 0;
    if (!csr_read_counter(addr, core, value)) value = 0;
    ctr_rsp.write(CsrWord(value));
  }

  // Input: capture the header window, decide once it is complete (or the frame ended).
  if (!rx.empty() && st.beat_count < kBeatQueue && st.pend_count < kPendingQueue) {
    AxisBeat beat = rx.read();
    if (!st.in_frame) {
      st.in_frame = true;
      st.in_decided = false;
      st.in_bytes = 0;
      st.in_port = uint8_t(beat.id);
    }
    const uint32_t n = beat_bytes(beat);
  capture:
    for (int i = 0; i < kBeatBytes; ++i) {
#pragma HLS UNROLL
      const uint32_t at = st.in_bytes + i;
      if (uint32_t(i) < n && at < uint32_t(kParseBytes)) st.hdr[at] = beat_byte(beat, i);
    }
    st.in_bytes += n;
    st.beats[(st.beat_head + st.beat_count) % kBeatQueue] = beat;
    ++st.beat_count;
    const bool last = beat.last;
    if (!st.in_decided && (last || st.in_bytes >= uint32_t(kParseBytes))) {
      // Before the end is seen the length is unknown: the parser treats the window as full.
      const uint32_t len = last ? st.in_bytes : uint32_t(kMaxFrame);
      FrameResult r;
      decide_frame(st.hdr, len, st.in_port, now_us, core.cfg, util_bp, core.flows, core.counters, r);
      PendingFrame& p = st.pending[(st.pend_head + st.pend_count) % kPendingQueue];
      p.decision = r.decision;
      p.in_port = st.in_port;
      p.fields = r.fields;
      ++st.pend_count;
      st.in_decided = true;
    }
    if (last && st.in_bytes > uint32_t(kParseBytes)) {
      // Decided before its end was known: the length-dependent verdicts (malformed, depth)
      // are settled now with the real length, by the same parser on the same header bytes,
      // so every card counts a frame alike. Only flags change: the fields, and so the
      // decision, never depend on bytes past the parse window.
      PacketFields settled;
      parse_frame(st.hdr, st.in_bytes, settled);
      PendingFrame& p = st.pending[(st.pend_head + st.pend_count - 1) % kPendingQueue];
      p.fields.malformed = settled.malformed;
      p.fields.depth_exceeded = settled.depth_exceeded;
    }
    if (last) st.in_frame = false;
  }

  // Output: one beat per call, tagged with the frame's egress port; dropped frames vanish.
  if (st.pend_count > 0 && st.beat_count > 0) {
    AxisBeat beat = st.beats[st.beat_head];
    st.beat_head = (st.beat_head + 1) % kBeatQueue;
    --st.beat_count;
    const PendingFrame& p = st.pending[st.pend_head];
    st.out_bytes += beat_bytes(beat);
    if (p.decision.out_port != kNoPort) {
      beat.dest = p.decision.out_port;
      tx.write(beat);
    }
    if (beat.last) {
      count_frame(p.decision, p.fields, p.in_port, st.out_bytes, core.counters);
      st.out_bytes = 0;
      st.pend_head = (st.pend_head + 1) % kPendingQueue;
      --st.pend_count;
    }
  }
}

void broker_core_top(hls::stream<AxisBeat>& rx, hls::stream<AxisBeat>& tx,
                     hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWord>& ctr_req,
                     hls::stream<CsrWord>& ctr_rsp, uint64_t now_us, ap_uint<256> util_bp) {
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
#pragma HLS INTERFACE mode=axis port=rx
#pragma HLS INTERFACE mode=axis port=tx
#pragma HLS INTERFACE mode=axis port=csr_wr
#pragma HLS INTERFACE mode=axis port=ctr_req
#pragma HLS INTERFACE mode=axis port=ctr_rsp
#pragma HLS INTERFACE mode=ap_none port=now_us
#pragma HLS INTERFACE mode=ap_none port=util_bp
#pragma HLS PIPELINE II=1
  // Static state is zero at reset (Vitis resets statics; C++ zero-initializes them), which is
  // reset_kernel_state's result.
  static KernelState st;
#pragma HLS ARRAY_PARTITION variable=st.hdr type=complete
  uint16_t util[kOutPorts];
unpack_util:
  for (int p = 0; p < kOutPorts; ++p) {
#pragma HLS UNROLL
    util[p] = uint16_t(util_bp.range(16 * p + 15, 16 * p));
  }
  broker_core_step(rx, tx, csr_wr, ctr_req, ctr_rsp, now_us, util, st);
}

}  // namespace core
}  // namespace broker
