// TX utilization meter of the RTL (OUT_UTIL_BP) against the software reference
// broker::cards::TxMeter, fed with the very frames the model sent, at the cycles it sent them.
//
// Traffic: frames of one length on ingress 0, paced to a target share of the egress port's
// configured speed (frame k starts at cycle floor(k * period); period from the wire bits,
// frame + 20 bytes, the speed and CLK_HZ), for four utilization windows. OUT_UTIL_BP is read
// three windows after the first frame, so the last complete window lies inside the traffic.
//
// Tolerance, in basis points, |RTL - reference| <= frame + 1 + 0.2 %:
//  - frame: one frame's wire bits as a share of a window. The RTL's windows start at reset,
//    the reference's at the first frame (DESIGN: its clock is the packet timestamps); a
//    window may hold one frame more or less depending on where its edges fall, and the RTL
//    may count a frame at its first or its last beat.
//  - 1: both truncate the basis points to an integer.
//  - 0.2 % of the value: the microsecond tick is made from the clock (CLK_HZ is not a whole
//    number of MHz), so an RTL microsecond may be a fraction of a cycle off real time.
// The reference is itself checked against the target rate with the same tolerance, which
// shows that the pacing is right.
#include <cmath>

#include "sim_tb_util.h"
#include "tx_meter.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

constexpr uint32_t kOutPort = 5;
constexpr uint64_t kSpeedMbps = 100000;
constexpr uint32_t kWindowUs = 50;

struct MeterCase {
  uint32_t rate_bp;
  uint32_t frame_len;
};

struct MeterResult {
  int64_t rtl = 0, ref = 0, peak = 0, tol = 0;
};

uint64_t us_to_cycles(double us) { return uint64_t(us * double(VerilatorCard::clk_hz()) / 1e6); }

MeterResult run_case(const MeterCase& c, bool check_idle_after = false) {
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(one_path_config(kOutPort, kSpeedMbps, kWindowUs));
  card.run_until_idle();
  card.take_egress();

  const double wire_bits = double(c.frame_len + cards::TxMeter::kWireOverheadBytes) * 8;
  const double period_s = wire_bits / (double(c.rate_bp) / 10000.0 * double(kSpeedMbps) * 1e6);
  const double period_cycles = period_s * double(VerilatorCard::clk_hz());
  const uint64_t window_cycles = us_to_cycles(kWindowUs);
  const uint64_t c0 = card.cycles() + 16;
  const uint64_t end = c0 + 4 * window_cycles;
  const std::vector<uint8_t> f = udp_frame(c.frame_len, 3);
  for (uint64_t k = 0;; ++k) {
    const uint64_t at = c0 + uint64_t(std::floor(double(k) * period_cycles));
    if (at >= end) break;
    card.send_at(0, at, f.data(), uint32_t(f.size()));
  }

  const uint64_t read_at = c0 + 3 * window_cycles;
  card.step(read_at - card.cycles());
  MeterResult r;
  r.rtl = card.read32(rm::OUT_UTIL_BP_at(kOutPort));
  const uint64_t t_read = card.cycles();
  r.peak = card.read32(rm::OUT_UTIL_PEAK_BP_at(kOutPort));

  cards::TxMeter ref;
  ref.set_window_us(kWindowUs);
  const auto scale = driver::util_scale(kSpeedMbps, kWindowUs);
  ref.set_scale(int(kOutPort), scale.scale);
  ref.set_shift(int(kOutPort), scale.shift);
  auto ns = [](uint64_t cycle) { return uint64_t(double(cycle) * 1e9 / double(VerilatorCard::clk_hz())); };
  for (const auto& fr : card.take_egress()) {
    EXPECT_EQ(fr.port, kOutPort);
    if (fr.first_cycle >= t_read) break;
    ref.advance(ns(fr.first_cycle));
    ref.record(int(kOutPort), uint32_t(fr.data.size()));
  }
  ref.advance(ns(t_read));
  r.ref = ref.util_bp(int(kOutPort));

  const double frame_bp = wire_bits * 10000.0 / (double(kSpeedMbps) * kWindowUs);
  r.tol = int64_t(std::ceil(frame_bp)) + 1 + int64_t(std::ceil(0.002 * c.rate_bp));
  EXPECT_LE(std::llabs(r.rtl - r.ref), r.tol)
      << "rate " << c.rate_bp << " bp, " << c.frame_len << "-byte frames: RTL " << r.rtl
      << " bp, reference " << r.ref << " bp";
  EXPECT_LE(std::llabs(r.ref - int64_t(c.rate_bp)), r.tol) << "the pacing is off";
  EXPECT_GE(r.peak, r.rtl);
  std::printf("[ figures  ] target %5u bp, %4u-byte frames: RTL %5lld bp, reference %5lld bp, "
              "error %+lld bp (%+.2f %%), tolerance %lld bp\n",
              c.rate_bp, c.frame_len, (long long)r.rtl, (long long)r.ref, (long long)(r.rtl - r.ref),
              r.ref ? 100.0 * double(r.rtl - r.ref) / double(r.ref) : 0.0, (long long)r.tol);

  if (check_idle_after) {
    // Two whole windows after the traffic: the last complete window saw nothing.
    card.step(end + 2 * window_cycles + 64 - card.cycles());
    EXPECT_EQ(card.read32(rm::OUT_UTIL_BP_at(kOutPort)), 0u);
    EXPECT_GE(int64_t(card.read32(rm::OUT_UTIL_PEAK_BP_at(kOutPort))), r.rtl);
    // Other ports saw no traffic at all.
    EXPECT_EQ(card.read32(rm::OUT_UTIL_BP_at(kOutPort + 1)), 0u);
    EXPECT_EQ(card.read32(rm::OUT_UTIL_PEAK_BP_at(kOutPort + 1)), 0u);
  }
  return r;
}

TEST(SimMeter, OnePercent) { run_case({100, 64}); }
TEST(SimMeter, TenPercent) { run_case({1000, 512}); }
TEST(SimMeter, FiftyPercent) { run_case({5000, 256}); }
TEST(SimMeter, NinetyPercentFullSizeFrames) { run_case({9000, 1518}, true); }
TEST(SimMeter, NinetyPercentSmallFrames) { run_case({9000, 64}); }

TEST(SimMeter, SlowerPortSpeedScalesTheShare) {
  // The same traffic against a 25 Gb/s port reads four times the share: the speed register
  // is what the meter divides by.
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(one_path_config(kOutPort, 25000, kWindowUs));
  card.run_until_idle();
  const std::vector<uint8_t> f = udp_frame(1000, 9);
  const double period_cycles = double(VerilatorCard::clk_hz()) * 1020 * 8 / (0.2 * 25e9);  // 20 %
  const uint64_t c0 = card.cycles() + 16, window_cycles = us_to_cycles(kWindowUs);
  for (uint64_t k = 0;; ++k) {
    const uint64_t at = c0 + uint64_t(double(k) * period_cycles);
    if (at >= c0 + 4 * window_cycles) break;
    card.send_at(0, at, f.data(), uint32_t(f.size()));
  }
  card.step(c0 + 3 * window_cycles - card.cycles());
  const int64_t util = card.read32(rm::OUT_UTIL_BP_at(kOutPort));
  const int64_t tol = int64_t(std::ceil(1020.0 * 8 * 10000 / (25000.0 * kWindowUs))) + 1 + 4;
  EXPECT_LE(std::llabs(util - 2000), tol) << util;
}

}  // namespace
}  // namespace broker::simtb
