// Line rate: 64-byte frames back to back on one ingress port go through the whole top (ingress
// arbiter, DPI kernel, egress queue, meter) at one beat per clock: N frames in and out in N plus
// a small constant number of cycles, with no bubble on the egress port.
#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

struct LineRateRun {
  uint64_t n = 0, beats_in = 0, beats_out = 0, frames_out = 0;
  uint64_t first_in = 0, last_in = 0, first_out = 0, last_out = 0;
  uint64_t total_cycles() const { return last_out - first_in + 1; }
  uint64_t out_span() const { return last_out - first_out + 1; }
  uint64_t in_span() const { return last_in - first_in + 1; }
};

LineRateRun run_back_to_back(uint32_t frame_len, uint64_t n) {
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(one_path_config(3));
  card.run_until_idle();
  card.clear_stats();
  const std::vector<uint8_t> f = udp_frame(frame_len, 7);
  for (uint64_t i = 0; i < n; ++i) card.send(0, f.data(), uint32_t(f.size()));
  EXPECT_TRUE(card.run_until_idle(100 * n + 10000));
  LineRateRun r;
  r.n = n;
  const auto in = card.rx_stats(0);
  const auto out = card.port_stats(3);
  r.beats_in = in.beats;
  r.first_in = in.first_beat_cycle;
  r.last_in = in.last_beat_cycle;
  r.beats_out = out.beats;
  r.frames_out = out.frames;
  r.first_out = out.first_beat_cycle;
  r.last_out = out.last_beat_cycle;
  const auto frames = card.take_egress();
  EXPECT_EQ(frames.size(), n);
  for (const auto& fr : frames) {
    EXPECT_EQ(fr.port, 3);
    EXPECT_EQ(fr.data, f);
    if (fr.data != f) break;
  }
  return r;
}

TEST(SimLineRate, SixtyFourByteFramesBackToBack) {
  constexpr uint64_t kN = 2000;
  const LineRateRun r = run_back_to_back(64, kN);
  // One beat per frame, in and out, in consecutive cycles.
  EXPECT_EQ(r.beats_in, kN);
  EXPECT_EQ(r.in_span(), kN) << "the ingress port was held off (rx_tready low) during the burst";
  EXPECT_EQ(r.beats_out, kN);
  EXPECT_EQ(r.frames_out, kN);
  EXPECT_EQ(r.out_span(), kN) << "bubbles on the egress port";
  // In and out within N + a small constant: the pipeline latency.
  const uint64_t latency = r.first_out - r.first_in;
  EXPECT_LE(r.total_cycles(), kN + 32) << "latency " << latency;
  RecordProperty("frames", int(kN));
  RecordProperty("cycles_first_in_to_last_out", int(r.total_cycles()));
  RecordProperty("latency_cycles", int(latency));
  std::printf("[ figures  ] %llu x 64-byte frames: first beat in -> last beat out %llu cycles "
              "(N + %llu), latency %llu cycles, egress span %llu cycles for %llu beats\n",
              (unsigned long long)kN, (unsigned long long)r.total_cycles(),
              (unsigned long long)(r.total_cycles() - kN), (unsigned long long)latency,
              (unsigned long long)r.out_span(), (unsigned long long)r.beats_out);
}

TEST(SimLineRate, FullSizeFramesBackToBack) {
  // 1518 bytes: 24 beats, the last one partial; more than the kernel's header window, so each
  // frame is held for its header beats before it is decided.
  constexpr uint64_t kN = 200;
  const LineRateRun r = run_back_to_back(1518, kN);
  const uint64_t beats = kN * 24;
  EXPECT_EQ(r.beats_in, beats);
  EXPECT_EQ(r.in_span(), beats) << "the ingress port was held off during the burst";
  EXPECT_EQ(r.beats_out, beats);
  EXPECT_EQ(r.out_span(), beats) << "bubbles on the egress port";
  EXPECT_LE(r.total_cycles(), beats + 32);
  std::printf("[ figures  ] %llu x 1518-byte frames (%llu beats): first beat in -> last beat out "
              "%llu cycles (beats + %llu)\n",
              (unsigned long long)kN, (unsigned long long)beats, (unsigned long long)r.total_cycles(),
              (unsigned long long)(r.total_cycles() - beats));
}

}  // namespace
}  // namespace broker::simtb
