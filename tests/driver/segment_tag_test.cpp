// Multi-segment analysis through the real parts (DESIGN.md "Segment tags"): one TCP session
// captured at three measurement points (ingress 0, 1, 2 with segment_vlan 101, 102, 103) and a
// group whose tuple leaves out INPUT_PORT. Every copy of the session, both directions from all
// three points, reaches one analyzer, each with its point's tag after the MACs; untagged, it is
// the frame that came in.
#include <gtest/gtest.h>

#include "driver_test_util.h"

namespace broker::drvtest {
namespace {

TEST(DriverSegmentTags, OneSessionAtThreePointsReachesOneToolWithThreeTags) {
  cards::SoftCard card;
  driver::Driver drv(card);
  drv.apply(parse(R"(
name: "segments"
ingress_ports { port: 0 name: "edge" segment_vlan: 101 }
ingress_ports { port: 1 name: "core" segment_vlan: 102 }
ingress_ports { port: 2 name: "dc" segment_vlan: 103 }
egress_ports { port: 0 } egress_ports { port: 1 } egress_ports { port: 2 } egress_ports { port: 3 }
groups { name: "analyzers" ingress_ports: [0, 1, 2] members: [0, 1, 2, 3] hash: HASH_CRC32 symmetric: true
         tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] }
)"));
  const Flow session{0xC0A80001, 0x0A0A0A0A, 51515, 443, kTcp};
  std::set<int> tools;
  std::map<uint16_t, int> tags;  // VLAN ID seen -> copies
  uint64_t t = 1000;
  for (uint8_t point = 0; point < 3; ++point) {
    for (int i = 0; i < 20; ++i) {
      const std::vector<uint8_t> f = make_frame(i % 2 ? session.reversed() : session, 64 + 13 * uint32_t(i));
      const core::FrameResult& r = card.forward(point, t += 1000, f.data(), uint32_t(f.size()));
      ASSERT_NE(r.decision.out_port, core::kNoPort);
      tools.insert(r.decision.out_port);
      const std::vector<uint8_t>& out = card.delivered();
      ASSERT_EQ(out.size(), f.size() + 4);
      EXPECT_EQ(out[12], 0x81);
      EXPECT_EQ(out[13], 0x00);
      const uint16_t vid = uint16_t((out[14] & 0x0F) << 8 | out[15]);
      EXPECT_EQ(vid, 101 + point);
      ++tags[vid];
      std::vector<uint8_t> untagged = out;
      untagged.erase(untagged.begin() + 12, untagged.begin() + 16);
      EXPECT_EQ(untagged, f);
    }
  }
  EXPECT_EQ(tools.size(), 1u) << "the session's copies left on more than one tool port";
  EXPECT_EQ(tags, (std::map<uint16_t, int>{{101, 20}, {102, 20}, {103, 20}}));
  // Counted as they left: 4 bytes more per frame on TX than on RX.
  const auto c = drv.counters();
  uint64_t rx = 0, tx = 0;
  for (int p = 0; p < 3; ++p) rx += c.rx[size_t(p)].bytes;
  for (int p = 0; p < 4; ++p) tx += c.tx[size_t(p)].bytes;
  EXPECT_EQ(tx, rx + 4 * 60);
}

TEST(DriverSegmentTags, RefusedOutsideOneTo4094) {
  cards::SoftCard card;
  driver::Driver drv(card);
  const auto r = drv.validate(parse("ingress_ports { port: 0 segment_vlan: 4095 }"));
  ASSERT_EQ(r.errors.size(), 1u) << r.summary();
  EXPECT_EQ(r.errors[0].field, "ingress_ports[0].segment_vlan");
  EXPECT_NE(r.errors[0].message.find("not a VLAN ID"), std::string::npos);
}

}  // namespace
}  // namespace broker::drvtest
