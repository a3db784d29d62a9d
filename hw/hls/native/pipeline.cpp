#include "pipeline.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace broker {
namespace core {

namespace {

// The traced items of the one frame in flight.
struct FrameTap {
  FrameTrace trace;
  int events = 0;
  void operator()(const ParsedItem& x, TraceStream) { trace.parsed = x; }
  // A replicated frame's key and hash: its first copy's, as FrameTraceZip takes them.
  void operator()(const KeyItem& x, TraceStream) {
    if (first_copy(x)) trace.keyed = x;
  }
  void operator()(const HashedItem& x, TraceStream) {
    if (first_copy(x)) trace.hashed = x;
  }
  void operator()(const DecisionItem& x, TraceStream) { trace.decision = x; }
  void operator()(const StatsEvent& x, TraceStream) {
    trace.stats_ev = x;
    ++events;
  }
};

// The bytes a frame left with: its length in the core, and a segment tag's 4 when pushed.
uint32_t delivered_len(const StatsEvent& e) { return e.len.to_uint() + (e.seg_tag ? 4 : 0); }

}  // namespace

ap_uint<256> pack_util(const uint16_t util_bp[kOutPorts]) {
  ap_uint<256> u = 0;
  for (int p = 0; p < kOutPorts; ++p) u.range(16 * p + 15, 16 * p) = util_bp[p];
  return u;
}

void frame_to_beats(const uint8_t* frame, uint32_t len, uint8_t in_port, hls::stream<AxisBeat>& out) {
  uint32_t at = 0;
  do {
    const uint32_t n = len - at < uint32_t(kBeatBytes) ? len - at : uint32_t(kBeatBytes);
    AxisBeat b;
    b.data = 0;
    for (uint32_t w = 0; w * 8 < n; ++w) {
      uint8_t word[8] = {};
      std::memcpy(word, frame + at + 8 * w, n - 8 * w < 8 ? n - 8 * w : 8);
      uint64_t v = 0;
      for (int i = 7; i >= 0; --i) v = (v << 8) | word[i];
      b.data.range(64 * w + 63, 64 * w) = v;
    }
    b.keep = n == 64 ? ~uint64_t(0) : ((uint64_t(1) << n) - 1);
    b.strb = b.keep;
    b.last = at + n == len ? 1 : 0;
    b.id = in_port;
    b.dest = 0;
    out.write(b);
    at += n;
  } while (at < len);
}

Pipeline::Pipeline() : streams_(new CoreStreams), state_(new CoreTaskState) { reset_task_state(*state_); }

Pipeline::Pipeline(const CoreTaskState& state)
    : streams_(new CoreStreams), state_(new CoreTaskState(state)) {}

void Pipeline::step(uint64_t now_us, const uint16_t util_bp[kOutPorts], uint16_t link_up) {
  const NoTap tap;
  core_step(*streams_, *state_, Time(now_us), pack_util(util_bp), ap_uint<16>(link_up), tap);
}

void Pipeline::post_csr(uint32_t addr, uint32_t data) {
  streams_->csr_wr.write((CsrWrite(addr) << 32) | CsrWrite(data));
}

void Pipeline::flush_csr(uint64_t now_us) {
  const uint16_t idle[kOutPorts] = {};
  CoreStreams& s = *streams_;
  // One write per step: the fan-out passes it on and each task takes it in the same step.
  while (!s.csr_wr.empty() || !s.tunnel_cfg0.empty() || !s.tunnel_cfg1.empty() || !s.filter_cfg.empty() || !s.key_cfg.empty() ||
         !s.select_cfg.empty() || !s.stats_cfg.empty())
    step(now_us, idle);
}

void Pipeline::write_csr(uint32_t addr, uint32_t data, uint64_t now_us) {
  post_csr(addr, data);
  flush_csr(now_us);
}

uint32_t Pipeline::read_counter(uint32_t addr) {
  const uint16_t idle[kOutPorts] = {};
  streams_->ctr_req.write(addr);
  step(0, idle);
  if (streams_->ctr_rsp.empty()) throw std::logic_error("core: no counter response");
  return streams_->ctr_rsp.read().to_uint();
}

void Pipeline::forward(uint8_t in_port, const uint8_t* frame, uint32_t len, uint64_t now_us,
                       const uint16_t util_bp[kOutPorts], FrameResult& out, uint16_t link_up) {
  CoreStreams& s = *streams_;
  hls::stream<AxisBeat>& rx = lane_of(in_port) == 0 ? s.rx0 : s.rx1;
  hls::stream<AxisBeat>& tx = lane_of(in_port) == 0 ? s.tx0 : s.tx1;
  frame_to_beats(frame, len, in_port, rx);
  const uint32_t beats = len == 0 ? 1 : (len + kBeatBytes - 1) / kBeatBytes;
  const ap_uint<256> util = pack_util(util_bp);
  FrameTap tap;
  int tx_beats = 0;
  bool dest_ok = true;
  delivered_.clear();
  auto step_and_take = [&] {
    core_step(s, *state_, Time(now_us), util, ap_uint<16>(link_up), tap);
    while (!tx.empty()) {
      const AxisBeat b = tx.read();
      ++tx_beats;
      dest_ok = dest_ok && b.dest == tap.trace.decision.out_mask;
      const size_t at = delivered_.size();
      int n = 0;
      while (n < kBeatBytes && b.keep[n]) ++n;
      delivered_.resize(at + n);
      bytes_of(b.data, delivered_.data() + at, n);
    }
  };
  // Every task takes one item per call, in graph order, so the last beat leaves within the
  // frame's beats plus the header window's; the bound only guards against a broken core.
  const uint32_t limit = beats + kHeaderBeats + 16 + kGroups;  // a replicated frame: one filter call per copy
  for (uint32_t i = 0; i < limit && tap.events == 0; ++i) step_and_take();
  if (tap.events != 1 || !rx.empty())
    throw std::logic_error("core: the frame did not leave the pipeline");
  const DecisionItem& d = tap.trace.decision;
  const uint32_t out_len = delivered_len(tap.trace.stats_ev);
  const uint32_t out_beats = out_len == 0 ? 1 : (out_len + kBeatBytes - 1) / kBeatBytes;
  // A segment tag can make one beat more than came in: it leaves in the step after the event.
  const bool sent = d.out_mask != 0;
  for (int i = 0; i < 2 && sent && tx_beats < int(out_beats); ++i) step_and_take();
  if (!dest_ok || (sent && (tx_beats != int(out_beats) || delivered_.size() != out_len)) || (!sent && tx_beats != 0))
    throw std::logic_error("core: the frame's beats left other than decided (" +
                           std::to_string(tx_beats) + " of " + std::to_string(out_beats) + " beats)");

  out = frame_result_of(tap.trace);
}

FrameResult frame_result_of(const FrameTrace& t) {
  FrameResult out;
  out.fields = to_packet_fields(t.parsed.f, t.stats_ev.malformed, t.stats_ev.depth_exceeded);
  bytes_of(t.keyed.key, out.key, kKeyBytes);
  const DecisionItem& d = t.decision;
  Decision& r = out.decision;
  r.out_mask = uint16_t(d.out_mask.to_uint());
  r.copy_groups = d.fv.hit ? (d.fv.drop ? uint16_t(0) : uint16_t(d.fv.groups.to_uint()))
                  : d.mapped ? uint16_t(1u << d.group.to_uint())
                             : uint16_t(0);
  for (int g = 0; g < kGroups; ++g) r.port_of[g] = uint8_t(d.port_of.range(8 * g + 7, 8 * g).to_uint());
  r.out_port = d.out_port != kNoPort ? uint8_t(d.out_port.to_uint())
               : r.out_mask != 0      ? uint8_t(__builtin_ctz(r.out_mask))
                                      : kNoPort;
  r.group = d.mapped ? uint8_t(d.group.to_uint()) : kNoGroup;
  r.slot = uint8_t(d.slot.to_uint());
  r.hash = d.mapped ? t.hashed.hash.to_uint() : 0;
  r.bucket = uint16_t(r.hash & (kBuckets - 1));
  r.new_flow = d.new_flow;
  r.avoided = d.avoided;
  r.frag_follow = d.frag_follow;
  r.frag_miss = d.frag_miss;
  r.filtered = d.fv.hit;
  r.rule = uint8_t(d.fv.rule.to_uint());
  r.filter_drop = d.fv.drop;
  r.seg_vid = uint16_t(d.seg_vid.to_uint());
  out.term.verdict = uint8_t(t.stats_ev.tun_out.verdict.to_uint());
  out.term.strip = uint8_t(t.stats_ev.tun_out.strip.to_uint());
  out.term.l3 = t.stats_ev.tun_out.l3;
  out.term.out_len = delivered_len(t.stats_ev);
  return out;
}

}  // namespace core
}  // namespace broker
