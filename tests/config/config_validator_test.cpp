#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include <google/protobuf/unknown_field_set.h>

#include "config_loader.h"
#include "config_validator.h"

namespace {

using broker::config::Issue;
using broker::config::Limits;
using broker::config::validate;
using broker::config::ValidationResult;
using broker::v1::Config;

// A small valid configuration that each test breaks in one place.
Config base() {
  return broker::config::parse_config_text(R"(
    name: "base"
    ingress_ports { port: 0 name: "tap-1" }
    ingress_ports { port: 1 name: "tap-2" }
    egress_ports { port: 0 name: "tool-1" speed_mbps: 100000 }
    egress_ports { port: 1 name: "tool-2" }
    groups {
      name: "a"
      ingress_ports: [0]
      members: [0, 1]
      hash: HASH_CRC32
      symmetric: true
      tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO]
    }
    groups {
      name: "b"
      ingress_ports: [1]
      members: [2, 3]
      hash: HASH_XOR16
      symmetric: true
      tuple: [SRC_IP, DST_IP]
      mode: MODE_DYNAMIC
      utilization_threshold_bp: 9000
      idle_timeout_us: 5000000
    }
  )");
}

std::vector<std::string> fields(const std::vector<Issue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.field);
  return out;
}

// Applies `edit` to the base config and expects exactly one error, on `field`, whose
// message contains `words`.
void expect_refused(const std::function<void(Config&)>& edit, const std::string& field,
                    const std::string& words = "") {
  Config config = base();
  edit(config);
  const auto result = validate(config);
  ASSERT_FALSE(result.ok()) << "accepted:\n" << broker::config::to_text(config);
  ASSERT_EQ(result.errors.size(), 1u) << result.summary();
  EXPECT_EQ(result.errors[0].field, field) << result.summary();
  EXPECT_NE(result.errors[0].message.find(words), std::string::npos) << result.summary();
}

TEST(config_validator, BaseIsValidWithoutWarnings) {
  const auto result = validate(base());
  EXPECT_TRUE(result.ok()) << result.summary();
  EXPECT_TRUE(result.warnings.empty()) << result.summary();
  EXPECT_EQ(result.summary(), "");
}

// Bytes with fields this build does not know (found by fuzz_api: such a configuration was
// applied, saved with its unknown field, and the next start refused the state file).
TEST(config_validator, UnknownFieldsAnywhereRefusedNamingWhere) {
  expect_refused([](Config& c) { c.GetReflection()->MutableUnknownFields(&c)->AddFixed64(12, 0x7372657a796c616e); },
                 "", "unknown field 12");
  expect_refused([](Config& c) { auto* g = c.mutable_groups(1); g->GetReflection()->MutableUnknownFields(g)->AddVarint(999, 1); },
                 "groups[1]", "unknown field 999");
}

TEST(config_validator, LimitsComeFromTheCore) {
  const Limits limits;
  EXPECT_EQ(limits.in_ports, 8u);
  EXPECT_EQ(limits.out_ports, 16u);
  EXPECT_EQ(limits.groups, 16u);
  EXPECT_EQ(limits.members, 16u);
}

TEST(config_validator, AsymmetricXor16Refused) {
  Config config = base();
  config.mutable_groups(1)->set_symmetric(false);
  const auto result = validate(config);
  ASSERT_EQ(result.errors.size(), 1u) << result.summary();
  EXPECT_EQ(result.errors[0].to_string(),
            "groups[1].hash: xor16 is symmetric by construction; "
            "set symmetric: true or use HASH_CRC32");
}

TEST(config_validator, SymmetricWithHalfAPairRefused) {
  using broker::v1::TupleField;
  struct Case {
    std::vector<TupleField> tuple;
    std::string words;
  };
  const std::vector<Case> cases = {
      {{broker::v1::SRC_IP, broker::v1::DST_IP, broker::v1::SRC_PORT}, "SRC_PORT is selected without DST_PORT"},
      {{broker::v1::DST_IP, broker::v1::IP_PROTO}, "DST_IP is selected without SRC_IP"},
      {{broker::v1::SRC_MAC, broker::v1::VLAN}, "SRC_MAC is selected without DST_MAC"},
      {{broker::v1::DST_PORT}, "add SRC_PORT or remove DST_PORT"},
  };
  for (const auto& c : cases) {
    expect_refused(
        [&](Config& config) {
          auto* group = config.mutable_groups(0);
          group->clear_tuple();
          for (auto f : c.tuple) group->add_tuple(f);
        },
        "groups[0].tuple", c.words);
  }
}

TEST(config_validator, WholeFieldsAndAsymmetricHalvesAccepted) {
  Config config = base();
  auto* group = config.mutable_groups(0);
  // GTP_INNER_IP is both inner addresses in one field: nothing to pair it with.
  group->clear_tuple();
  group->add_tuple(broker::v1::GTP_INNER_IP);
  group->add_tuple(broker::v1::VLAN);
  EXPECT_TRUE(validate(config).ok()) << validate(config).summary();
  // Half a pair is fine when the group does not claim symmetry.
  group->set_symmetric(false);
  group->add_tuple(broker::v1::SRC_IP);
  EXPECT_TRUE(validate(config).ok()) << validate(config).summary();
}

TEST(config_validator, IngressPortInTwoGroupsRefused) {
  expect_refused([](Config& c) { c.mutable_groups(1)->add_ingress_ports(0); },
                 "groups[1].ingress_ports[1]", "groups[0] (\"a\")");
}

TEST(config_validator, IngressPortTwiceInOneGroupRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->add_ingress_ports(0); },
                 "groups[0].ingress_ports[1]", "twice");
}

TEST(config_validator, IngressPortOutOfRangeRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->add_ingress_ports(8); },
                 "groups[0].ingress_ports[1]", "0..7");
}

TEST(config_validator, MemberOutOfRangeRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->add_members(16); },
                 "groups[0].members[2]", "0..15");
}

TEST(config_validator, MemberTwiceRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->set_members(1, 0); },
                 "groups[0].members[1]", "members[0]");
}

TEST(config_validator, MemberUndeclaredAsEgressPortAccepted) {
  // Members 2 and 3 of group "b" are in no egress_ports entry: they take the defaults.
  EXPECT_TRUE(validate(base()).ok());
}

TEST(config_validator, TooManyMembersRefused) {
  // 16 egress ports allow 16 distinct members, so a 17th is always also a repeat; a list
  // longer than a group holds is refused whole, before its entries are looked at.
  Config config = base();
  auto* g = config.mutable_groups(0);
  g->clear_members();
  for (uint32_t p = 0; p < 16; ++p) g->add_members(p);
  g->add_members(0);
  const auto result = validate(config);
  EXPECT_EQ(fields(result.errors), (std::vector<std::string>{"groups[0].members"}))
      << result.summary();
  EXPECT_NE(result.errors[0].message.find("at most 16"), std::string::npos);
}

TEST(config_validator, TooManyMembersNamesTheList) {
  Config config = base();
  Limits limits;
  limits.members = 2;
  config.mutable_groups(0)->add_members(5);
  const auto result = validate(config, limits);
  ASSERT_EQ(result.errors.size(), 1u) << result.summary();
  EXPECT_EQ(result.errors[0].field, "groups[0].members");
}

TEST(config_validator, EmptyTupleRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->clear_tuple(); }, "groups[0].tuple",
                 "empty");
}

TEST(config_validator, UnspecifiedTupleFieldRefused) {
  expect_refused(
      [](Config& c) { c.mutable_groups(0)->add_tuple(broker::v1::TUPLE_FIELD_UNSPECIFIED); },
      "groups[0].tuple[5]", "TUPLE_FIELD_UNSPECIFIED");
}

TEST(config_validator, UnknownTupleValueRefused) {
  // proto3 keeps unknown enum numbers, so a config from a newer client can carry them.
  const auto config = broker::config::parse_config_text(
      R"({"groups": [{"name": "g", "ingress_ports": [0], "members": [0],
          "tuple": ["SRC_IP", 99]}]})");
  ASSERT_EQ(config.groups(0).tuple(1), 99);
  const auto result = validate(config);
  ASSERT_EQ(result.errors.size(), 1u) << result.summary();
  EXPECT_EQ(result.errors[0].field, "groups[0].tuple[1]");
  EXPECT_NE(result.errors[0].message.find("99"), std::string::npos);
}

TEST(config_validator, UnknownHashAndModeRefused) {
  Config config = base();
  config.mutable_groups(0)->set_hash(static_cast<broker::v1::HashFunction>(7));
  config.mutable_groups(1)->set_mode(static_cast<broker::v1::SelectionMode>(9));
  const auto result = validate(config);
  EXPECT_EQ(fields(result.errors),
            (std::vector<std::string>{"groups[0].hash", "groups[1].mode"}))
      << result.summary();
}

TEST(config_validator, TooManyGroupsRefused) {
  Config config = base();
  Limits limits;
  limits.groups = 1;
  const auto result = validate(config, limits);
  ASSERT_EQ(result.errors.size(), 1u) << result.summary();
  EXPECT_EQ(result.errors[0].field, "groups");
}

TEST(config_validator, GroupNameEmptyOrDuplicatedRefused) {
  expect_refused([](Config& c) { c.mutable_groups(1)->clear_name(); }, "groups[1].name");
  expect_refused([](Config& c) { c.mutable_groups(1)->set_name("a"); }, "groups[1].name",
                 "groups[0]");
}

TEST(config_validator, PortListsOutOfRangeOrDuplicatedRefused) {
  expect_refused([](Config& c) { c.add_ingress_ports()->set_port(8); },
                 "ingress_ports[2].port", "out of range");
  expect_refused([](Config& c) { c.add_ingress_ports()->set_port(1); },
                 "ingress_ports[2].port", "ingress_ports[1]");
  expect_refused([](Config& c) { c.add_egress_ports()->set_port(16); },
                 "egress_ports[2].port", "out of range");
  expect_refused([](Config& c) { c.add_egress_ports()->set_port(0); },
                 "egress_ports[2].port", "egress_ports[0]");
}

TEST(config_validator, SpeedTooLargeRefused) {
  expect_refused([](Config& c) { c.mutable_egress_ports(1)->set_speed_mbps(800001); },
                 "egress_ports[1].speed_mbps");
  Config config = base();
  config.mutable_egress_ports(1)->set_speed_mbps(800000);
  EXPECT_TRUE(validate(config).ok());
}

TEST(config_validator, ThresholdAbove100PercentRefused) {
  expect_refused([](Config& c) { c.mutable_groups(1)->set_utilization_threshold_bp(10001); },
                 "groups[1].utilization_threshold_bp");
  Config config = base();
  config.mutable_groups(1)->set_utilization_threshold_bp(10000);
  EXPECT_TRUE(validate(config).ok());
}

TEST(config_validator, FragmentTimeoutAbove120SecondsRefused) {
  expect_refused([](Config& c) { c.mutable_groups(0)->set_fragment_timeout_us(120'000'001); },
                 "groups[0].fragment_timeout_us", "120 s");
  expect_refused([](Config& c) { c.mutable_groups(1)->set_fragment_timeout_us(0xFFFFFFFFu); },
                 "groups[1].fragment_timeout_us", "4294967295 us");
  // Static and dynamic groups alike: no warning, fragments follow in every mode.
  Config config = base();
  config.mutable_groups(0)->set_fragment_timeout_us(120'000'000);
  config.mutable_groups(1)->set_fragment_timeout_us(1);
  const auto result = validate(config);
  EXPECT_TRUE(result.ok()) << result.summary();
  EXPECT_TRUE(result.warnings.empty()) << result.summary();
}

TEST(config_validator, GtpTeidInSymmetricGroupWarned) {
  Config config = base();
  config.mutable_groups(0)->add_tuple(broker::v1::GTP_TEID);
  auto result = validate(config);
  EXPECT_TRUE(result.ok()) << result.summary();
  ASSERT_EQ(result.warnings.size(), 1u) << result.summary();
  EXPECT_EQ(result.warnings[0].field, "groups[0].tuple");
  EXPECT_NE(result.warnings[0].message.find("TEID"), std::string::npos);
  EXPECT_NE(result.summary().find("warning: groups[0].tuple: GTP_TEID"), std::string::npos)
      << result.summary();

  config.mutable_groups(0)->set_symmetric(false);
  result = validate(config);
  EXPECT_TRUE(result.ok() && result.warnings.empty()) << result.summary();
}

TEST(config_validator, GroupWithoutMembersWarned) {
  Config config = base();
  config.mutable_groups(1)->clear_members();
  const auto result = validate(config);
  EXPECT_TRUE(result.ok()) << result.summary();
  EXPECT_EQ(fields(result.warnings), std::vector<std::string>{"groups[1].members"});
}

TEST(config_validator, DynamicSettingsOnStaticGroupWarned) {
  Config config = base();
  config.mutable_groups(0)->set_utilization_threshold_bp(5000);
  config.mutable_groups(0)->set_idle_timeout_us(1000);
  const auto result = validate(config);
  EXPECT_TRUE(result.ok()) << result.summary();
  EXPECT_EQ(fields(result.warnings),
            (std::vector<std::string>{"groups[0].utilization_threshold_bp",
                                      "groups[0].idle_timeout_us"}))
      << result.summary();
}

TEST(config_validator, AllErrorsReportedAtOnce) {
  Config config = base();
  config.add_egress_ports()->set_port(99);                   // egress_ports[2].port
  auto* a = config.mutable_groups(0);
  a->clear_tuple();                                          // groups[0].tuple
  a->add_members(0);                                         // groups[0].members[2]
  auto* b = config.mutable_groups(1);
  b->set_name("a");                                          // groups[1].name
  b->set_symmetric(false);                                   // groups[1].hash
  b->add_ingress_ports(0);                                   // groups[1].ingress_ports[1]
  b->set_utilization_threshold_bp(20000);                    // groups[1].utilization_threshold_bp
  const auto result = validate(config);
  EXPECT_EQ(fields(result.errors),
            (std::vector<std::string>{
                "egress_ports[2].port", "groups[0].members[2]", "groups[0].tuple",
                "groups[1].name", "groups[1].ingress_ports[1]", "groups[1].hash",
                "groups[1].utilization_threshold_bp"}))
      << result.summary();
  const auto summary = result.summary();
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 7) << summary;
  EXPECT_EQ(summary.rfind("error: egress_ports[2].port: ", 0), 0u) << summary;
}

}  // namespace

namespace {

TEST(config_validator, TunnelTerminationAccepted) {
  Config c = base();
  auto* in = c.mutable_ingress_ports(0);
  in->add_terminate(broker::v1::TUNNEL_GRE);
  in->add_terminate(broker::v1::TUNNEL_ERSPAN);
  in->add_terminate(broker::v1::TUNNEL_VXLAN);
  in->set_tunnel_address("2001:db8::1");
  c.mutable_ingress_ports(1)->add_terminate(broker::v1::TUNNEL_ERSPAN);
  c.mutable_ingress_ports(1)->set_tunnel_address("192.0.2.1");
  const auto result = validate(c);
  EXPECT_TRUE(result.ok()) << result.summary();
}

TEST(config_validator, TunnelTerminationRefusedNamingTheField) {
  expect_refused([](Config& c) { c.mutable_ingress_ports(0)->add_terminate(broker::v1::TUNNEL_TYPE_UNSPECIFIED); },
                 "ingress_ports[0].terminate[0]", "unknown tunnel type");
  expect_refused([](Config& c) { c.mutable_ingress_ports(0)->add_terminate(broker::v1::TunnelType(9)); },
                 "ingress_ports[0].terminate[0]", "unknown tunnel type 9");
  expect_refused([](Config& c) {
    c.mutable_ingress_ports(1)->add_terminate(broker::v1::TUNNEL_GRE);
    c.mutable_ingress_ports(1)->add_terminate(broker::v1::TUNNEL_GRE);
  }, "ingress_ports[1].terminate[1]", "TUNNEL_GRE is listed twice (also terminate[0])");
  expect_refused([](Config& c) {
    c.mutable_ingress_ports(0)->add_terminate(broker::v1::TUNNEL_VXLAN);
    c.mutable_ingress_ports(0)->set_tunnel_address("192.0.2.300");
  }, "ingress_ports[0].tunnel_address", "'192.0.2.300' is not an IPv4 or IPv6 address");
  expect_refused([](Config& c) {
    c.mutable_ingress_ports(0)->add_terminate(broker::v1::TUNNEL_VXLAN);
    c.mutable_ingress_ports(0)->set_tunnel_address("10.0.0.0/8");
  }, "ingress_ports[0].tunnel_address", "not an IPv4 or IPv6 address");
  expect_refused([](Config& c) { c.mutable_ingress_ports(0)->set_tunnel_address("192.0.2.1"); },
                 "ingress_ports[0].tunnel_address", "terminates no tunnel");
  // A list longer than there are types is refused whole, before its entries are looked at.
  expect_refused([](Config& c) {
    for (int i = 0; i < 100000; ++i) c.mutable_ingress_ports(0)->add_terminate(broker::v1::TUNNEL_GRE);
  }, "ingress_ports[0].terminate", "100000 entries, but there are 3 tunnel types");
}

}  // namespace
