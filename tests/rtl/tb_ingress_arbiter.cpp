// hw/rtl/ingress_arbiter.sv (8 ports, 64-bit data to keep the model small): frame-atomic
// round robin, TID = port, every port's beats in order, and no bubbles: with a beat on offer
// and the output ready, a beat leaves every clock, whether the same port continues with its
// next frame or the grant moves to another port.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vingress_arbiter.h"
#include "verilated.h"

namespace {

constexpr int kPorts = 8;

struct Beat {
  uint64_t data;
  bool last;
};

struct Port {
  std::deque<Beat> beats;
  bool offering = false;
  uint32_t frames = 0;
};

class ArbBench {
 public:
  explicit ArbBench(uint64_t seed) : rng_(seed), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);
    dut_ = std::make_unique<Vingress_arbiter>(ctx_.get());
    dut_->rst_n = 0;
    dut_->s_tvalid = 0;
    dut_->m_tready = 0;
    for (int i = 0; i < 4; ++i) tick();
    dut_->rst_n = 1;
  }
  ~ArbBench() { dut_->final(); }

  // Appends a frame of n beats to port p.
  void add_frame(int p, int n) {
    Port& port = ports_[p];
    for (int b = 0; b < n; ++b)
      port.beats.push_back({(uint64_t(p) << 56) | (uint64_t(port.frames) << 24) | uint64_t(b), b == n - 1});
    ++port.frames;
  }

  // One clock. offer_p: chance a port with beats starts offering; ready_p: output ready.
  // Returns whether a beat left on the output.
  bool step(double offer_p, double ready_p) {
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    uint8_t valid = 0, last = 0;
    for (int p = 0; p < kPorts; ++p) {
      Port& port = ports_[p];
      if (!port.offering && !port.beats.empty() && coin(rng_) < offer_p) port.offering = true;
      if (port.offering) {
        valid |= uint8_t(1u << p);
        if (port.beats.front().last) last |= uint8_t(1u << p);
        dut_->s_tdata[2 * p] = uint32_t(port.beats.front().data);
        dut_->s_tdata[2 * p + 1] = uint32_t(port.beats.front().data >> 32);
      }
    }
    dut_->s_tvalid = valid;
    dut_->s_tlast = last;
    dut_->s_tkeep = ~0ull;
    dut_->m_tready = coin(rng_) < ready_p;
    dut_->clk = 0;
    dut_->eval();
    const uint8_t ready = dut_->s_tready;
    const bool out_fire = dut_->m_tvalid && dut_->m_tready;
    if (out_fire) check_out(dut_->m_tdata, dut_->m_tid, dut_->m_tlast);
    int fired = 0;
    for (int p = 0; p < kPorts; ++p) {
      if ((valid >> p & 1) && (ready >> p & 1)) {
        ++fired;
        in_flight_.push_back(ports_[p].beats.front());
        ports_[p].beats.pop_front();
        ports_[p].offering = false;
      }
    }
    EXPECT_LE(fired, 1) << "two ports granted in one clock";
    dut_->clk = 1;
    dut_->eval();
    return out_fire;
  }

  void check_out(uint64_t data, uint8_t tid, bool last) {
    ASSERT_FALSE(in_flight_.empty()) << "beat out of nowhere";
    const Beat want = in_flight_.front();
    in_flight_.pop_front();
    ASSERT_EQ(data, want.data);
    ASSERT_EQ(last, want.last);
    const int port = int(data >> 56);
    ASSERT_EQ(tid, port) << "TID is the ingress port";
    if (cur_port_ >= 0) ASSERT_EQ(port, cur_port_) << "frame interleaved with another port";
    if (cur_port_ < 0) frame_ports_.push_back(port);
    cur_port_ = last ? -1 : port;
  }

  void tick() {
    dut_->clk = 0;
    dut_->eval();
    dut_->clk = 1;
    dut_->eval();
  }

  bool drained() const {
    for (const Port& p : ports_)
      if (!p.beats.empty()) return false;
    return in_flight_.empty();
  }
  size_t backlog(int p) const { return ports_[p].beats.size(); }
  const std::vector<int>& frame_ports() const { return frame_ports_; }
  Vingress_arbiter& dut() { return *dut_; }

 private:
  std::mt19937_64 rng_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vingress_arbiter> dut_;
  Port ports_[kPorts];
  std::deque<Beat> in_flight_;   // taken from a port, not yet out
  std::vector<int> frame_ports_;
  int cur_port_ = -1;
};

TEST(RtlIngressArbiter, OnePortBackToBackHasNoBubble) {
  ArbBench tb(1);
  std::mt19937 rng(7);
  for (int f = 0; f < 200; ++f) tb.add_frame(3, 1 + int(rng() % 5));
  int out = 0, clocks = 0, first = -1, last = -1;
  while (!tb.drained() && clocks < 10000) {
    if (tb.step(1.0, 1.0)) {
      if (first < 0) first = clocks;
      last = clocks;
      ++out;
    }
    ++clocks;
  }
  ASSERT_TRUE(tb.drained());
  EXPECT_EQ(last - first + 1, out) << "idle clocks between back-to-back frames";
}

TEST(RtlIngressArbiter, AllPortsRoundRobinNoIdleClock) {
  ArbBench tb(2);
  std::mt19937 rng(8);
  for (int p = 0; p < kPorts; ++p)
    for (int f = 0; f < 40; ++f) tb.add_frame(p, 1 + int(rng() % 4));
  int out = 0, clocks = 0, first = -1, last = -1;
  while (!tb.drained() && clocks < 100000) {
    if (tb.step(1.0, 1.0)) {
      if (first < 0) first = clocks;
      last = clocks;
      ++out;
    }
    ++clocks;
  }
  ASSERT_TRUE(tb.drained());
  EXPECT_EQ(last - first + 1, out) << "idle clocks when switching ports";
  // Every port always has a frame waiting, so the grant rotates strictly.
  const auto& fp = tb.frame_ports();
  ASSERT_EQ(fp.size(), size_t(kPorts * 40));
  for (size_t i = 1; i < fp.size(); ++i) ASSERT_EQ(fp[i], (fp[i - 1] + 1) % kPorts) << "frame " << i;
}

TEST(RtlIngressArbiter, RandomValidReadyKeepsFramesWhole) {
  ArbBench tb(3);
  std::mt19937 rng(9);
  for (int p = 0; p < kPorts; ++p)
    for (int f = 0; f < 60; ++f) tb.add_frame(p, 1 + int(rng() % 6));
  int clocks = 0;
  while (!tb.drained() && clocks < 200000) {
    tb.step(0.4, 0.6);
    ++clocks;
  }
  EXPECT_TRUE(tb.drained());
}

}  // namespace
