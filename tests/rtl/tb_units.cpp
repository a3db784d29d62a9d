// Small RTL units: hw/rtl/packet_fifo.sv (8 beats deep, 64-bit data) takes every beat, passes
// whole frames in order, drops whole the frames it has no room for (one pulse each, every
// frame longer than the memory, never a frame that arrives at an empty queue and fits) and
// reports EMPTY; built with LEN_W = 6 (Vpacket_fifo_len) the same runs also check m_tlen, the
// frame's length in bytes (its TKEEP bits, saturated at 63: a frame of 8 full beats is 64
// bytes) on every beat that leaves, through drops, flushes and discards; with LEN_W = 0 it
// stays 0. hw/rtl/us_tick.sv at the Alveo's 322.265625 MHz keeps
// now_us * CLK_HZ + frac == clocks * 10^6 exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vpacket_fifo.h"
#include "Vpacket_fifo_len.h"
#include "Vus_tick.h"
#include "verilated.h"

namespace {

// One rising edge of a verilated unit.
template <class Model>
void clock_edge(Model& m) {
  m.clk = 0;
  m.eval();
  m.clk = 1;
  m.eval();
}

constexpr size_t kDepth = 8;  // -GDEPTH of the verilated FIFO

// TKEEP of frame `id`'s beats (the same on each; not always contiguous: m_tlen counts bits).
uint8_t keep_of_frame(uint64_t id) { return id % 3 == 0 ? 0xFF : uint8_t(id * 37 + 1); }
// What m_tlen must say for a frame of `beats` beats (len_w: the model's LEN_W).
uint64_t want_len(uint64_t id, size_t beats, int len_w) {
  if (len_w == 0) return 0;
  const uint64_t bytes = uint64_t(__builtin_popcount(keep_of_frame(id))) * beats;
  return std::min<uint64_t>(bytes, (uint64_t(1) << len_w) - 1);
}

template <class Fifo>
void whole_frames_in_order(int len_w) {
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->randReset(2);
  auto q = std::make_unique<Fifo>(ctx.get());
  auto tick = [&] { clock_edge(*q); };
  q->rst_n = 0;
  q->s_tvalid = 0;
  q->m_tready = 0;
  q->flush_i = 0;
  for (int i = 0; i < 4; ++i) tick();
  q->rst_n = 1;
  q->eval();
  EXPECT_TRUE(q->empty_o);

  // Frames of 1..12 beats (longer than the memory too); beat b of frame f carries f << 8 | b.
  std::mt19937_64 rng(11);
  struct Sent {
    uint64_t id;
    size_t beats;
    bool at_empty;  // its first beat found the FIFO empty
  };
  std::deque<Sent> sent;              // in order; popped as frames come out or are dropped
  std::vector<uint64_t> out_frame;    // beats of the frame leaving
  std::vector<uint64_t> out_len;      // m_tlen with each of them
  uint64_t next_id = 1, frames_out = 0, drops = 0, commits = 0, frames_in = 0, saturated = 0;
  size_t beat = 0, len = 0;
  bool in_frame = false;
  for (int clk = 0; clk < 300000; ++clk) {
    // Phases: the port stalls (drops), drains, or runs at random.
    const int phase = (clk / 700) % 3;
    const double p_in = phase == 0 ? 0.9 : phase == 1 ? 0.05 : 0.5;
    const double p_out = phase == 0 ? 0.05 : phase == 1 ? 0.95 : 0.5;
    if (!in_frame && std::uniform_real_distribution<>(0, 1)(rng) < p_in) {
      in_frame = true;
      beat = 0;
      len = 1 + rng() % 12;
    }
    q->s_tvalid = in_frame;
    q->s_tdata = next_id << 8 | beat;
    q->s_tkeep = keep_of_frame(next_id);
    q->s_tlast = in_frame && beat + 1 == len;
    q->m_tready = std::uniform_real_distribution<>(0, 1)(rng) < p_out;
    q->clk = 0;
    q->eval();
    ASSERT_TRUE(q->s_tready) << "input held back at clock " << clk;
    commits += q->commit_o;
    drops += q->drop_o;
    ASSERT_FALSE(q->commit_o && q->drop_o);
    if (q->m_tvalid && q->m_tready) {
      out_frame.push_back(q->m_tdata);
      out_len.push_back(q->m_tlen);
      if (q->m_tlast) {
        // The oldest frames not out are dropped ones, up to this one.
        const uint64_t id = out_frame.front() >> 8;
        while (!sent.empty() && sent.front().id != id) {
          ASSERT_FALSE(sent.front().beats <= kDepth && sent.front().at_empty)
              << "frame " << sent.front().id << " fit an empty FIFO but was dropped";
          sent.pop_front();
        }
        ASSERT_FALSE(sent.empty()) << "frame " << id << " out of order or never sent";
        ASSERT_LE(sent.front().beats, kDepth) << "a frame longer than the memory left";
        ASSERT_EQ(out_frame.size(), sent.front().beats) << "frame " << id << " truncated";
        for (size_t b = 0; b < out_frame.size(); ++b) ASSERT_EQ(out_frame[b], id << 8 | b);
        for (size_t b = 0; b < out_len.size(); ++b)
          ASSERT_EQ(out_len[b], want_len(id, sent.front().beats, len_w)) << "m_tlen of frame " << id << ", beat " << b;
        saturated += want_len(id, sent.front().beats, 16) > want_len(id, sent.front().beats, len_w);
        sent.pop_front();
        out_len.clear();
        out_frame.clear();
        ++frames_out;
      }
    }
    if (in_frame) {
      if (beat == 0) sent.push_back({next_id, len, bool(q->empty_o)});
      if (++beat == len) {
        in_frame = false;
        ++next_id;
        ++frames_in;
      }
    }
    q->clk = 1;
    q->eval();
  }
  // Finish the frame being sent (a frame's beats stay until its TLAST), then drain.
  q->m_tready = 1;
  for (int i = 0; i < 64; ++i) {
    q->s_tvalid = in_frame;
    q->s_tdata = next_id << 8 | beat;
    q->s_tlast = in_frame && beat + 1 == len;
    q->clk = 0;
    q->eval();
    commits += q->commit_o;
    drops += q->drop_o;
    if (q->m_tvalid && q->m_tlast) ++frames_out;
    if (in_frame && ++beat == len) {
      in_frame = false;
      ++frames_in;
    }
    q->clk = 1;
    q->eval();
  }
  EXPECT_TRUE(q->empty_o);
  EXPECT_EQ(commits + drops, frames_in) << "one pulse per frame";
  EXPECT_EQ(commits, frames_out) << "every committed frame left";
  EXPECT_GT(drops, 1000u) << "the stall phases never dropped";
  EXPECT_GT(frames_out, 10000u);
  if (len_w > 0) EXPECT_GT(saturated, 10u) << "no frame reached the saturated length";
  q->final();
}

TEST(RtlPacketFifo, WholeFramesInOrderDropsWholeFramesNeverHoldsInputBack) {
  whole_frames_in_order<Vpacket_fifo>(0);
}

TEST(RtlPacketFifo, FrameLengthWithEveryBeatThroughDrops) { whole_frames_in_order<Vpacket_fifo_len>(6); }

// A port whose link goes down and up at random: flush_i drops what arrives and discards what is
// stored; frames that leave are whole and in order (a frame that began leaving finishes);
// every frame is counted once: commit or drop on arrival, then out or discarded.
template <class Fifo>
void flush_drops_and_discards(int len_w) {
  auto ctx = std::make_unique<VerilatedContext>();
  ctx->randReset(2);
  auto q = std::make_unique<Fifo>(ctx.get());
  q->rst_n = 0;
  q->s_tvalid = 0;
  q->m_tready = 0;
  q->flush_i = 0;
  for (int i = 0; i < 4; ++i) clock_edge(*q);
  q->rst_n = 1;
  std::mt19937_64 rng(23);
  std::vector<uint64_t> out_frame, out_len;
  uint64_t next_id = 1, last_out = 0, frames_in = 0, frames_out = 0, commits = 0, drops = 0, discards = 0;
  uint64_t flushed_clocks = 0;
  size_t beat = 0, len = 0;
  bool in_frame = false, flush = false;
  auto run = [&](int clocks, bool inputs) {
    for (int clk = 0; clk < clocks; ++clk) {
      if (inputs && rng() % 300 == 0) flush = !flush;
      if (inputs && !in_frame && rng() % 2 == 0) {
        in_frame = true;
        beat = 0;
        len = 1 + rng() % 6;
      }
      q->flush_i = flush;
      flushed_clocks += flush;
      q->s_tvalid = in_frame;
      q->s_tdata = next_id << 8 | beat;
      q->s_tkeep = keep_of_frame(next_id);
      q->s_tlast = in_frame && beat + 1 == len;
      q->m_tready = !inputs || rng() % 3 != 0;
      q->clk = 0;
      q->eval();
      commits += q->commit_o;
      drops += q->drop_o;
      discards += q->discard_o;
      if (q->m_tvalid && q->m_tready) {
        out_frame.push_back(q->m_tdata);
        out_len.push_back(q->m_tlen);
        if (q->m_tlast) {
          const uint64_t id = out_frame.front() >> 8;
          ASSERT_GT(id, last_out) << "frame " << id << " out of order";
          for (size_t b = 0; b < out_frame.size(); ++b)
            ASSERT_EQ(out_frame[b], id << 8 | b) << "frame " << id << " truncated or mixed";
          // Whole (checked above), so its length is its beats' count times its TKEEP's bits.
          for (size_t b = 0; b < out_len.size(); ++b)
            ASSERT_EQ(out_len[b], want_len(id, out_frame.size(), len_w))
                << "m_tlen of frame " << id << ", beat " << b << " (after " << discards << " discards)";
          out_len.clear();
          last_out = id;
          out_frame.clear();
          ++frames_out;
        }
      }
      if (in_frame && ++beat == len) {
        in_frame = false;
        ++next_id;
        ++frames_in;
      }
      q->clk = 1;
      q->eval();
    }
  };
  run(200000, true);
  flush = false;
  run(64, false);  // the frame arriving ends; the queue drains
  EXPECT_TRUE(q->empty_o);
  EXPECT_TRUE(out_frame.empty());
  EXPECT_EQ(commits + drops, frames_in) << "one pulse per frame on arrival";
  EXPECT_EQ(commits, frames_out + discards) << "a stored frame leaves or is discarded";
  EXPECT_GT(discards, 100u) << "flushes never found a stored frame";
  EXPECT_GT(drops, 1000u);
  EXPECT_GT(frames_out, 10000u);
  EXPECT_GT(flushed_clocks, 50000u);
  q->final();
}

TEST(RtlPacketFifo, FlushDropsAndDiscardsWholeFramesAndNeverTruncates) {
  flush_drops_and_discards<Vpacket_fifo>(0);
}

TEST(RtlPacketFifo, FrameLengthWithEveryBeatThroughFlushesAndDiscards) {
  flush_drops_and_discards<Vpacket_fifo_len>(6);
}

TEST(RtlUsTick, ExactAt322MHz) {
  constexpr uint64_t kHz = 322265625;
  auto ctx = std::make_unique<VerilatedContext>();
  auto t = std::make_unique<Vus_tick>(ctx.get());
  auto tick = [&] { clock_edge(*t); };
  t->rst_n = 0;
  t->clk_hz_i = 0;  // the built-for clock (-GCLK_HZ)
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

// KERNEL_CLK_HZ: the platform runs the kernel at another clock than it was built for (v++
// lowered it to 250 MHz); with the register written the time base is exact at that clock.
TEST(RtlUsTick, ExactAtTheClockTheRegisterGives) {
  constexpr uint64_t kHz = 250000000;
  auto ctx = std::make_unique<VerilatedContext>();
  auto t = std::make_unique<Vus_tick>(ctx.get());
  auto tick = [&] { clock_edge(*t); };
  t->clk_hz_i = uint32_t(kHz);
  t->rst_n = 0;
  tick();
  t->rst_n = 1;
  tick();  // the register reaches the tick
  const uint64_t us0 = t->now_us, frac0 = t->frac;
  for (uint64_t n = 0; n < 2000000; ++n) {
    ASSERT_EQ((uint64_t(t->now_us) - us0) * kHz + t->frac - frac0, n * 1000000ull) << "clock " << n;
    tick();
  }
  EXPECT_EQ(uint64_t(t->now_us) - us0, 2000000ull * 1000000ull / kHz);
  t->final();
}

}  // namespace
