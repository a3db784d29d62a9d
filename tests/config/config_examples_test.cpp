// The shipped examples are what new users copy first: they must load, agree, and pass.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "config_loader.h"
#include "config_validator.h"

namespace {

const std::filesystem::path kExamples = std::filesystem::path(BROKER_SOURCE_DIR) / "examples";

TEST(config_examples, SeedTextAndJsonAreEqual) {
  const auto text = broker::config::load_config_file(kExamples / "seed.conf");
  const auto json = broker::config::load_config_file(kExamples / "seed.json");
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(text, json)) << diff;
}

TEST(config_examples, SeedIsValidAndAsDocumented) {
  for (const char* file : {"seed.conf", "seed.json"}) {
    SCOPED_TRACE(file);
    const auto config = broker::config::load_config_file(kExamples / file);
    const auto result = broker::config::validate(config);
    EXPECT_TRUE(result.ok()) << result.summary();
    EXPECT_TRUE(result.warnings.empty()) << result.summary();

    ASSERT_EQ(config.ingress_ports_size(), 8);
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(config.ingress_ports(i).port(), static_cast<uint32_t>(i));
      EXPECT_EQ(config.ingress_ports(i).name(), "tap-" + std::to_string(i + 1));
    }
    ASSERT_EQ(config.egress_ports_size(), 4);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(config.egress_ports(i).port(), static_cast<uint32_t>(i));
      EXPECT_EQ(config.egress_ports(i).name(), "analyzer-" + std::to_string(i + 1));
      EXPECT_EQ(config.egress_ports(i).speed_mbps(), 100000u);
    }
    ASSERT_EQ(config.groups_size(), 1);
    const auto& g = config.groups(0);
    EXPECT_EQ(g.name(), "analyzers");
    EXPECT_EQ(std::vector<uint32_t>(g.ingress_ports().begin(), g.ingress_ports().end()),
              (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(std::vector<uint32_t>(g.members().begin(), g.members().end()),
              (std::vector<uint32_t>{0, 1, 2, 3}));
    EXPECT_EQ(g.hash(), broker::v1::HASH_CRC32);
    EXPECT_TRUE(g.symmetric());
    EXPECT_EQ(std::vector<int>(g.tuple().begin(), g.tuple().end()),
              (std::vector<int>{broker::v1::SRC_IP, broker::v1::DST_IP, broker::v1::SRC_PORT,
                                broker::v1::DST_PORT, broker::v1::IP_PROTO}));
  }
}

}  // namespace
