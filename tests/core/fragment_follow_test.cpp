// Fragments follow their session (DESIGN.md "IP fragments", normative): a first fragment is
// keyed like any packet; later fragments leave on the first fragment's port while its
// identity (src, dst, protocol, identification) is remembered for the group's fragment
// timeout, else by their fallback key (counted as misses).
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "core_test_util.h"
#include "testdata.h"

namespace {

using namespace broker::coretest;

const uint8_t kMacA[6] = {2, 0, 0, 0, 0, 0xA}, kMacB[6] = {2, 0, 0, 0, 0, 0xB};

// One IPv4 datagram (protocol proto, id) carrying `l4` as fragments of at most `chunk` bytes
// of payload (a multiple of 8), in order.
std::vector<Bytes> ipv4_fragments(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                                  uint16_t id, const Bytes& l4, size_t chunk) {
  std::vector<Bytes> out;
  for (size_t off = 0; off < l4.size(); off += chunk) {
    const size_t n = std::min(chunk, l4.size() - off);
    const bool more = off + n < l4.size();
    Bytes f = eth(kMacA, kMacB, 0x0800);
    app(f, ipv4(src, dst, proto, id, Bytes(l4.begin() + off, l4.begin() + off + n),
                uint16_t((more ? 0x2000 : 0) | (off / 8))));
    out.push_back(f);
  }
  return out;
}

// One IPv6 datagram as fragments: fixed header, fragment header (next header nh, id), payload.
std::vector<Bytes> ipv6_fragments(const uint8_t src[16], const uint8_t dst[16], uint8_t nh,
                                  uint32_t id, const Bytes& l4, size_t chunk) {
  std::vector<Bytes> out;
  for (size_t off = 0; off < l4.size(); off += chunk) {
    const size_t n = std::min(chunk, l4.size() - off);
    const bool more = off + n < l4.size();
    Bytes fh = {nh, 0};
    app16(fh, uint16_t((off / 8) << 3 | (more ? 1 : 0)));
    app32(fh, id);
    app(fh, Bytes(l4.begin() + off, l4.begin() + off + n));
    Bytes f = eth(kMacA, kMacB, 0x86DD);
    app(f, ipv6(src, dst, 44, fh));
    out.push_back(f);
  }
  return out;
}

Bytes whole_udp(const uint8_t src[4], const uint8_t dst[4], uint16_t sp, uint16_t dp, const Bytes& body) {
  Bytes f = eth(kMacA, kMacB, 0x0800);
  app(f, ipv4(src, dst, 17, 1, udp(sp, dp, body)));
  return f;
}

TEST(FragmentFollow, FirstFragmentKeyedLikeAnyPacketLaterOnesFollow) {
  auto cfg = make_config(8);
  TestCore core(*cfg);
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  std::set<int> ports;
  for (uint16_t s = 0; s < 64; ++s) {
    const uint16_t sport = uint16_t(5000 + s);
    const Bytes l4 = udp(sport, 53, payload(3000, uint8_t(s)));
    const auto frags = ipv4_fragments(a, b, 17, uint16_t(100 + s), l4, 1480);
    ASSERT_EQ(frags.size(), 3u);
    // The unfragmented packet of the same session decides the first fragment.
    const FrameResult whole = core.forward(whole_udp(a, b, sport, 53, payload(10, 1)), 0, 10);
    const FrameResult first = core.forward(frags[0], 0, 11);
    EXPECT_TRUE(first.fields.fragment);
    EXPECT_TRUE(first.fields.has_l4) << "a first fragment carries its ports";
    EXPECT_EQ(first.decision.out_port, whole.decision.out_port) << "session " << s;
    EXPECT_FALSE(first.decision.frag_follow);
    for (size_t k = 1; k < frags.size(); ++k) {
      const FrameResult later = core.forward(frags[k], 0, 12);
      EXPECT_FALSE(later.fields.has_l4);
      EXPECT_TRUE(later.decision.frag_follow) << "session " << s << " fragment " << k;
      EXPECT_EQ(later.decision.out_port, first.decision.out_port);
    }
    ports.insert(first.decision.out_port);
  }
  EXPECT_GT(ports.size(), 4u) << "the sessions spread over the members";
  const CoreCounters c = core.counters();
  EXPECT_EQ(c.frag_follows, 128u);
  EXPECT_EQ(c.frag_misses, 0u);
  EXPECT_EQ(c.fragments, 192u);
}

TEST(FragmentFollow, LaterFragmentsWithoutTheirFirstUseTheFallbackKeyAndCountMisses) {
  auto cfg = make_config(8);
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  TestCore core(*cfg);
  int split = 0;
  for (uint16_t s = 0; s < 50; ++s) {
    const auto frags = ipv4_fragments(a, b, 17, uint16_t(900 + s), udp(uint16_t(7000 + s), 80, payload(4000, 2)), 1400);
    ASSERT_EQ(frags.size(), 3u);
    // The last fragment overtakes the others: nothing is remembered yet.
    const FrameResult last = core.forward(frags[2], 0, 100);
    EXPECT_FALSE(last.decision.frag_follow);
    EXPECT_TRUE(last.decision.frag_miss);
    const FrameResult first = core.forward(frags[0], 0, 101);
    const FrameResult middle = core.forward(frags[1], 0, 102);
    EXPECT_TRUE(middle.decision.frag_follow);
    EXPECT_EQ(middle.decision.out_port, first.decision.out_port);
    // The fallback key: the later fragment's key has no ports, TEID or inner addresses, so
    // later fragments of one datagram that miss stay together.
    PacketFields pf = last.fields;
    uint8_t k1[kKeyBytes], k2[kKeyBytes];
    build_key(pf, 0, kFiveTuple, true, k1);
    EXPECT_EQ(0, memcmp(k1, last.key, kKeyBytes)) << "the log shows the fallback key's hash";
    pf = middle.fields;
    build_key(pf, 0, kFiveTuple, true, k2);
    EXPECT_EQ(0, memcmp(k1, k2, kKeyBytes));
    split += last.decision.out_port != first.decision.out_port;
  }
  const CoreCounters c = core.counters();
  EXPECT_EQ(c.frag_misses, 50u);
  EXPECT_EQ(c.frag_follows, 50u);
  printf("[ info ] 50 datagrams whose last fragment came first: %d left apart from their first "
         "fragment (decided by the fallback key)\n", split);
}

TEST(FragmentFollow, RememberedOnlyForTheGroupsFragmentTimeout) {
  auto cfg = make_config(8);
  cfg->group[0].frag_timeout_us = 5000;
  TestCore core(*cfg);
  const uint8_t a[4] = {10, 9, 0, 1}, b[4] = {10, 9, 0, 2};
  const auto frags = ipv4_fragments(a, b, 17, 77, udp(1111, 2222, payload(3000, 5)), 1480);
  core.forward(frags[0], 0, 1000);
  EXPECT_TRUE(core.forward(frags[1], 0, 6000).decision.frag_follow) << "5000 us: still remembered";
  EXPECT_FALSE(core.forward(frags[2], 0, 6001).decision.frag_follow) << "5001 us: forgotten";
}

TEST(FragmentFollow, IdentityIsSourceDestinationProtocolAndIdentification) {
  auto cfg = make_config(8);
  TestCore core(*cfg);
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2}, c[4] = {10, 0, 0, 3};
  const auto d1 = ipv4_fragments(a, b, 17, 500, udp(1, 2, payload(2000, 1)), 1480);
  core.forward(d1[0], 0, 1);
  // Same identification, other source; other protocol; other identification: all misses.
  EXPECT_FALSE(core.forward(ipv4_fragments(c, b, 17, 500, udp(1, 2, payload(2000, 1)), 1480)[1], 0, 2).decision.frag_follow);
  EXPECT_FALSE(core.forward(ipv4_fragments(a, b, 6, 500, udp(1, 2, payload(2000, 1)), 1480)[1], 0, 3).decision.frag_follow);
  EXPECT_FALSE(core.forward(ipv4_fragments(a, b, 17, 501, udp(1, 2, payload(2000, 1)), 1480)[1], 0, 4).decision.frag_follow);
  EXPECT_TRUE(core.forward(d1[1], 0, 5).decision.frag_follow);
  EXPECT_EQ(core.counters().frag_misses, 3u);
}

TEST(FragmentFollow, Ipv6FragmentsAndAtomicFragments) {
  auto cfg = make_config(8);
  TestCore core(*cfg);
  uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8}, b[16] = {0x20, 0x01, 0x0d, 0xb8};
  a[15] = 1;
  b[15] = 2;
  for (uint32_t s = 0; s < 32; ++s) {
    const auto frags = ipv6_fragments(a, b, 17, 0x10000 + s, udp(uint16_t(3000 + s), 443, payload(2500, 3)), 1232);
    ASSERT_EQ(frags.size(), 3u);
    const FrameResult first = core.forward(frags[0], 0, 10);
    EXPECT_TRUE(first.fields.fragment);
    EXPECT_TRUE(first.fields.has_l4);
    EXPECT_EQ(first.fields.src_port, 3000 + s);
    for (size_t k = 1; k < frags.size(); ++k) {
      const FrameResult later = core.forward(frags[k], 0, 11);
      EXPECT_TRUE(later.decision.frag_follow);
      EXPECT_EQ(later.decision.out_port, first.decision.out_port);
      EXPECT_EQ(later.fields.l4_proto, 17) << "a later fragment's protocol is the fragment header's next header";
    }
  }
  // An atomic fragment (offset 0, M clear) is a whole datagram: not a fragment, keyed with its
  // ports, nothing remembered.
  const auto atomic = ipv6_fragments(a, b, 17, 9, udp(4000, 53, payload(40, 1)), 4096);
  ASSERT_EQ(atomic.size(), 1u);
  const FrameResult r = core.forward(atomic[0], 0, 12);
  EXPECT_FALSE(r.fields.fragment);
  EXPECT_TRUE(r.fields.has_l4);
  const CoreCounters c = core.counters();
  EXPECT_EQ(c.frag_follows, 64u);
  EXPECT_EQ(c.fragments, 96u);
}

TEST(FragmentFollow, ClearFlowsForgetsAndALeavingMemberIsNotFollowed) {
  auto cfg = make_config(4);
  TestCore core(*cfg);
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  const auto d = ipv4_fragments(a, b, 17, 42, udp(9, 10, payload(5000, 1)), 1480);
  ASSERT_EQ(d.size(), 4u);
  const FrameResult first = core.forward(d[0], 0, 1);
  EXPECT_TRUE(core.forward(d[1], 0, 2).decision.frag_follow);
  core.pipeline().write_csr(broker::regmap::COMMAND, broker::regmap::COMMAND_CLEAR_FLOWS_MASK, 3);
  EXPECT_FALSE(core.forward(d[2], 0, 3).decision.frag_follow) << "cleared in the same microsecond";
  // Remembered again, then its member leaves the group: the fragment goes by its fallback key
  // to a live member.
  core.forward(d[0], 0, 4);
  const uint16_t live = uint16_t(0xF & ~(1u << first.decision.slot));
  core.pipeline().write_csr(broker::regmap::GRP_LIVE_at(0), live, 5);
  const FrameResult r = core.forward(d[3], 0, 5);
  EXPECT_FALSE(r.decision.frag_follow);
  EXPECT_TRUE(r.decision.frag_miss);
  EXPECT_NE(r.decision.out_port, first.decision.out_port);
  EXPECT_NE(r.decision.out_port, kNoPort);
}

TEST(FragmentFollow, DynamicModeFollowersTouchNoFlowBucket) {
  auto cfg = make_config(8, kModeDynamic);
  TestCore core(*cfg);
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  for (uint16_t s = 0; s < 20; ++s) {
    const auto d = ipv4_fragments(a, b, 17, uint16_t(s), udp(uint16_t(100 + s), 200, payload(3000, 1)), 1480);
    const FrameResult first = core.forward(d[0], 0, 10 + s);
    for (size_t k = 1; k < d.size(); ++k) {
      const FrameResult later = core.forward(d[k], 0, 10 + s);
      EXPECT_TRUE(later.decision.frag_follow);
      EXPECT_FALSE(later.decision.new_flow);
      EXPECT_EQ(later.decision.out_port, first.decision.out_port);
    }
  }
  EXPECT_LE(core.counters().grp_new_flows[0], 20u) << "only first fragments assign buckets";
}

// GTP-U over IPv4 fragmented on the outer header (mobile cores do this when the tunnel MTU is
// smaller than the user's packets): with the tuple on the inner addresses, every datagram's
// fragments must reach one member. Without the fragment memory (timeout 0 and the fragments a
// microsecond apart) later fragments carry no inner addresses and most datagrams split.
struct GtpSplit {
  int datagrams = 0, split = 0;
  uint64_t follows = 0, misses = 0;
};
GtpSplit gtp_datagrams(uint32_t frag_timeout_us) {
  auto cfg = make_config(8);
  cfg->group[0].tuple = kTupleGtpInnerIp;
  cfg->group[0].frag_timeout_us = frag_timeout_us;
  TestCore core(*cfg);
  GtpSplit r;
  const uint8_t enb[4] = {172, 16, 0, 1}, sgw[4] = {172, 16, 0, 2};
  uint64_t now = 1;
  for (int u = 0; u < 400; ++u) {
    const uint8_t ue[4] = {10, 45, uint8_t(u >> 8), uint8_t(u)}, server[4] = {93, 184, uint8_t(u), 34};
    const Bytes inner = ipv4(ue, server, 6, uint16_t(u), tcp(uint16_t(40000 + u), 443, payload(1400, uint8_t(u))));
    const Bytes l4 = udp(2152, 2152, gtpu(0x1000 + u, inner));
    const auto frags = ipv4_fragments(enb, sgw, 17, uint16_t(u), l4, 1200);
    std::set<int> ports;
    for (const auto& f : frags) ports.insert(core.forward(f, 0, now++).decision.out_port);
    ++r.datagrams;
    r.split += ports.size() > 1;
  }
  const CoreCounters c = core.counters();
  r.follows = c.frag_follows;
  r.misses = c.frag_misses;
  return r;
}

TEST(FragmentFollow, OuterFragmentedGtpUDatagramsStayOnOneMember) {
  const GtpSplit without = gtp_datagrams(0), with = gtp_datagrams(1000000);
  EXPECT_EQ(with.split, 0);
  EXPECT_EQ(with.misses, 0u);
  EXPECT_EQ(with.follows, 400u);
  EXPECT_GT(without.split, 200) << "the test must show what the memory prevents";
  printf("[ figures ] 400 outer-fragmented GTP-U datagrams, tuple GTP_INNER_IP, 8 members: "
         "split across members %d without fragment memory, %d with it (follows %llu, misses %llu)\n",
         without.split, with.split, (unsigned long long)with.follows, (unsigned long long)with.misses);
  RecordProperty("gtp_split_without", without.split);
  RecordProperty("gtp_split_with", with.split);
}

// Every shared capture: how many later fragments followed and how many missed, and no
// datagram whose first fragment came first is split.
TEST(FragmentFollow, SharedCapturesFollowsAndMisses) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  uint64_t follows = 0, misses = 0, later = 0;
  int split = 0, datagrams = 0;
  for (const auto& path : broker::testing::shared_captures()) {
    const Capture cap = load_capture(path);
    if (!cap.error.empty()) continue;
    for (uint16_t tuple : {uint16_t(kFiveTuple), uint16_t(kTupleGtpInnerIp | kTupleSrcIp | kTupleDstIp)}) {
      auto cfg = make_config(8);
      cfg->group[0].tuple = tuple;
      TestCore core(*cfg);
      struct Seen { std::set<int> ports; bool first_first = false; int n = 0; };
      std::map<std::vector<uint8_t>, Seen> by_datagram;
      for (const auto& fr : cap.frames) {
        const FrameResult r = core.forward(fr.data, 0, fr.ts_ns / 1000);
        if (!r.fields.fragment) continue;
        std::vector<uint8_t> id(r.fields.src_ip, r.fields.src_ip + 16);
        id.insert(id.end(), r.fields.dst_ip, r.fields.dst_ip + 16);
        for (int k = 0; k < 4; ++k) id.push_back(uint8_t(r.fields.frag_id >> (8 * k)));
        id.push_back(r.fields.frag_proto);
        Seen& s = by_datagram[id];
        if (s.n == 0) s.first_first = !r.fields.frag_later;
        ++s.n;
        s.ports.insert(r.decision.out_port);
        later += r.fields.frag_later;
      }
      const CoreCounters c = core.counters();
      follows += c.frag_follows;
      misses += c.frag_misses;
      for (const auto& [id, s] : by_datagram) {
        if (s.n < 2 || !s.first_first) continue;
        ++datagrams;
        split += s.ports.size() > 1;
      }
    }
  }
  printf("[ figures ] shared captures (5-tuple and inner+outer IP tuples): %llu later fragments, "
         "%llu followed, %llu missed; %d datagrams whose first fragment came first, %d of them "
         "split\n", (unsigned long long)later, (unsigned long long)follows,
         (unsigned long long)misses, datagrams, split);
  EXPECT_EQ(follows + misses, later);
  EXPECT_EQ(split, 0);
  RecordProperty("follows", int(follows));
  RecordProperty("misses", int(misses));
}

}  // namespace
