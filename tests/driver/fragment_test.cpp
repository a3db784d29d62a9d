// Fragments follow their session (DESIGN.md, Packet semantics), through the real Driver and
// SoftCard: a later IP fragment leaves where its first fragment went while the group's
// fragment timeout (as the driver wrote it) has not run out, otherwise it is decided by its
// fallback key; FRAG_FOLLOWS / FRAG_MISSES count both, the driver reads them and clears them.
#include "driver_test_util.h"

namespace broker::drvtest {
namespace {

constexpr uint64_t kUs = 1000;  // ns

// An IPv4 fragment of datagram `id` of flow f: offset in 8-byte units, MF as given.
std::vector<uint8_t> fragment(const Flow& f, uint16_t id, uint16_t offset8, bool more) {
  std::vector<uint8_t> p = make_frame(f, 200);
  uint8_t* ip = p.data() + 14;
  ip[4] = uint8_t(id >> 8);
  ip[5] = uint8_t(id);
  ip[6] = uint8_t((more ? 0x20 : 0) | ((offset8 >> 8) & 0x1F));
  ip[7] = uint8_t(offset8);
  ip[10] = ip[11] = 0;
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = uint8_t(~sum >> 8);
  ip[11] = uint8_t(~sum);
  return p;
}

class DriverFragments : public ::testing::Test {
 protected:
  void apply(const std::string& extra) { drv.apply(static_config({0, 1, 2, 3, 4, 5, 6, 7}, extra)); }

  core::Decision send(const std::vector<uint8_t>& frame, uint64_t ts_ns) {
    return card.forward(0, ts_ns, frame.data(), uint32_t(frame.size())).decision;
  }

  // A UDP flow whose first fragments (full key) and later fragments without a remembered
  // first (fallback key, ports zero) go to different members, so a follow shows.
  Flow telling_flow() {
    for (const Flow& f : random_flows(200, 42)) {
      Flow u = f;
      u.proto = kUdp;
      const auto first = fragment(u, 1, 0, true);
      const auto later = fragment(u, 2, 22, false);
      const auto a = card.explain(0, first.data(), uint32_t(first.size())).decision;
      const auto b = card.explain(0, later.data(), uint32_t(later.size())).decision;
      if (a.out_port != b.out_port && b.out_port != core::kNoPort) return u;
    }
    ADD_FAILURE() << "no flow whose full and fallback keys pick different members";
    return {};
  }

  cards::SoftCard card;
  driver::Driver drv{card};
};

TEST_F(DriverFragments, LaterFragmentsFollowTheFirstOrMissAndAreCounted) {
  apply("");
  const Flow f = telling_flow();
  const auto orphan = fragment(f, 0x0BAD, 22, false);  // its first fragment never comes
  const core::Decision miss = send(orphan, 1000 * kUs);
  EXPECT_FALSE(miss.frag_follow);
  ASSERT_NE(miss.out_port, core::kNoPort);

  const core::Decision first = send(fragment(f, 0x1234, 0, true), 1001 * kUs);
  EXPECT_FALSE(first.frag_follow) << "a first fragment is decided by its own key";
  EXPECT_NE(int(first.out_port), int(miss.out_port)) << "telling_flow picks keys that part";
  const core::Decision middle = send(fragment(f, 0x1234, 22, true), 1002 * kUs);
  const core::Decision last = send(fragment(f, 0x1234, 44, false), 1003 * kUs);
  EXPECT_TRUE(middle.frag_follow);
  EXPECT_TRUE(last.frag_follow);
  EXPECT_EQ(int(middle.out_port), int(first.out_port));
  EXPECT_EQ(int(last.out_port), int(first.out_port));

  driver::Counters c = drv.counters();
  EXPECT_EQ(c.fragments, 4u);
  EXPECT_EQ(c.frag_follows, 2u);
  EXPECT_EQ(c.frag_misses, 1u);

  drv.clear_counters();
  c = drv.counters();
  EXPECT_EQ(c.frag_follows, 0u);
  EXPECT_EQ(c.frag_misses, 0u);
}

TEST_F(DriverFragments, TheConfiguredTimeoutDecidesHowLongAFirstFragmentIsRemembered) {
  apply("fragment_timeout_us: 1000");
  const Flow f = telling_flow();
  const core::Decision a = send(fragment(f, 1, 0, true), 1000 * kUs);
  const core::Decision a_later = send(fragment(f, 1, 22, false), 1500 * kUs);  // 0.5 ms on
  EXPECT_TRUE(a_later.frag_follow);
  EXPECT_EQ(int(a_later.out_port), int(a.out_port));

  const core::Decision b = send(fragment(f, 2, 0, true), 2000 * kUs);
  const core::Decision b_later = send(fragment(f, 2, 22, false), 4000 * kUs);  // 2 ms on
  EXPECT_FALSE(b_later.frag_follow) << "remembered past the 1 ms fragment timeout";
  EXPECT_NE(int(b_later.out_port), int(b.out_port));

  // The default (1 s) keeps the same gap.
  apply("");
  const core::Decision c = send(fragment(f, 3, 0, true), 5000 * kUs);
  const core::Decision c_later = send(fragment(f, 3, 22, false), 7000 * kUs);
  EXPECT_TRUE(c_later.frag_follow);
  EXPECT_EQ(int(c_later.out_port), int(c.out_port));

  const driver::Counters n = drv.counters();
  EXPECT_EQ(n.frag_follows, 2u);
  EXPECT_EQ(n.frag_misses, 1u);
}

}  // namespace
}  // namespace broker::drvtest
