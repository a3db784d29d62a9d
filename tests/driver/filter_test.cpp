// Filters (flow maps) through the real parts: a configuration with `filters`, validated and
// written by the Driver into the SoftCard's registers, frames through the card's data path.
// Precedence, every match field, drop, 64 rules at once, counters exact, filters on the inner
// frame of a terminated tunnel.
#include <gtest/gtest.h>

#include "decision_log.h"
#include "driver_test_util.h"

namespace broker::drvtest {
namespace {

// Groups: "main" (ingress 0 and 1, members 0, 1), "ids" (member 2), "rec" (member 3) and
// "pair" (members 4, 5).
const char* kBase = R"(
name: "filters"
ingress_ports { port: 0 } ingress_ports { port: 1 }
egress_ports { port: 0 } egress_ports { port: 1 } egress_ports { port: 2 } egress_ports { port: 3 }
egress_ports { port: 4 } egress_ports { port: 5 }
groups { name: "main" ingress_ports: [0, 1] members: [0, 1] tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] symmetric: true }
groups { name: "ids" members: [2] tuple: [SRC_IP, DST_IP] symmetric: true }
groups { name: "rec" members: [3] tuple: [SRC_IP, DST_IP] symmetric: true }
groups { name: "pair" members: [4, 5] tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] symmetric: true }
)";

struct Card {
  cards::SoftCard card;
  driver::Driver drv{card};
  explicit Card(const std::string& filters) { drv.apply(parse(std::string(kBase) + filters)); }
  // The egress port and the filter rule that decided (-1: none).
  std::pair<int, int> send(const std::vector<uint8_t>& f, uint8_t port = 0) {
    const core::FrameResult& r = card.forward(port, ++t_ns, f.data(), uint32_t(f.size()));
    const int out = r.decision.out_port == core::kNoPort ? -1 : int(r.decision.out_port);
    return {out, r.decision.filtered ? int(r.decision.rule) : -1};
  }
  uint64_t t_ns = 1000;
};

const Flow kWeb{0x0A000001, 0x0A000102, 40000, 443, kTcp};

std::vector<uint8_t> with_vlan(std::vector<uint8_t> f, uint16_t vid) {
  const uint8_t tag[4] = {0x81, 0x00, uint8_t(vid >> 8), uint8_t(vid)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

// A GTP-U G-PDU (UDP 2152) with this TEID around a small inner IPv4 packet.
std::vector<uint8_t> gtp_frame(uint32_t teid) {
  std::vector<uint8_t> f = make_frame({0x0A000001, 0x0A000002, 2152, 2152, kUdp}, 100);
  uint8_t* g = f.data() + 14 + 20 + 8;
  const uint16_t glen = uint16_t(f.size() - 14 - 20 - 8 - 8);
  const uint8_t hdr[8] = {0x30, 0xFF, uint8_t(glen >> 8), uint8_t(glen), uint8_t(teid >> 24), uint8_t(teid >> 16),
                          uint8_t(teid >> 8), uint8_t(teid)};
  std::copy(hdr, hdr + 8, g);
  uint8_t* in = g + 8;
  in[0] = 0x45;
  in[2] = uint8_t(glen >> 8);
  in[3] = uint8_t(glen);
  in[9] = 17;
  in[12] = 172, in[13] = 16, in[14] = 0, in[15] = 1;
  in[16] = 172, in[17] = 16, in[18] = 0, in[19] = 2;
  return f;
}

std::vector<uint8_t> ipv6_frame(uint8_t last_src_byte, uint16_t dport) {
  std::vector<uint8_t> f(14 + 40 + 8 + 16, 0);
  const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  std::copy(macs, macs + 12, f.begin());
  f[12] = 0x86, f[13] = 0xDD;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  ip[5] = 24;  // payload length
  ip[6] = 17;
  ip[7] = 64;
  const uint8_t pre[4] = {0x20, 0x01, 0x0d, 0xb8};
  std::copy(pre, pre + 4, ip + 8);
  ip[23] = last_src_byte;
  std::copy(pre, pre + 4, ip + 24);
  ip[39] = 1;
  uint8_t* u = ip + 40;
  u[0] = 0x30, u[1] = 0x39;
  u[2] = uint8_t(dport >> 8), u[3] = uint8_t(dport);
  u[5] = 24;
  return f;
}

TEST(DriverFilters, FirstMatchByPriorityThenListOrder) {
  Card c(R"(
filters { name: "web-to-rec" priority: 20 match { dst_port_min: 443 dst_port_max: 443 } groups: ["rec"] }
filters { name: "tcp-to-ids" priority: 10 match { ip_proto: 6 } groups: ["ids"] }
filters { name: "also-10" priority: 10 match { dst_port_min: 443 dst_port_max: 443 } drop: true }
)");
  // priority 10 comes first; of the two 10s, the one listed first.
  EXPECT_EQ(c.send(make_frame(kWeb)), std::make_pair(2, 0));
  EXPECT_EQ(c.drv.filter_names(), (std::vector<std::string>{"tcp-to-ids", "also-10", "web-to-rec"}));
  // UDP to 443: not TCP, so "also-10" drops it before "web-to-rec" sees it.
  EXPECT_EQ(c.send(make_frame({1, 2, 5, 443, kUdp})), std::make_pair(-1, 1));
  // UDP elsewhere: no rule, the ingress port's group.
  const auto plain = c.send(make_frame({1, 2, 5, 53, kUdp}));
  EXPECT_TRUE(plain.first == 0 || plain.first == 1);
  EXPECT_EQ(plain.second, -1);
  const auto k = c.drv.counters();
  ASSERT_EQ(k.filters.size(), 3u);
  EXPECT_EQ(k.filters[0].packets, 1u);
  EXPECT_EQ(k.filters[1].packets, 1u);
  EXPECT_EQ(k.filters[2].packets, 0u);
  EXPECT_EQ(k.filter_drops, 1u);
  EXPECT_EQ(k.unmapped_drops, 0u);
}

// Each condition alone: a frame that has it goes to "ids", one that does not stays in "main".
TEST(DriverFilters, EveryConditionMatchesAndMisses) {
  struct Case {
    const char* match;
    std::vector<uint8_t> hit, miss;
    uint8_t hit_port = 0, miss_port = 0;
  };
  std::vector<uint8_t> frag = make_frame(kWeb);
  frag[14 + 6] = 0x20;  // MF: a first fragment
  std::vector<uint8_t> broken = make_frame(kWeb);
  broken[14] = 0x44;  // IHL 4: the header itself is wrong
  const std::vector<Case> cases = {
      {"ingress_ports: [1]", make_frame(kWeb), make_frame(kWeb), 1, 0},
      {"vlan_min: 100 vlan_max: 199", with_vlan(make_frame(kWeb), 150), with_vlan(make_frame(kWeb), 200)},
      {"vlan_min: 100", with_vlan(make_frame(kWeb), 4000), make_frame(kWeb)},
      {"ethertype: 0x86DD", ipv6_frame(1, 80), make_frame(kWeb)},
      {"src_mac: \"02:00:0a:00:00:01\"", make_frame(kWeb), make_frame(kWeb.reversed())},
      {"dst_mac: \"02:00:0a:00:01:00\" dst_mac_mask: \"ff:ff:ff:ff:ff:00\"", make_frame(kWeb),
       make_frame({0x0A000001, 0x0B000102, 1, 2, kTcp})},
      {"src_prefix: \"10.0.0.0/24\"", make_frame(kWeb), make_frame(kWeb.reversed())},
      {"dst_prefix: \"10.0.1.0/24\"", make_frame(kWeb), make_frame({0x0A000001, 0x0A000202, 1, 443, kTcp})},
      {"src_prefix: \"2001:db8::/120\"", ipv6_frame(0x11, 80), make_frame(kWeb)},
      {"src_prefix: \"2001:db8::10/124\"", ipv6_frame(0x1F, 80), ipv6_frame(0x20, 80)},
      {"ip_proto: 17", make_frame({1, 2, 3, 4, kUdp}), make_frame(kWeb)},
      {"src_port_min: 40000 src_port_max: 40010", make_frame(kWeb), make_frame(kWeb.reversed())},
      {"dst_port_max: 1023", make_frame(kWeb), make_frame(kWeb.reversed())},
      {"gtp_teid: 0x12345678", gtp_frame(0x12345678), gtp_frame(0x12345679)},
      {"gtp_teid: 0x12340000 gtp_teid_mask: 0xFFFF0000", gtp_frame(0x1234ABCD), gtp_frame(0x1235ABCD)},
      {"fragment: true", frag, make_frame(kWeb)},
      {"fragment: false", make_frame(kWeb), frag},
      {"malformed: true", broken, make_frame(kWeb)},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.match);
    Card c(std::string("filters { name: \"f\" match { ") + k.match + " } groups: [\"ids\"] }");
    EXPECT_EQ(c.send(k.hit, k.hit_port), std::make_pair(2, 0));
    const auto miss = c.send(k.miss, k.miss_port);
    EXPECT_EQ(miss.second, -1);
    EXPECT_NE(miss.first, 2);
    EXPECT_EQ(c.drv.counters().filters.at(0).packets, 1u);
  }
}

// 64 rules, one per destination port; each frame is counted by exactly its rule, bytes too.
TEST(DriverFilters, SixtyFourRulesCountedExactly) {
  std::string text;
  for (int i = 0; i < 64; ++i)
    text += fmt::format("filters {{ name: \"r{}\" priority: {} match {{ dst_port_min: {} dst_port_max: {} }} {} }}\n", i,
                        64 - i, 1000 + i, 1000 + i, i % 3 == 0 ? "drop: true" : i % 3 == 1 ? "groups: [\"ids\"]" : "groups: [\"rec\"]");
  Card c(text);
  uint64_t bytes[64] = {};
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 64; ++i) {
      const uint32_t len = uint32_t(64 + 7 * i + round);
      const auto got = c.send(make_frame({0x0A000001, 0x0A000002, 7, uint16_t(1000 + i), kUdp}, len));
      // Priority 64 - i: rule r63 is first in the data path.
      EXPECT_EQ(got.second, 63 - i) << i;
      EXPECT_EQ(got.first, i % 3 == 0 ? -1 : i % 3 == 1 ? 2 : 3) << i;
      bytes[i] += len;
    }
  const auto k = c.drv.counters();
  ASSERT_EQ(k.filters.size(), 64u);
  for (const auto& f : k.filters) {
    const int i = std::stoi(f.name.substr(1));
    EXPECT_EQ(f.index, uint32_t(63 - i));
    EXPECT_EQ(f.packets, 3u) << f.name;
    EXPECT_EQ(f.bytes, bytes[i]) << f.name;
  }
  EXPECT_EQ(k.filter_drops, 3u * 22);
  EXPECT_EQ(k.tx[2].packets, 3u * 21);
  EXPECT_EQ(k.tx[3].packets, 3u * 21);
}

// Filters see the inner frame of a terminated tunnel, and tunnel_id matches the tunnel's ID.
TEST(DriverFilters, MatchTheInnerFrameAndTheTunnelId) {
  Card c(R"(
ingress_ports { port: 2 terminate: [TUNNEL_VXLAN] }
filters { name: "vni-7-web" match { ingress_ports: [2] tunnel_id: 7 dst_port_min: 443 dst_port_max: 443 } groups: ["ids"] }
)");
  auto vxlan = [](uint32_t vni, const std::vector<uint8_t>& inner) {
    std::vector<uint8_t> payload = {0, 0, 0, 0, 0, 0, 0, 0};
    payload[0] = 0x08;
    payload[4] = uint8_t(vni >> 16), payload[5] = uint8_t(vni >> 8), payload[6] = uint8_t(vni);
    payload.insert(payload.end(), inner.begin(), inner.end());
    std::vector<uint8_t> outer = make_frame({0xC0000207, 0xC0000201, 49152, 4789, kUdp}, uint32_t(14 + 20 + 8 + payload.size()));
    std::copy(payload.begin(), payload.end(), outer.begin() + 14 + 20 + 8);
    return outer;
  };
  const std::vector<uint8_t> tunneled = vxlan(7, make_frame(kWeb));
  EXPECT_EQ(c.send(tunneled, 2), std::make_pair(2, 0));
  EXPECT_EQ(c.send(vxlan(8, make_frame(kWeb)), 2).second, -1);        // another VNI
  EXPECT_EQ(c.send(vxlan(7, make_frame(kWeb.reversed())), 2).second, -1);  // inner port 40000
  // Counted at the size the frame came in with.
  EXPECT_EQ(c.drv.counters().filters.at(0).bytes, tunneled.size());
}

// One frame to two groups: a copy for each, each balanced by its own group exactly as a filter
// naming that group alone would balance it (both directions of a session on one member), the
// frame's bytes the same on both ports, every counter exact; a frame no rule matches still
// goes once to its ingress port's group.
TEST(DriverFilters, ReplicatedToTwoGroupsEachCopyBalancedByItsGroup) {
  Card both(R"(filters { name: "tcp-to-pair-and-rec" match { ip_proto: 6 } groups: ["pair", "rec"] })");
  Card pair_only(R"(filters { name: "tcp-to-pair" match { ip_proto: 6 } groups: ["pair"] })");
  int tcp = 0, udp = 0, on4 = 0;
  uint64_t tcp_bytes = 0;
  for (uint32_t i = 0; i < 400; ++i) {
    const bool is_tcp = i % 4 != 3;
    const Flow f{0x0A000000 + i * 7919, 0x0A640000 + i % 13, uint16_t(1024 + i), uint16_t(i % 2 ? 443 : 80),
                 is_tcp ? kTcp : kUdp};
    for (const Flow& dir : {f, f.reversed()}) {
      const std::vector<uint8_t> frame = make_frame(dir, 64 + i % 200);
      const core::FrameResult& r = both.card.forward(0, ++both.t_ns, frame.data(), uint32_t(frame.size()));
      const core::Decision d = r.decision;
      if (!is_tcp) {
        ++udp;
        ASSERT_EQ(__builtin_popcount(d.out_mask), 1) << "frame " << i;
        ASSERT_LE(d.out_port, 1);
        continue;
      }
      ++tcp;
      tcp_bytes += frame.size();
      const int member = d.port_of[3];  // "pair" is group 3
      ASSERT_EQ(d.out_mask, (1u << 3) | (1u << member)) << "frame " << i;  // "rec" (group 2) is port 3
      ASSERT_EQ(d.port_of[2], 3);
      ASSERT_TRUE(member == 4 || member == 5);
      on4 += member == 4;
      EXPECT_EQ(both.card.delivered_to(3), frame);
      EXPECT_EQ(both.card.delivered_to(uint8_t(member)), frame);
      // The copy for "pair" goes where "pair" alone sends the frame.
      EXPECT_EQ(pair_only.send(frame).first, member) << "frame " << i;
      const std::string row = driver::DecisionLogWriter::format_row(1, 0, 0, uint32_t(frame.size()), r,
                                                                   both.drv.filter_names());
      EXPECT_NE(row.find(fmt::format("\t2,3\t3,{}\t", member)), std::string::npos) << row;
    }
  }
  // Both members of "pair" took a share.
  EXPECT_GT(on4, tcp / 4);
  EXPECT_LT(on4, tcp * 3 / 4);
  const auto k = both.drv.counters();
  EXPECT_EQ(k.filters.at(0).packets, uint64_t(tcp));   // once per frame, not per copy
  EXPECT_EQ(k.filters.at(0).bytes, tcp_bytes);
  EXPECT_EQ(k.tx[3].packets, uint64_t(tcp));
  EXPECT_EQ(k.tx[4].packets + k.tx[5].packets, uint64_t(tcp));
  EXPECT_EQ(k.tx[0].packets + k.tx[1].packets, uint64_t(udp));
  uint64_t rec = 0, pair = 0, main = 0;
  for (const auto& g : k.groups) {
    if (g.name == "rec") rec = g.packets;
    if (g.name == "pair") pair = g.packets;
    if (g.name == "main") main = g.packets;
  }
  EXPECT_EQ(rec, uint64_t(tcp));
  EXPECT_EQ(pair, uint64_t(tcp));
  EXPECT_EQ(main, uint64_t(udp));
  EXPECT_EQ(k.unmapped_drops + k.filter_drops, 0u);
  uint64_t rx = 0;
  for (const auto& p : k.rx) rx += p.packets;
  EXPECT_EQ(rx, uint64_t(tcp + udp));
}

// A tool port in both groups a frame is copied to gets it once.
TEST(DriverFilters, APortChosenByTwoCopiesGetsTheFrameOnce) {
  Card c(R"(filters { name: "ids-and-rec" match { ip_proto: 6 } groups: ["ids", "rec"] })");
  c.drv.apply(parse(std::string(kBase) + R"(
groups { name: "rec2" members: [2] tuple: [SRC_IP] }
filters { name: "ids-and-rec2" match { ip_proto: 6 } groups: ["ids", "rec2"] })"));
  const std::vector<uint8_t> frame = make_frame(kWeb);
  const core::FrameResult& r = c.card.forward(0, ++c.t_ns, frame.data(), uint32_t(frame.size()));
  EXPECT_EQ(r.decision.out_mask, 1u << 2);
  const auto k = c.drv.counters();
  EXPECT_EQ(k.tx[2].packets, 1u);
  uint64_t copies = 0;
  for (const auto& g : k.groups) copies += g.packets;
  EXPECT_EQ(copies, 2u) << "each group counts its copy";
}

TEST(DriverFilters, RefusedWholeNamingTheField) {
  cards::SoftCard card;
  driver::Driver drv(card);
  auto refused = [&](const std::string& filters, const std::string& field, const std::string& words) {
    SCOPED_TRACE(filters);
    const auto r = drv.validate(parse(std::string(kBase) + filters));
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u) << r.summary();
    EXPECT_EQ(r.errors[0].field, field);
    EXPECT_NE(r.errors[0].message.find(words), std::string::npos) << r.errors[0].message;
  };
  refused(R"(filters { name: "a" groups: ["nope"] })", "filters[0].groups[0]", "'nope' is not a configured group");
  refused(R"(filters { name: "a" groups: ["ids"] } filters { name: "a" drop: true })", "filters[1].name",
          "already the name of filters[0]");
  refused(R"(filters { name: "" drop: true })", "filters[0].name", "is empty");
  refused(R"(filters { name: "a" })", "filters[0].groups", "names no group and does not drop");
  refused(R"(filters { name: "a" drop: true groups: ["ids"] })", "filters[0].groups", "a filter that drops");
  refused(R"(filters { name: "a" groups: ["ids", "rec", "ids"] })", "filters[0].groups[2]",
          "'ids' is already groups[0]: a frame gets one copy per group");
  refused(R"(filters { name: "a" drop: true match { src_prefix: "10.1.0.0/8" } })", "filters[0].match.src_prefix",
          "not an IP prefix");
  refused(R"(filters { name: "a" drop: true match { dst_prefix: "2001:db8::/129" } })", "filters[0].match.dst_prefix",
          "not an IP prefix");
  refused(R"(filters { name: "a" drop: true match { vlan_min: 300 vlan_max: 200 } })", "filters[0].match.vlan_max",
          "the range is empty");
  refused(R"(filters { name: "a" drop: true match { dst_port_min: 70000 } })", "filters[0].match.dst_port_min",
          "more than 65535");
  refused(R"(filters { name: "a" drop: true match { src_mac: "02:00:00:00:00" } })", "filters[0].match.src_mac",
          "not a MAC address");
  refused(R"(filters { name: "a" drop: true match { dst_mac_mask: "ff:ff:ff:ff:ff:ff" } })",
          "filters[0].match.dst_mac_mask", "is set without dst_mac");
  refused(R"(filters { name: "a" drop: true match { gtp_teid_mask: 255 } })", "filters[0].match.gtp_teid_mask",
          "without gtp_teid");
  refused(R"(filters { name: "a" drop: true match { ingress_ports: [9] } })", "filters[0].match.ingress_ports[0]",
          "out of range");
  refused(R"(filters { name: "a" drop: true match { ip_proto: 300 } })", "filters[0].match.ip_proto", "0 to 255");
  std::string many;
  for (int i = 0; i < 65; ++i) many += fmt::format("filters {{ name: \"r{}\" drop: true }}\n", i);
  refused(many, "filters", "65 filters, but this card has 64 filter rules");
}

}  // namespace
}  // namespace broker::drvtest
