// Line rate through the whole top: frames back to back on one ingress port, through the ingress
// arbiter, the core composed of its tasks (one module per task, RTL FIFOs between them) and the
// egress queue of their tool port. What must hold whatever the latencies are is asserted: every
// frame out, same bytes, same order, no deadlock, a frame of n beats takes at least n cycles (a
// tool port that stops: congestion_test.cpp). What the composition measures (cycles per frame,
// per-stage latency) is printed as [ figures ] lines and recorded as test properties; no figure
// is asserted, and nothing is timed on the wall clock.
#include <algorithm>
#include <cstdio>
#include <string>

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

}  // namespace
}  // namespace broker::simtb
