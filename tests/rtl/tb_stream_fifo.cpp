// sim/rtl/stream_fifo.sv (3 deep, 16-bit words): what the co-simulated core's timing rests on.
// No word lost or reordered under random valid/ready; a word written on an edge is offered from
// the next clock, not before; READY is "not full", whatever out_ready does; two places or more
// carry one word per clock.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>

#include "Vstream_fifo.h"
#include "verilated.h"

namespace {

constexpr size_t kDepth = 3;  // -GDEPTH of the model (tests/rtl/CMakeLists.txt)

struct Fifo {
  Fifo() : ctx(std::make_unique<VerilatedContext>()) {
    ctx->randReset(2);
    m = std::make_unique<Vstream_fifo>(ctx.get());
    m->rst_n = 0;
    m->in_valid = 0;
    m->out_ready = 0;
    for (int i = 0; i < 4; ++i) edge();
    m->rst_n = 1;
    m->eval();
  }
  ~Fifo() { m->final(); }
  void edge() {
    m->clk = 0;
    m->eval();
    m->clk = 1;
    m->eval();
  }
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vstream_fifo> m;
};

TEST(RtlStreamFifo, KeepsEveryWordInOrderUnderRandomHandshakes) {
  Fifo f;
  std::mt19937_64 rng(7);
  std::deque<uint16_t> model;
  uint16_t next = 1;
  uint64_t received = 0;
  bool offering = false;
  for (int clk = 0; clk < 100000; ++clk) {
    const int phase = (clk / 300) % 3;
    const double p_in = phase == 0 ? 0.9 : phase == 1 ? 0.2 : 0.6;
    const double p_out = phase == 0 ? 0.1 : phase == 1 ? 0.9 : 0.6;
    if (!offering && std::uniform_real_distribution<>(0, 1)(rng) < p_in) offering = true;
    f.m->in_valid = offering;
    f.m->in_data = next;
    f.m->out_ready = std::uniform_real_distribution<>(0, 1)(rng) < p_out;
    f.m->clk = 0;
    f.m->eval();
    ASSERT_EQ(bool(f.m->in_ready), model.size() < kDepth) << "READY is not 'not full', clock " << clk;
    ASSERT_EQ(bool(f.m->out_valid), !model.empty()) << "clock " << clk;
    if (f.m->out_valid && f.m->out_ready) {
      ASSERT_EQ(f.m->out_data, model.front()) << "clock " << clk;
      model.pop_front();
      ++received;
    }
    if (f.m->in_valid && f.m->in_ready) {
      model.push_back(next++);
      offering = false;
    }
    f.m->clk = 1;
    f.m->eval();
  }
  EXPECT_GT(received, 20000u);
}

TEST(RtlStreamFifo, OffersAWordTheClockAfterItWasWritten) {
  Fifo f;
  f.m->out_ready = 1;
  f.m->in_valid = 1;
  f.m->in_data = 0x1234;
  f.m->clk = 0;
  f.m->eval();
  EXPECT_FALSE(f.m->out_valid) << "the word must not pass through in the clock it is written";
  f.m->clk = 1;
  f.m->eval();  // written on this edge
  f.m->in_valid = 0;
  f.m->clk = 0;
  f.m->eval();
  EXPECT_TRUE(f.m->out_valid);
  EXPECT_EQ(f.m->out_data, 0x1234);
}

TEST(RtlStreamFifo, CarriesOneWordPerClock) {
  Fifo f;
  f.m->in_valid = 1;
  f.m->out_ready = 1;
  uint16_t next = 1, expect = 1;
  int in = 0, out = 0;
  for (int clk = 0; clk < 1000; ++clk) {
    f.m->in_data = next;
    f.m->clk = 0;
    f.m->eval();
    if (f.m->in_ready) {
      ++next;
      ++in;
    }
    if (f.m->out_valid) {
      ASSERT_EQ(f.m->out_data, expect++);
      ++out;
    }
    f.m->clk = 1;
    f.m->eval();
  }
  EXPECT_EQ(in, 1000);
  EXPECT_EQ(out, 999);  // the first word is offered one clock after it was written
}

}  // namespace
