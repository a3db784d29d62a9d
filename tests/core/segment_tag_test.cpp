// Segment tags in the core (egress, DESIGN.md "Virtual TAPs"): a port with SEG_TAG set gets an
// 802.1Q tag pushed after the MACs of every frame it delivers, for every length around the beat
// edges (the last beat full or not), back to back, counted 4 bytes longer on TX; the frame is
// decided as it came. The expected bytes are the test's own insertion (the golden model).
#include <gtest/gtest.h>

#include "core_test_util.h"

namespace broker::coretest {
namespace {

namespace rm = broker::regmap;

Bytes tagged(Bytes f, uint16_t vid) {
  const uint8_t tag[4] = {0x81, 0x00, uint8_t(vid >> 8), uint8_t(vid)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

Bytes frame_of(size_t n, uint8_t seed) {
  const uint8_t a[6] = {2, 0, 0, 0, 0, 1}, b[6] = {2, 0, 0, 0, 0, 2};
  const uint8_t s[4] = {10, 0, 0, 1}, d[4] = {10, 0, 0, 2};
  Bytes f = eth(b, a, n >= 42 ? 0x0800 : 0x88B5);
  if (n >= 42) app(f, ipv4(s, d, 17, seed, udp(uint16_t(1000 + seed), 2000, payload(n - 42, seed))));
  else app(f, payload(n - 14, seed));
  return f;
}

struct TagCore {
  Pipeline pipe;
  explicit TagCore(uint16_t vid) {
    write_config(pipe, *make_config(2));
    pipe.write_csr(rm::SEG_TAG_at(0), vid, 0);
  }
  FrameResult forward(const Bytes& f) {
    static const uint16_t kIdle[kOutPorts] = {};
    FrameResult r;
    pipe.forward(0, f.data(), uint32_t(f.size()), 1, kIdle, r);
    return r;
  }
  uint64_t counter(uint32_t lo) { return pipe.read_counter(lo) | uint64_t(pipe.read_counter(lo + 4)) << 32; }
};

TEST(CoreSegmentTag, PushedAfterTheMacsAtEveryLength) {
  TagCore core(0x123);
  TagCore plain(0);
  uint64_t in_bytes = 0, out_bytes = 0, frames = 0;
  std::vector<size_t> lengths;
  for (size_t n = 14; n <= 200; ++n) lengths.push_back(n);
  for (size_t n : {252, 253, 255, 256, 257, 1500, 1514, 9000, 9018}) lengths.push_back(n);
  for (size_t n : lengths) {
    SCOPED_TRACE(n);
    const Bytes f = frame_of(n, uint8_t(n));
    const FrameResult r = core.forward(f);
    ASSERT_EQ(core.pipe.delivered(), tagged(f, 0x123));
    EXPECT_EQ(r.term.out_len, n + 4);
    EXPECT_EQ(r.decision.seg_vid, 0x123);
    // Decided as it came: the same fields and key as without the tag.
    const FrameResult p = plain.forward(f);
    EXPECT_EQ(plain.pipe.delivered(), f);
    EXPECT_EQ(0, std::memcmp(r.key, p.key, kKeyBytes));
    EXPECT_EQ(r.fields.vlan_count, p.fields.vlan_count);
    EXPECT_EQ(r.decision.out_port, p.decision.out_port);
    in_bytes += n;
    out_bytes += n + 4;
    ++frames;
  }
  EXPECT_EQ(core.counter(rm::RX_BYTES_LO_at(0)), in_bytes);
  EXPECT_EQ(core.counter(rm::TX_BYTES_LO_at(0)) + core.counter(rm::TX_BYTES_LO_at(1)), out_bytes);
  EXPECT_EQ(core.counter(rm::TX_PKTS_LO_at(0)) + core.counter(rm::TX_PKTS_LO_at(1)), frames);
}

// Back to back, frames whose last beat is full (one beat more out than in) among others: each
// leaves whole, tagged, in order; steps stay within the beats out plus a constant.
TEST(CoreSegmentTag, BackToBackFramesStayWhole) {
  TagCore core(4094);
  Pipeline& p = core.pipe;
  std::vector<Bytes> want;
  uint64_t out_beats = 0;
  for (int i = 0; i < 300; ++i) {
    const size_t n = i % 4 == 0 ? 61 + size_t(i % 3) * 64 : 60 + size_t(i * 29) % 300;
    const Bytes f = frame_of(n, uint8_t(i));
    want.push_back(tagged(f, 4094));
    out_beats += (want.back().size() + 63) / 64;
    frame_to_beats(f.data(), uint32_t(f.size()), 0, p.streams().rx0);
  }
  const Drained d = drain_lane0(p, want.size());
  ASSERT_EQ(d.frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(d.frames[i], want[i]) << "frame " << i;
  EXPECT_LE(uint64_t(d.steps), out_beats + kHeaderBeats + 2);
}

}  // namespace
}  // namespace broker::coretest
