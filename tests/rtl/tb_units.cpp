// Small RTL units: hw/rtl/egress_queue.sv (8 beats deep, 64-bit data) never drops, keeps
// order, back-pressures only when full and reports EMPTY; hw/rtl/us_tick.sv at the Alveo's
// 322.265625 MHz keeps now_us * CLK_HZ + frac == clocks * 10^6 exactly.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>

#include "Vegress_queue.h"
#include "Vus_tick.h"
#include "verilated.h"

namespace {

TEST(RtlEgressQueue, NeverDropsKeepsOrderReportsEmpty) {
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->randReset(2);
  auto q = std::make_unique<Vegress_queue>(ctx.get());
  auto tick = [&] {
    q->clk = 0;
    q->eval();
    q->clk = 1;
    q->eval();
  };
  q->rst_n = 0;
  q->s_tvalid = 0;
  q->m_tready = 0;
  for (int i = 0; i < 4; ++i) tick();
  q->rst_n = 1;
  q->eval();
  EXPECT_TRUE(q->empty_o);

  std::mt19937_64 rng(11);
  std::deque<uint64_t> model;  // beats inside the queue
  uint64_t next = 1, received = 0;
  bool offering = false;
  size_t max_held = 0;
  for (int clk = 0; clk < 200000; ++clk) {
    // Phases: fill while the port stalls, then drain, then random.
    const int phase = (clk / 500) % 3;
    const double p_in = phase == 0 ? 0.9 : phase == 1 ? 0.1 : 0.5;
    const double p_out = phase == 0 ? 0.05 : phase == 1 ? 0.95 : 0.5;
    if (!offering && std::uniform_real_distribution<>(0, 1)(rng) < p_in) offering = true;
    q->s_tvalid = offering;
    q->s_tdata = next;
    q->s_tkeep = uint8_t(next);
    q->s_tlast = next % 3 == 0;
    q->m_tready = std::uniform_real_distribution<>(0, 1)(rng) < p_out;
    q->clk = 0;
    q->eval();
    ASSERT_EQ(bool(q->empty_o), model.empty()) << "EMPTY wrong at clock " << clk;
    if (model.size() < 8) ASSERT_TRUE(q->s_tready) << "back-pressure before full, clock " << clk;
    if (q->m_tvalid && q->m_tready) {
      ASSERT_FALSE(model.empty());
      ASSERT_EQ(q->m_tdata, model.front());
      ASSERT_EQ(q->m_tkeep, uint8_t(model.front()));
      ASSERT_EQ(bool(q->m_tlast), model.front() % 3 == 0);
      model.pop_front();
      ++received;
    }
    if (q->s_tvalid && q->s_tready) {
      model.push_back(next++);
      offering = false;
    }
    max_held = std::max(max_held, model.size());
    q->clk = 1;
    q->eval();
  }
  EXPECT_GE(max_held, 8u) << "never filled";
  EXPECT_GT(received, 10000u);
  q->final();
}

TEST(RtlUsTick, ExactAt322MHz) {
  constexpr uint64_t kHz = 322265625;
  auto ctx = std::make_unique<VerilatedContext>();
  auto t = std::make_unique<Vus_tick>(ctx.get());
  auto tick = [&] {
    t->clk = 0;
    t->eval();
    t->clk = 1;
    t->eval();
  };
  t->rst_n = 0;
  tick();
  t->rst_n = 1;
  uint64_t ticks = 0;
  uint32_t prev_us = 0;
  for (uint64_t n = 0; n < 3000000; ++n) {
    ASSERT_EQ(uint64_t(t->now_us) * kHz + t->frac, n * 1000000ull) << "clock " << n;
    ASSERT_EQ(bool(t->tick), n > 0 && t->now_us != prev_us);
    ticks += t->tick;
    prev_us = t->now_us;
    tick();
  }
  EXPECT_EQ(ticks, 3000000ull * 1000000ull / kHz);
  t->final();
}

}  // namespace
