#include <gtest/gtest.h>

#include "config_defaults.h"
#include "config_loader.h"
#include "config_validator.h"

namespace {

using namespace broker::config;

TEST(config_defaults, ZeroFieldsTakeTheDocumentedDefaults) {
  const auto config = with_defaults(parse_config_text(R"(
    egress_ports { port: 0 }
    groups { name: "g" members: [0] tuple: [SRC_IP, DST_IP] }
  )"));
  EXPECT_EQ(config.utilization_window_us(), 1000u);
  EXPECT_EQ(config.egress_ports(0).speed_mbps(), 100000u);
  const auto& g = config.groups(0);
  EXPECT_EQ(g.hash(), broker::v1::HASH_CRC32);
  EXPECT_EQ(g.mode(), broker::v1::MODE_STATIC);
  EXPECT_EQ(g.utilization_threshold_bp(), 8000u);
  EXPECT_EQ(g.idle_timeout_us(), 30'000'000u);
  EXPECT_EQ(g.fragment_timeout_us(), 1'000'000u);
  EXPECT_FALSE(g.symmetric());  // false is a value, not a default to fill
}

TEST(config_defaults, SetFieldsAreKept) {
  const auto in = parse_config_text(R"(
    utilization_window_us: 250
    egress_ports { port: 0 speed_mbps: 25000 }
    groups { name: "g" hash: HASH_XOR16 symmetric: true mode: MODE_DYNAMIC
             utilization_threshold_bp: 6000 idle_timeout_us: 7 fragment_timeout_us: 9
             tuple: [SRC_IP, DST_IP] }
  )");
  const auto out = with_defaults(in);
  EXPECT_EQ(out.SerializeAsString(), in.SerializeAsString());
}

TEST(config_defaults, ConstantsMatchTheProtoComments) {
  EXPECT_EQ(kDefaultHash, broker::v1::HASH_CRC32);
  EXPECT_EQ(kDefaultMode, broker::v1::MODE_STATIC);
  EXPECT_EQ(kDefaultUtilizationThresholdBp, 8000u);
  EXPECT_EQ(kDefaultIdleTimeoutUs, 30'000'000u);
  EXPECT_EQ(kDefaultFragmentTimeoutUs, 1'000'000u);
  EXPECT_EQ(kDefaultSpeedMbps, 100'000u);
  EXPECT_EQ(kDefaultUtilizationWindowUs, 1000u);
  // A default must itself pass validation.
  EXPECT_LE(kDefaultUtilizationThresholdBp, kMaxUtilizationThresholdBp);
  EXPECT_LE(kDefaultSpeedMbps, kMaxSpeedMbps);
  EXPECT_LE(kDefaultFragmentTimeoutUs, kMaxFragmentTimeoutUs);
}

}  // namespace
