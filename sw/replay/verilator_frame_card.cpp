#include "verilator_frame_card.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "native/pipeline.h"

namespace broker::replay {

using cards::VerilatorCard;

namespace {

// The golden model of termination and segment tags: the frame the core must deliver for `in`
// after its decision (the outer headers removed; an IP payload of GRE under a made Ethernet
// header; the segment tag after the MACs).
std::vector<uint8_t> expected_out(const std::vector<uint8_t>& in, const core::FrameResult& r) {
  std::vector<uint8_t> out(in.begin() + std::min<size_t>(r.term.strip, in.size()), in.end());
  if (r.term.l3 && out.size() >= 14) {
    std::fill(out.begin(), out.begin() + 12, 0);
    out[12] = uint8_t(r.fields.ethertype >> 8);
    out[13] = uint8_t(r.fields.ethertype);
  }
  if (r.decision.seg_vid != 0 && out.size() >= 12) {
    const uint8_t tag[4] = {0x81, 0x00, uint8_t(r.decision.seg_vid >> 8), uint8_t(r.decision.seg_vid)};
    out.insert(out.begin() + 12, tag, tag + 4);
  }
  return out;
}

}  // namespace

VerilatorFrameCard::VerilatorFrameCard(VerilatorCard& card) : card_(card) {
  if (!card_.run_until_idle())
    throw std::runtime_error("verilator card: the model does not go idle after configuration");
  card_.take_egress();
  card_.take_decisions();
  core_base_ = card_.frames_into_core();
}

uint64_t VerilatorFrameCard::into_core() const { return card_.frames_into_core() - core_base_; }

void VerilatorFrameCard::forward(uint8_t in_port, uint64_t /*ts_ns: the model keeps its own time*/,
                                 const uint8_t* frame, uint32_t len, const Done& done) {
  if (in_port >= VerilatorCard::kInPorts)
    throw std::invalid_argument(fmt::format("verilator card: no ingress port {}", in_port));
  // Another port may start only when every frame sent before has been decided: frames waiting
  // in two ingress FIFOs at once would pass a lane's arbiter in its round-robin order, and a
  // frame of the other lane could reach the shared tasks first.
  if (last_port_ >= 0 && in_port != last_port_)
    run_until([&] { return into_core() == sent_total_ && decided_ == sent_.size(); }, done,
              "the core to decide the frames sent before");
  run_until([&] { return sent_.size() < kWindow; }, done, "frames in flight to leave");
  sent_.push_back(Sent{in_port, std::vector<uint8_t>(frame, frame + len)});
  card_.send(in_port, frame, len);
  ++sent_total_;
  last_port_ = in_port;
}

void VerilatorFrameCard::finish(const Done& done) {
  run_until([&] { return sent_.empty(); }, done, "the last frames to leave");
  if (!card_.run_until_idle()) throw std::runtime_error("verilator card: the model does not go idle");
  collect(done);
  for (int p = 0; p < VerilatorCard::kOutPorts; ++p)
    if (!egress_[size_t(p)].empty())
      throw std::runtime_error(fmt::format("verilator card: egress port {} sent {} frame(s) the core "
                                           "decided for no port", p, egress_[size_t(p)].size()));
}

template <class Pred>
void VerilatorFrameCard::run_until(Pred until, const Done& done, const char* what) {
  uint64_t quiet = 0, seen = reported_;
  size_t decided = decided_;
  while (!until()) {
    card_.step(1);
    collect(done);
    if (reported_ != seen || decided_ != decided) {
      seen = reported_;
      decided = decided_;
      quiet = 0;
    } else if (++quiet > kStuckCycles) {
      throw std::runtime_error(fmt::format("verilator card: no frame decided or out in {} cycles "
                                           "while waiting for {} ({} frame(s) in flight)",
                                           kStuckCycles, what, sent_.size()));
    }
  }
}

void VerilatorFrameCard::collect(const Done& done) {
  for (const VerilatorCard::DecidedFrame& d : card_.take_decisions()) {
    if (decided_ >= sent_.size())
      throw std::runtime_error(fmt::format("verilator card: the core decided a frame after frame {}, "
                                           "which was not sent", reported_ + decided_));
    Sent& s = sent_[decided_];
    const unsigned port = d.trace.parsed.in_port.to_uint();
    if (port != s.in_port)
      throw std::runtime_error(fmt::format(
          "verilator card: frame {} in replay order went in on ingress port {}, but the core's "
          "next decision is for a frame from port {}", reported_ + decided_ + 1, s.in_port, port));
    s.result = core::frame_result_of(d.trace);
    // Dropped whole at its egress queue (TX_DROPS): nothing leaves, and the decision log shows
    // the copy without an out_port.
    if (d.cycles.tx_dropped()) {
      core::Decision& r = s.result.decision;
      r.out_mask = uint16_t(r.out_mask & ~d.cycles.tx_dropped_ports);
      for (int g = 0; g < core::kGroups; ++g)
        if (r.port_of[g] < core::kOutPorts && (d.cycles.tx_dropped_ports >> r.port_of[g] & 1)) r.port_of[g] = core::kNoPort;
      if (r.out_port < core::kOutPorts && (d.cycles.tx_dropped_ports >> r.out_port & 1))
        r.out_port = r.out_mask != 0 ? uint8_t(__builtin_ctz(r.out_mask)) : core::kNoPort;
    }
    ++decided_;
  }
  for (VerilatorCard::Frame& f : card_.take_egress()) egress_.at(f.port).push_back(std::move(f.data));

  // Report the oldest frames whose decision and (unless dropped) egress frames are all in: one
  // per port of its out_mask (several when a filter replicates it).
  while (decided_ > 0) {
    const Sent& s = sent_.front();
    std::array<std::vector<uint8_t>, VerilatorCard::kOutPorts> got;
    std::vector<std::pair<uint8_t, std::deque<std::vector<uint8_t>>::iterator>> found;
    for (uint32_t mask = s.result.decision.out_mask; mask != 0; mask &= mask - 1) {
      const auto out = uint8_t(__builtin_ctz(mask));
      if (out >= VerilatorCard::kOutPorts)
        throw std::runtime_error(fmt::format("verilator card: frame {} decided for egress port {}, "
                                             "which the model does not have", reported_ + 1, out));
      // A port's two lane queues take turns as their frames are stored whole: a shorter frame of
      // the other lane may leave before this one. Each lane keeps its order.
      auto& q = egress_[out];
      // A port that wraps frames in a tunnel: the frame after its outer header (cut to the
      // slice); the header itself, whose sequence number follows the port's sending order, is
      // the co-simulation suite's to check (sim/tb/tunnels_test.cpp). What is reported is what
      // the wire carried.
      std::vector<uint8_t> want = expected_out(s.data, s.result);
      const uint32_t hdr = card_.wrap_header_len(out), slice = card_.wrap_slice(out);
      if (slice != 0 && want.size() > slice) want.resize(slice);
      const auto it = std::find_if(q.begin(), q.end(), [&](const std::vector<uint8_t>& w) {
        return w.size() == hdr + want.size() && std::equal(want.begin(), want.end(), w.begin() + hdr);
      });
      if (it == q.end()) {
        if (q.size() > sent_.size())
          throw std::runtime_error(fmt::format(
              "verilator card: frame {} in replay order ({} bytes from ingress port {}) was decided for "
              "egress port {}, but none of the {} frames out of that port is it",
              reported_ + 1, s.data.size(), s.in_port, out, q.size()));
        return;
      }
      got[out] = *it;
      found.emplace_back(out, it);
    }
    for (auto& [out, it] : found) egress_[out].erase(it);
    done(s.result, [&got](uint8_t port) -> const std::vector<uint8_t>& { return got[port]; });
    sent_.pop_front();
    --decided_;
    ++reported_;
  }
}

}  // namespace broker::replay
