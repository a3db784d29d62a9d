// hw/rtl/tx_meter.sv against the software meter (sw/cards/soft/tx_meter.cpp): the same
// frames at the same times must give the same OUT_UTIL_BP and OUT_UTIL_PEAK_BP, bit for bit.
//
// The testbench plays the fabric clock at a rate whose period is a whole number of
// nanoseconds, so the software meter, whose clock is in nanoseconds, sees exactly the times
// the RTL sees. The RTL's time base (now_us, frac) is what us_tick produces: after n clocks
// now_us * CLK_HZ + frac = n * 10^6. Each frame is recorded in the software meter at the
// time of its TLAST beat (the RTL's frame time); the software clock starts at the first
// beat, as the RTL window does (start_i = the beat). Values are compared on the last clock
// of every window: the RTL computes bp in ~50 clocks after a window closes, and must be done
// before the next one closes.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>

#include "Vtx_meter.h"
#include "tx_meter.h"
#include "verilated.h"

namespace {

struct Scenario {
  uint32_t clk_hz;        // period must be a whole number of ns
  uint32_t window_us;
  uint32_t speed_mbps;
  double load;            // probability that a beat is offered in a clock
  uint32_t min_len, max_len;
  uint32_t windows;       // how many windows to run
  uint32_t burst_windows; // 0: steady; else alternate bursts and silences of this many windows
  uint64_t seed;
};

class MeterBench {
 public:
  explicit MeterBench(uint32_t clk_hz) : clk_hz_(clk_hz), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);
    dut_ = std::make_unique<Vtx_meter>(ctx_.get());
    dut_->rst_n = 0;
    dut_->window_us_i = 1000;
    const auto s = broker::driver::util_scale(100000, 1000);
    dut_->scale_i = s.scale;
    dut_->shift_i = uint8_t(s.shift);
    dut_->clear_peak_i = 0;
    dut_->start_i = 0;
    dut_->beat_i = 0;
    dut_->keep_i = 0;
    dut_->last_i = 0;
    dut_->now_us_i = 0;
    dut_->now_frac_i = 0;
    for (int i = 0; i < 4; ++i) clock();
    dut_->rst_n = 1;
    n_ = 0;
  }
  ~MeterBench() { dut_->final(); }

  uint64_t ns() const { return n_ * (1000000000ull / clk_hz_); }

  // Drives the inputs of clock n_, ticks, advances n_.
  void clock() {
    const uint64_t us_scaled = n_ * 1000000ull;
    dut_->now_us_i = uint32_t(us_scaled / clk_hz_);
    dut_->now_frac_i = uint32_t(us_scaled % clk_hz_);
    dut_->clk = 0;
    dut_->eval();
    dut_->clk = 1;
    dut_->eval();
    ++n_;
  }

  Vtx_meter& dut() { return *dut_; }

 private:
  uint32_t clk_hz_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vtx_meter> dut_;
  uint64_t n_ = 0;
};

void run(const Scenario& s) {
  ASSERT_EQ(1000000000u % s.clk_hz, 0u) << "clock period must be whole nanoseconds";
  MeterBench tb(s.clk_hz);
  broker::cards::TxMeter sw;
  sw.set_window_us(s.window_us);
  // The driver's reciprocal of speed x window, on both sides.
  const auto scale = broker::driver::util_scale(s.speed_mbps, s.window_us);
  sw.set_scale(0, scale.scale);
  sw.set_shift(0, scale.shift);
  auto& d = tb.dut();
  d.window_us_i = s.window_us;
  d.scale_i = scale.scale;
  d.shift_i = uint8_t(scale.shift);
  // Let the window setting settle (a change restarts the RTL's alignment).
  for (int i = 0; i < 4; ++i) tb.clock();

  std::mt19937_64 rng(s.seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<uint32_t> len_dist(s.min_len, s.max_len);

  const uint64_t clocks_per_us = s.clk_hz / 1000000u;
  const uint64_t window_clocks = uint64_t(s.window_us) * clocks_per_us;
  uint64_t clk = 0;              // clocks since the settings settled
  bool started = false;
  uint64_t start_clk = 0;
  uint32_t frame_left = 0;       // bytes of the open frame still to send
  uint32_t frame_len = 0;
  uint64_t frames = 0, checks = 0, nonzero = 0, saturated = 0;
  const uint64_t total = window_clocks * (s.windows + 1) + 4 * clocks_per_us;
  bool cleared = false;

  for (; clk < total; ++clk) {
    // Last clock of a window (before this clock's beat, which counts in this window).
    if (started && clk > start_clk && (clk - start_clk) % window_clocks == window_clocks - 1) {
      sw.advance(tb.ns());
      ++checks;
      ASSERT_EQ(d.util_bp_o, sw.util_bp(0)) << "util at clock " << clk << " window "
                                            << (clk - start_clk) / window_clocks;
      ASSERT_EQ(d.peak_bp_o, sw.peak_bp(0)) << "peak at clock " << clk;
      if (d.util_bp_o) ++nonzero;
      if (d.util_bp_o == 0xFFFF) ++saturated;
      // Once, halfway through: COMMAND.CLEAR_COUNTERS clears the peak on both sides.
      if (!cleared && (clk - start_clk) / window_clocks >= s.windows / 2) {
        cleared = true;
        sw.clear_peaks();
        d.clear_peak_i = 1;
      }
    }

    bool silent = false;
    if (s.burst_windows && started)
      silent = ((clk - start_clk) / window_clocks / s.burst_windows) % 2 == 1;
    const bool beat = (frame_left > 0 || !silent) && coin(rng) < s.load &&
                      clk + 2 * window_clocks < total;  // quiet tail: the last windows close idle
    d.beat_i = 0;
    d.start_i = 0;
    d.last_i = 0;
    d.keep_i = 0;
    if (beat) {
      if (frame_left == 0) {
        frame_len = len_dist(rng);
        frame_left = frame_len;
      }
      const uint32_t n = frame_left > 64 ? 64 : frame_left;
      frame_left -= n;
      d.beat_i = 1;
      d.start_i = 1;
      d.keep_i = n == 64 ? ~0ull : ((1ull << n) - 1);
      d.last_i = frame_left == 0;
      if (!started) {
        started = true;
        start_clk = clk;
        sw.advance(tb.ns());  // the software clock starts with the first frame
      }
      if (frame_left == 0) {
        sw.advance(tb.ns());
        sw.record(0, frame_len);
        ++frames;
      }
    }
    tb.clock();
    d.clear_peak_i = 0;
  }
  ASSERT_TRUE(started);
  EXPECT_GE(checks, s.windows);
  // The run ends with idle windows: both read 0 with the peak kept.
  EXPECT_EQ(d.util_bp_o, 0);
  std::printf("  clk %u Hz, window %u us, speed %u Mb/s, load %.2f: %llu frames, %llu checks, "
              "%llu non-zero, %llu saturated, last peak %u bp\n",
              s.clk_hz, s.window_us, s.speed_mbps, s.load, (unsigned long long)frames,
              (unsigned long long)checks, (unsigned long long)nonzero,
              (unsigned long long)saturated, unsigned(d.peak_bp_o));
  if (s.load > 0) EXPECT_GT(nonzero, 0u);
}

TEST(RtlTxMeter, FullLoadBigFrames) {
  // 64 B/clock at 250 MHz is 128 Gb/s offered: above 100 % of a 100G port.
  run({250000000, 10, 100000, 1.0, 64, 1518, 120, 0, 1});
}

TEST(RtlTxMeter, HalfLoadMixedFrames) {
  run({250000000, 7, 40000, 0.5, 60, 9000, 160, 0, 2});
}

TEST(RtlTxMeter, SaturatesAt0xFFFF) {
  run({250000000, 5, 10, 0.9, 64, 256, 100, 0, 3});
}

TEST(RtlTxMeter, BurstsAndIdleWindowsReadZero) {
  run({250000000, 13, 100000, 0.8, 64, 1518, 240, 3, 4});
}

TEST(RtlTxMeter, SmallFramesSlowClockOneMicrosecondWindow) {
  // 1 us = 100 clocks at 100 MHz: still longer than the bp computation.
  run({100000000, 1, 25000, 0.3, 1, 64, 400, 0, 5});
}

TEST(RtlTxMeter, LowRateOddSpeed) {
  run({200000000, 20, 1234, 0.02, 64, 200, 100, 2, 6});
}

}  // namespace
