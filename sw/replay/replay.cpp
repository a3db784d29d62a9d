#include "replay.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "decision_log.h"
#include "native/frame_api.h"
#include "pcap_source.h"

namespace broker::replay {
namespace {

// A bidirectional session's identity for the summary: the core's own symmetric key over the
// 5-tuple (or, without IP, the MAC pair and EtherType), so both directions and all fragments
// of a datagram count as one, exactly as the data path keeps them together.
uint64_t session_id(const core::PacketFields& f) {
  const uint16_t mask = f.ip_version
                            ? uint16_t(core::kTupleSrcIp | core::kTupleDstIp | core::kTupleSrcPort |
                                       core::kTupleDstPort | core::kTupleIpProto)
                            : uint16_t(core::kTupleSrcMac | core::kTupleDstMac | core::kTupleEthertype);
  uint8_t key[core::kKeyBytes];
  core::build_key(f, 0, mask, true, key);
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the key: a set member, not a bucket
  for (uint8_t byte : key) h = (h ^ byte) * 0x100000001b3ull;
  return h;
}

struct Pending {
  std::unique_ptr<io::PcapSource> source;
  io::Frame frame;
  bool has = false;
  uint64_t frame_no = 0;  // of the frame in `frame`, from 1
  uint8_t port = 0;
};

// A frame handed to the card whose decision has not come back yet.
struct InFlight {
  uint64_t frame_no = 0;
  uint8_t port = 0;
  io::Frame frame;
};

}  // namespace

Summary run(cards::SoftCard& card, driver::Driver& driver, const Options& options) {
  SoftFrameCard frames(card);
  return run(frames, driver, options);
}

Summary run(FrameCard& card, driver::Driver& driver, const Options& options) {
  std::vector<Pending> inputs(options.inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i].source = std::make_unique<io::PcapSource>(options.inputs[i].path);
    inputs[i].port = options.inputs[i].port;
    inputs[i].has = inputs[i].source->next(inputs[i].frame);
    inputs[i].frame_no = 1;
  }

  // Every egress port that is a member somewhere gets a capture, even if nothing reaches it.
  const v1::Config& cfg = driver.applied();
  std::map<uint32_t, std::string> names;
  for (const auto& g : cfg.groups())
    for (uint32_t m : g.members()) names[m];
  for (const auto& e : cfg.egress_ports())
    if (names.count(e.port())) names[e.port()] = e.name();

  std::map<uint32_t, std::unique_ptr<io::PcapSink>> sinks;
  auto sink_for = [&](uint32_t port) -> io::PcapSink* {
    if (options.out_dir.empty()) return nullptr;
    auto& s = sinks[port];
    if (!s) s = std::make_unique<io::PcapSink>((options.out_dir / fmt::format("egress-{}.pcap", port)).string());
    return s.get();
  };
  if (!options.out_dir.empty()) {
    std::filesystem::create_directories(options.out_dir);
    for (const auto& [port, name] : names) sink_for(port);
  }

  std::unique_ptr<driver::DecisionLogWriter> log;
  if (options.log) log = std::make_unique<driver::DecisionLogWriter>(options.log, driver.filter_names());

  Summary sum;
  std::map<uint32_t, std::unordered_set<uint64_t>> sessions;
  std::map<uint32_t, EgressSummary> egress;
  for (const auto& [port, name] : names) egress[port].port = port;

  // The card reports decisions in the order frames went in: the oldest in flight is this one.
  std::deque<InFlight> in_flight;
  const FrameCard::Done done = [&](const core::FrameResult& r, const FrameCard::DeliveredTo& delivered_to) {
    if (in_flight.empty()) throw std::runtime_error("replay: the card reported a frame that was not sent");
    const InFlight& x = in_flight.front();
    const io::Frame& f = x.frame;
    const uint32_t len = uint32_t(f.data.size());
    if (r.fields.malformed) ++sum.malformed;
    if (log) log->write(x.frame_no, x.port, f.ts_ns, len, r);
    if (r.decision.out_mask == 0) ++sum.dropped;
    else ++sum.frames_out;
    // One copy per port (several when a filter replicates the frame).
    for (uint32_t mask = r.decision.out_mask; mask != 0; mask &= mask - 1) {
      const auto out = uint8_t(__builtin_ctz(mask));
      const std::vector<uint8_t>& delivered = delivered_to(out);
      EgressSummary& e = egress[out];
      e.port = out;
      ++e.packets;
      e.bytes += delivered.size();
      sessions[out].insert(session_id(r.fields));
      // A snapped record stays snapped by as much: its wire length changes as its bytes did.
      if (io::PcapSink* s = sink_for(out))
        s->write(f.ts_ns, delivered.data(), uint32_t(delivered.size()),
                 uint32_t(f.wire_len + delivered.size() - len));
    }
    in_flight.pop_front();
  };

  for (;;) {
    Pending* next = nullptr;
    for (auto& in : inputs)
      if (in.has && (!next || in.frame.ts_ns < next->frame.ts_ns)) next = &in;
    if (!next) break;

    // A record without a byte (caplen 0) holds nothing to put on the wire: a port never
    // delivers an empty frame, and an AXI4-Stream transfer carries at least one byte. So a
    // replay skips it on every card (not sent, not logged, counted); `frame` keeps counting
    // the file's records, so each log row still names its record.
    if (next->frame.data.empty()) {
      ++sum.empty_skipped;
    } else {
      if (options.before_frame) {
        card.finish(done);
        options.before_frame(sum.frames_in);
      }
      ++sum.frames_in;
      sum.bytes_in += next->frame.data.size();
      in_flight.push_back(InFlight{next->frame_no, next->port, std::move(next->frame)});
      const io::Frame& f = in_flight.back().frame;
      card.forward(next->port, f.ts_ns, f.data.data(), uint32_t(f.data.size()), done);
    }
    next->frame = io::Frame{};
    next->has = next->source->next(next->frame);
    ++next->frame_no;
  }
  card.finish(done);
  if (!in_flight.empty())
    throw std::runtime_error(fmt::format("replay: the card did not report {} frame(s)", in_flight.size()));
  for (auto& [port, s] : sinks) s->close();

  const driver::Counters counters = driver.counters();
  uint64_t total_bytes = 0;
  for (const auto& [port, e] : egress) total_bytes += e.bytes;
  for (auto& [port, e] : egress) {
    e.name = names.count(port) ? names[port] : "";
    e.sessions = sessions[port].size();
    e.share = total_bytes ? double(e.bytes) / double(total_bytes) : 0;
    e.peak_util_bp = port < counters.tx.size() ? counters.tx[port].peak_bp : 0;
    if (sinks.count(port)) e.pcap = sinks[port]->path();
    sum.egress.push_back(e);
  }
  return sum;
}

void print_summary(std::FILE* out, const Summary& s) {
  fmt::print(out, "{:>6}  {:<16} {:>10} {:>14} {:>9} {:>7} {:>10}  {}\n", "egress", "name", "packets",
             "bytes", "sessions", "share", "peak util", "capture");
  for (const auto& e : s.egress)
    fmt::print(out, "{:>6}  {:<16} {:>10} {:>14} {:>9} {:>6.1f}% {:>9.2f}%  {}\n", e.port, e.name,
               e.packets, e.bytes, e.sessions, 100.0 * e.share, e.peak_util_bp / 100.0, e.pcap);
  fmt::print(out, "frames in {}, out {}, dropped {}, malformed (forwarded) {}, bytes in {}{}\n",
             s.frames_in, s.frames_out, s.dropped, s.malformed, s.bytes_in,
             s.empty_skipped ? fmt::format(", empty records skipped {}", s.empty_skipped) : "");
}

}  // namespace broker::replay
