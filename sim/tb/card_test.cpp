// The VerilatorCard itself: several models in one process, back-pressure from a tool port
// (nothing lost, nothing reordered), what the core decided (in core order, bounded), and
// waveforms on request.
#include <filesystem>

#include <unistd.h>

#include <tuple>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

TEST(SimCard, TwoModelsInOneProcessAreIndependent) {
  VerilatorCard a, b;
  driver::Driver da(a), db(b);
  da.apply(one_path_config(1));
  db.apply(one_path_config(9));
  a.write32(rm::SCRATCH, 0xAAAA0001u);
  b.write32(rm::SCRATCH, 0xBBBB0002u);
  const auto f = udp_frame(100, 5);
  for (int i = 0; i < 10; ++i) a.send(0, f.data(), uint32_t(f.size()));
  for (int i = 0; i < 3; ++i) b.send(0, f.data(), uint32_t(f.size()));
  ASSERT_TRUE(a.run_until_idle());
  ASSERT_TRUE(b.run_until_idle());
  const auto fa = a.take_egress(), fb = b.take_egress();
  ASSERT_EQ(fa.size(), 10u);
  ASSERT_EQ(fb.size(), 3u);
  for (const auto& x : fa) EXPECT_EQ(x.port, 1);
  for (const auto& x : fb) EXPECT_EQ(x.port, 9);
  EXPECT_EQ(a.read32(rm::SCRATCH), 0xAAAA0001u);
  EXPECT_EQ(b.read32(rm::SCRATCH), 0xBBBB0002u);
  EXPECT_EQ(a.read32(rm::RX_PKTS_LO), 10u);
  EXPECT_EQ(b.read32(rm::RX_PKTS_LO), 3u);
}

// A tool port that stops: sim/tb/congestion_test.cpp.

// The driver tells the card the clock it really runs at (KERNEL_CLK_HZ), and the microsecond
// time base follows that register: told the clock is half as fast as simulated, NOW_US runs
// twice as fast per simulated cycle.
TEST(SimCard, TimeBaseCountsWithTheKernelClockRegister) {
  VerilatorCard card;
  EXPECT_EQ(card.read32(rm::KERNEL_CLK_HZ), 0u) << "after reset: the built-for clock";
  driver::Driver drv(card);
  EXPECT_EQ(card.read32(rm::KERNEL_CLK_HZ), uint32_t(VerilatorCard::clk_hz()));
  EXPECT_EQ(drv.identity().kernel_clock_hz, uint32_t(VerilatorCard::clk_hz()));
  const uint64_t cycles = VerilatorCard::clk_hz() / 1000;  // one millisecond
  auto elapsed_us = [&] {
    const uint32_t t0 = card.read32(rm::NOW_US);
    const uint64_t c0 = card.cycles();
    card.step(cycles);
    const uint32_t t1 = card.read32(rm::NOW_US);
    return std::pair<double, double>(double(t1 - t0), double(card.cycles() - c0));
  };
  auto [us, cyc] = elapsed_us();
  EXPECT_NEAR(us, cyc * 1e6 / double(VerilatorCard::clk_hz()), 1.0);
  card.write32(rm::KERNEL_CLK_HZ, uint32_t(VerilatorCard::clk_hz() / 2));
  std::tie(us, cyc) = elapsed_us();
  EXPECT_NEAR(us, cyc * 2e6 / double(VerilatorCard::clk_hz()), 1.0);
}

TEST(SimCard, TakeDecisionsInCoreOrderAndBounded) {
  VerilatorCard::Options o;
  o.max_decisions = 100;
  VerilatorCard card(o);
  driver::Driver drv(card);
  drv.apply(one_path_config(5));
  ASSERT_TRUE(card.run_until_idle());
  card.take_decisions();
  for (uint32_t i = 0; i < 50; ++i) {
    const auto f = numbered_frame(100 + i, i, i);
    card.send(0, f.data(), uint32_t(f.size()));
  }
  ASSERT_TRUE(card.run_until_idle());
  auto got = card.take_decisions();
  ASSERT_EQ(got.size(), 50u);
  for (uint32_t i = 0; i < 50; ++i) {
    EXPECT_EQ(uint64_t(got[i].trace.stats_ev.len), 100u + i) << "core order";
    EXPECT_EQ(uint64_t(got[i].trace.decision.out_port), 5u);
    EXPECT_LT(got[i].cycles.core_in, got[i].cycles.core_out);
  }
  // Nobody takes them: the card keeps the newest max_decisions.
  for (uint32_t i = 0; i < 300; ++i) {
    const auto f = numbered_frame(64, i, i);
    card.send(0, f.data(), uint32_t(f.size()));
  }
  ASSERT_TRUE(card.run_until_idle());
  card.step(4096);  // the card trims every 4096 cycles
  got = card.take_decisions();
  EXPECT_EQ(got.size(), 100u);
}

TEST(SimCard, WavesWhenAsked) {
  if (!VerilatorCard::can_trace()) GTEST_SKIP() << "model built with BROKER_SIM_TRACE=OFF";
  const auto path = std::filesystem::temp_directory_path() /
                    ("broker-sim-waves-" + std::to_string(::getpid()) + ".fst");
  std::filesystem::remove(path);
  {
    VerilatorCard::Options o;
    o.waves = path.string();
    VerilatorCard card(o);
    EXPECT_EQ(card.read32(rm::ID), rm::kId);
    card.step(100);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 1000u);
  std::filesystem::remove(path);
}

TEST(SimCard, BusErrorsAreReportedNotHung) {
  VerilatorCard card;
  EXPECT_THROW(card.read32(0x10002), driver::BusError);  // beyond the 16-bit aperture
  EXPECT_THROW(card.read32(0x0002), driver::BusError);   // not a word
  EXPECT_THROW(card.write32(0x8000, 1), driver::BusError);
  EXPECT_EQ(card.read32(rm::ID), rm::kId);
}

}  // namespace
}  // namespace broker::simtb
