// Line rate through the whole top (ctest label `line-rate`): frames back to back on one ingress
// port, and both CMACs at 100 GbE line rate; through the ingress arbiter, the core composed of its tasks (one module per task, RTL FIFOs between them) and the
// egress queue of their tool port. What must hold whatever the latencies are is asserted: every
// frame out, same bytes, same order, no deadlock, a frame of n beats takes at least n cycles (a
// tool port that stops: congestion_test.cpp). What the composition measures (cycles per frame,
// per-stage latency) is printed as [ figures ] lines and recorded as test properties; of the
// paced runs only "nothing lost" is asserted, and nothing is timed on the wall clock.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;
constexpr uint8_t kTool = 3;
constexpr uint64_t kNever = VerilatorCard::StageCycles::kNever;

uint64_t beats_of(size_t len) { return (len + 63) / 64; }

struct Burst {
  uint64_t frames = 0, beats = 0;
  uint64_t first_in = 0, last_in = 0, first_out = 0, last_out = 0;
  std::vector<VerilatorCard::DecidedFrame> decided;
  uint64_t in_span() const { return last_in - first_in + 1; }
  uint64_t out_span() const { return last_out - first_out + 1; }
};

// Sends `frames` back to back on ingress 0 (one group, one member: kTool) and runs until idle.
Burst run_burst(const std::vector<std::vector<uint8_t>>& frames) {
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(one_path_config(kTool));
  EXPECT_TRUE(card.run_until_idle());
  card.take_egress();
  card.take_decisions();
  card.clear_stats();
  Burst b;
  for (const auto& f : frames) {
    card.send(0, f.data(), uint32_t(f.size()));
    b.beats += beats_of(f.size());
  }
  b.frames = frames.size();
  EXPECT_TRUE(card.run_until_idle(100 * b.beats + 100000)) << "no deadlock: the model goes idle";
  const auto in = card.rx_stats(0);
  const auto out = card.port_stats(kTool);
  b.first_in = in.first_beat_cycle;
  b.last_in = in.last_beat_cycle;
  b.first_out = out.first_beat_cycle;
  b.last_out = out.last_beat_cycle;
  EXPECT_EQ(in.beats, b.beats);
  EXPECT_EQ(out.beats, b.beats);

  // Every frame out on its tool port, byte for byte, in order.
  const auto got = card.take_egress();
  EXPECT_EQ(got.size(), frames.size());
  for (size_t i = 0; i < std::min(got.size(), frames.size()); ++i) {
    EXPECT_EQ(got[i].port, kTool) << "frame " << i;
    if (got[i].data != frames[i]) {
      ADD_FAILURE() << "frame " << i << " (" << frames[i].size() << " bytes) differs or is out of order";
      break;
    }
  }
  b.decided = card.take_decisions();
  EXPECT_EQ(b.decided.size(), frames.size()) << "one decision per frame";
  for (size_t i = 0; i < std::min(b.decided.size(), frames.size()); ++i) {
    const auto& d = b.decided[i];
    EXPECT_EQ(uint64_t(d.trace.decision.out_port), kTool) << "frame " << i;
    EXPECT_EQ(uint64_t(d.trace.stats_ev.len), frames[i].size()) << "frame " << i;
    // Structure of the timing: every stage seen, after the frame entered, before it left.
    const auto& c = d.cycles;
    const bool all_seen = c.core_in != kNever && c.core_out != kNever &&
                          std::find(c.fifo_in.begin(), c.fifo_in.end(), kNever) == c.fifo_in.end();
    if (!all_seen) {
      ADD_FAILURE() << "frame " << i << " missed a stage";
      break;
    }
    for (int s = 0; s < core::kStageCount; ++s)
      EXPECT_GE(c.fifo_in[size_t(s)], c.core_in) << "frame " << i << " stage " << s;
    EXPECT_GT(c.core_out, c.core_in) << "frame " << i;
  }
  // A frame of n beats takes n cycles at least, in and out.
  EXPECT_GE(b.in_span(), b.beats);
  EXPECT_GE(b.out_span(), b.beats);
  return b;
}

struct Spread {
  uint64_t min = ~uint64_t(0), max = 0;
  double sum = 0;
  uint64_t n = 0;
  void add(uint64_t v) {
    min = std::min(min, v);
    max = std::max(max, v);
    sum += double(v);
    ++n;
  }
  double mean() const { return n ? sum / double(n) : 0; }
  std::string str() const { return fmt::format("{}/{:.1f}/{}", min, mean(), max); }
};

// Prints and records the figures of a burst.
void report(const std::string& name, const Burst& b) {
  const double per_frame = double(b.out_span()) / double(b.frames);
  const double beats_per_frame = double(b.beats) / double(b.frames);
  Spread latency;
  std::vector<Spread> stage(core::kStageCount);
  for (const auto& d : b.decided) {
    latency.add(d.cycles.core_out - d.cycles.core_in);
    for (int s = 0; s < core::kStageCount; ++s) stage[size_t(s)].add(d.cycles.fifo_in[size_t(s)] - d.cycles.core_in);
  }
  std::printf("[ figures  ] %s: %llu frames, %llu beats: %.3f cycles per frame at the egress "
              "(%.3f beats per frame: %.3f cycles per beat), ingress %.3f cycles per frame\n",
              name.c_str(), (unsigned long long)b.frames, (unsigned long long)b.beats, per_frame,
              beats_per_frame, double(b.out_span()) / double(b.beats),
              double(b.in_span()) / double(b.frames));
  std::string stages;
  for (int s = 0; s < core::kStageCount; ++s)
    stages += fmt::format(" {} {}", core::stream_info(core::kStageStreams[s]).name, stage[size_t(s)].str());
  std::printf("[ figures  ] %s: cycles from a frame's first beat into the core to its item into each "
              "FIFO (min/mean/max):%s; to its first beat out of the core %s\n",
              name.c_str(), stages.c_str(), latency.str().c_str());
  ::testing::Test::RecordProperty("frames", int(b.frames));
  ::testing::Test::RecordProperty("beats", int(b.beats));
  ::testing::Test::RecordProperty("cycles_per_frame", fmt::format("{:.3f}", per_frame));
  ::testing::Test::RecordProperty("cycles_per_beat", fmt::format("{:.3f}", double(b.out_span()) / double(b.beats)));
  ::testing::Test::RecordProperty("core_latency_min_mean_max", latency.str());
  for (int s = 0; s < core::kStageCount; ++s)
    ::testing::Test::RecordProperty(std::string("stage_") + core::stream_info(core::kStageStreams[s]).name,
                                    stage[size_t(s)].str());
}

std::vector<std::vector<uint8_t>> same_size(uint32_t len, size_t n) {
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < n; ++i) frames.push_back(numbered_frame(len, uint32_t(i % 13), uint32_t(i)));
  return frames;
}

TEST(SimLineRate, SixtyFourByteFramesBackToBack) {
  report("64-byte", run_burst(same_size(64, 2000)));
}

TEST(SimLineRate, SixtyFiveByteFramesBackToBack) {
  report("65-byte", run_burst(same_size(65, 1000)));
}

TEST(SimLineRate, FullSizeFramesBackToBack) {
  report("1518-byte", run_burst(same_size(1518, 200)));
}

TEST(SimLineRate, ImixBackToBack) {
  report("IMIX 7:4:1 64/570/1518", run_burst(imix_frames(600)));
}

// ---- at the rate a 100 GbE CMAC delivers frames --------------------------------------------------
// A CMAC's receive stream carries a frame's beats back to back and the next frame a wire time
// later: (len + 20 bytes of preamble and inter-frame gap) x 8 bits at 100 Gb/s, at the
// simulated clock (322.265625 MHz). Frames of 64 flows; both directions of each flow when two
// CMACs are offered (CMAC 0 = ingress 0 sends A->B, CMAC 1 = ingress 1 sends B->A).

struct PacedRun {
  uint64_t offered = 0, delivered = 0, rx_drops = 0, tx_drops = 0, beats = 0;
  uint64_t copies = 0;  // frames out of ports 4..7 (the recorders a replicating filter copies to)
  double offer_cycles = 0;  // from the first frame's start to the last one's wire time
  uint64_t split_sessions = 0, out_of_order = 0;
  uint64_t avoids = 0, new_flows = 0;  // dynamic mode: placements, and those that avoided a busy port
};

// A frame of flow f in direction `reverse`, carrying its sequence number; the same session
// both ways (addresses and ports swapped).
std::vector<uint8_t> session_frame(uint32_t len, uint32_t f, bool reverse, uint32_t seq) {
  std::vector<uint8_t> p = numbered_frame(len, f, seq);
  if (reverse) {
    for (int i = 0; i < 4; ++i) std::swap(p[26 + i], p[30 + i]);  // IPv4 addresses
    std::swap(p[34], p[36]);                                       // UDP ports
    std::swap(p[35], p[37]);
  }
  return p;
}

// `extra`: more configuration (a replicating filter and its recorder group on ports 4..7).
PacedRun run_paced(const std::vector<uint32_t>& lens, int cmacs, const char* mode = "MODE_STATIC",
                   const std::string& extra = "") {
  VerilatorCard card(per_port_links());
  driver::Driver drv(card);
  // Dynamic mode with a 10 us utilization window and a 20 % threshold: sessions start one after
  // another through the run (below) and avoid tool ports that are busy by then, so where a
  // session goes depends on when it starts, and only the one flow table keeps its two
  // directions (one per CMAC) together.
  drv.apply(parse(fmt::format(
      "name: \"paced\" utilization_window_us: 10\n"
      "egress_ports {{ port: 0 }} egress_ports {{ port: 1 }} egress_ports {{ port: 2 }} egress_ports {{ port: 3 }}\n"
      "groups {{ name: \"g\" ingress_ports: [0, 1] members: [0, 1, 2, 3] hash: HASH_CRC32 symmetric: true "
      "tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] mode: {} utilization_threshold_bp: 2000 }}\n{}",
      mode, extra)));
  EXPECT_TRUE(card.run_until_idle());
  card.take_egress();
  card.take_decisions();
  card.clear_stats();
  const uint64_t t0 = card.cycles() + 10;
  const double cycles_per_byte = 8.0 / 100e9 * double(VerilatorCard::clk_hz());
  PacedRun r;
  std::map<std::pair<int, uint32_t>, uint32_t> last_seq;  // (cmac, flow) -> last sequence sent
  for (int c = 0; c < cmacs; ++c) {
    double t = double(t0);
    for (size_t i = 0; i < lens.size(); ++i) {
      // Sessions join through the run: 1 at the start, all 64 by the end.
      const uint32_t flow = uint32_t(i % (1 + i * 64 / lens.size()));
      const auto f = session_frame(lens[i], flow, c == 1, uint32_t(i));
      card.send_at(uint8_t(c), uint64_t(t), f.data(), uint32_t(f.size()));
      t += double(lens[i] + 20) * cycles_per_byte;
      r.beats += beats_of(lens[i]);
      ++r.offered;
    }
    r.offer_cycles = t - double(t0);
  }
  EXPECT_TRUE(card.run_until_idle(200 * r.beats + 100000));
  const auto c = drv.counters();
  for (int p = 0; p < cmacs; ++p) r.rx_drops += c.rx[p].drops;
  for (int p = 0; p < 8; ++p) r.tx_drops += c.tx[p].drops;
  r.avoids = c.threshold_avoids;
  r.new_flows = c.groups.at(0).new_flows;
  // Per session: one of group g's ports (0..3) for both directions; per (port, direction, flow):
  // increasing sequence.
  std::map<uint32_t, std::set<int>> ports_of_flow;
  std::map<std::tuple<int, bool, uint32_t>, int64_t> seen;
  for (const auto& f : card.take_egress()) {
    ++r.delivered;
    if (f.port >= 4) ++r.copies;
    const uint32_t src_port = uint32_t(f.data[34]) << 8 | f.data[35];
    const uint32_t dst_port = uint32_t(f.data[36]) << 8 | f.data[37];
    const bool reverse = src_port < dst_port ? false : true;
    const uint32_t flow = (reverse ? dst_port : src_port) - 1024;
    const int64_t seq = int64_t(f.data[42]) << 24 | int64_t(f.data[43]) << 16 | int64_t(f.data[44]) << 8 | f.data[45];
    if (f.port < 4) ports_of_flow[flow].insert(f.port);
    auto [it, fresh] = seen.try_emplace({f.port, reverse, flow}, seq);
    if (!fresh) {
      if (seq <= it->second) ++r.out_of_order;
      it->second = seq;
    }
  }
  for (const auto& [flow, ports] : ports_of_flow) r.split_sessions += ports.size() > 1;
  return r;
}

// Enough frames for kPacedCycles of wire time per CMAC: far longer than the 2048-beat FIFOs can
// absorb, so what is measured is the steady state.
constexpr double kPacedCycles = 40000;
double wire_cycles(uint32_t len) { return double(len + 20) * 8.0 / 100e9 * double(VerilatorCard::clk_hz()); }
std::vector<uint32_t> lengths(uint32_t len) {
  return std::vector<uint32_t>(size_t(kPacedCycles / wire_cycles(len)) + 1, len);
}
std::vector<uint32_t> imix_lengths() {
  const double mean = (7 * wire_cycles(64) + 4 * wire_cycles(570) + wire_cycles(1518)) / 12;
  std::vector<uint32_t> out;
  for (const auto& f : imix_frames(size_t(kPacedCycles / mean) + 1, 3)) out.push_back(uint32_t(f.size()));
  return out;
}

void report_paced(const std::string& name, int cmacs, const PacedRun& r) {
  std::printf("[ figures  ] %s, %d x 100G CMAC-paced: offered %llu frames, %llu beats over %.0f cycles "
              "(%.3f beats per clock), delivered %llu, dropped at the ingress FIFOs %llu (%.1f %%), at the "
              "egress queues %llu; sessions on two ports %llu, out of order %llu; new flows %llu, %llu of them "
              "avoiding a busy port\n",
              name.c_str(), cmacs, (unsigned long long)r.offered, (unsigned long long)r.beats, r.offer_cycles,
              double(r.beats) / r.offer_cycles, (unsigned long long)r.delivered,
              (unsigned long long)r.rx_drops, 100.0 * double(r.rx_drops) / double(r.offered),
              (unsigned long long)r.tx_drops, (unsigned long long)r.split_sessions,
              (unsigned long long)r.out_of_order, (unsigned long long)r.new_flows, (unsigned long long)r.avoids);
}

struct PacedCase {
  const char* name;
  std::vector<uint32_t> lens;
};

std::vector<PacedCase> paced_cases() {
  return {{"64-byte", lengths(64)},     {"65-byte", lengths(65)},   {"127-byte", lengths(127)},
          {"128-byte", lengths(128)},   {"1518-byte", lengths(1518)}, {"9000-byte", lengths(9000)},
          {"IMIX 7:4:1", imix_lengths()}};
}

// One CMAC at 100 GbE line rate never needs more than one beat per clock (65-byte frames, the
// worst: 2 beats per 85 wire bytes = 0.91 beats per clock at 322 MHz): its lane loses nothing
// at any size.
TEST(SimLineRate, OneCmacAtLineRateEveryFrameSizeLosesNothing) {
  for (const auto& c : paced_cases()) {
    const PacedRun r = run_paced(c.lens, 1);
    report_paced(c.name, 1, r);
    EXPECT_EQ(r.delivered, r.offered) << c.name;
    EXPECT_EQ(r.rx_drops + r.tx_drops, 0u) << c.name;
    EXPECT_EQ(r.out_of_order, 0u) << c.name;
  }
}

// Both CMACs at 100 GbE line rate, one lane each: nothing lost at any frame size, every
// session direction in order, and each session's two directions (one per CMAC) on one tool
// port, in static and in dynamic mode (one select task, one flow table, for both lanes).
class SimLineRateTwoCmacs : public ::testing::TestWithParam<const char*> {};

TEST_P(SimLineRateTwoCmacs, BothCmacsAtLineRateEveryFrameSizeLoseNothingAndKeepSessionsTogether) {
  for (const auto& c : paced_cases()) {
    const PacedRun r = run_paced(c.lens, 2, GetParam());
    report_paced(fmt::format("{} {}", GetParam(), c.name), 2, r);
    EXPECT_EQ(r.delivered, r.offered) << c.name;
    EXPECT_EQ(r.rx_drops, 0u) << c.name << ": dropped at the ingress FIFOs";
    EXPECT_EQ(r.tx_drops, 0u) << c.name << ": dropped at the egress queues";
    EXPECT_EQ(r.out_of_order, 0u) << c.name;
    EXPECT_EQ(r.split_sessions, 0u) << c.name << ": a session's two directions left on two ports";
    if (std::string(GetParam()) == "MODE_DYNAMIC") EXPECT_GT(r.avoids, 0u) << c.name << ": no placement depended on load";
    RecordProperty(fmt::format("{}_{}_beats_per_clock", GetParam(), c.name), fmt::format("{:.3f}", double(r.beats) / r.offer_cycles));
  }
}

// A filter copies every frame to group g and to a recorder group (ports 4..7, so that both
// CMACs' copies fit its ports too): two items per frame through the shared tasks, one set of
// beats per frame through the lanes (TDEST names both ports, the shell writes both queues).
const char* kCopyEverything =
    "egress_ports { port: 4 } egress_ports { port: 5 } egress_ports { port: 6 } egress_ports { port: 7 }\n"
    "groups { name: \"rec\" members: [4, 5, 6, 7] hash: HASH_CRC32 symmetric: true "
    "tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] }\n"
    "filters { name: \"copy-all\" groups: [\"g\", \"rec\"] }\n";

// One CMAC at line rate, every frame replicated to two groups: at most 148.8 M frames/s, so 297.6
// M copies/s, below the shared tasks' one item per clock (322 M/s). Nothing is lost at any size;
// the recorder gets every frame; sessions stay whole on g.
TEST(SimLineRate, OneCmacAtLineRateEveryFrameCopiedToTwoGroupsLosesNothing) {
  for (const auto& c : paced_cases()) {
    const PacedRun r = run_paced(c.lens, 1, "MODE_STATIC", kCopyEverything);
    report_paced(c.name + std::string(" copied to two groups"), 1, r);
    EXPECT_EQ(r.delivered, 2 * r.offered) << c.name;
    EXPECT_EQ(r.copies, r.offered) << c.name;
    EXPECT_EQ(r.rx_drops + r.tx_drops, 0u) << c.name;
    EXPECT_EQ(r.out_of_order, 0u) << c.name;
    EXPECT_EQ(r.split_sessions, 0u) << c.name;
  }
}

// Both CMACs, every frame copied to two groups: twice as many items as frames. 1518-byte,
// 9000-byte and IMIX frames fit; 64- and 65-byte frames (595 M and 586 M copies/s) cannot, and
// the ingress FIFOs drop whole frames, counted; 127- and 128-byte frames ask about 1.05 items
// per clock, which the ingress FIFOs absorb over this run's 40,000 cycles but not forever.
// Whatever is delivered is whole (each frame on both groups). The losses are printed, not
// asserted: they are the documented limit (README, "Known limitations").
TEST(SimLineRate, BothCmacsEveryFrameCopiedToTwoGroups) {
  for (const auto& c : paced_cases()) {
    const PacedRun r = run_paced(c.lens, 2, "MODE_STATIC", kCopyEverything);
    report_paced(c.name + std::string(" copied to two groups"), 2, r);
    EXPECT_EQ(r.delivered, 2 * (r.offered - r.rx_drops)) << c.name;
    EXPECT_EQ(r.copies, r.offered - r.rx_drops) << c.name;
    EXPECT_EQ(r.tx_drops, 0u) << c.name;
    EXPECT_EQ(r.out_of_order, 0u) << c.name;
    EXPECT_EQ(r.split_sessions, 0u) << c.name;
    if (c.name == std::string("1518-byte") || c.name == std::string("9000-byte") || c.name == std::string("IMIX 7:4:1"))
      EXPECT_EQ(r.rx_drops, 0u) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SimLineRateTwoCmacs, ::testing::Values("MODE_STATIC", "MODE_DYNAMIC"),
                         [](const auto& info) { return std::string(info.param) == "MODE_STATIC" ? "Static" : "Dynamic"; });

}  // namespace
}  // namespace broker::simtb
