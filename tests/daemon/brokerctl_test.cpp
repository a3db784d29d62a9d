// The real brokerctl binary against the real brokerd: output, exit codes (0 ok, 1 usage,
// 2 refused, 3 unreachable, 4 wait timeout) and machine-readable JSON.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon_process.h"
#include "pcap_source.h"
#include "veth_namespace.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

class DaemonBrokerctl : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon_.start()); }
  void TearDown() override {
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.stop());
    }
  }

  // brokerctl --target <daemon> ARGS..., with BROKERCTL_TARGET unset.
  ProcessResult ctl(const std::vector<std::string>& args, const std::string& target = "") {
    std::vector<std::string> argv{BROKERCTL_PATH, "--target", target.empty() ? daemon_.target() : target};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 30s, {"BROKERCTL_TARGET="});
  }

  std::string seed_path() const { return (fs::path(BROKER_SOURCE_DIR) / "examples" / "seed.conf").string(); }

  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
};

TEST_F(DaemonBrokerctl, StatusMentionsTheSoftCard) {
  const ProcessResult r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("soft"), std::string::npos) << r.describe();
}

TEST_F(DaemonBrokerctl, StatusShowsATunnelToolPortsTunnel) {
  v1::Config c = seed_config();
  auto* t = c.mutable_egress_ports(1)->mutable_tunnel();
  t->set_type(v1::TUNNEL_GRE);
  t->set_src_ip("198.51.100.1");
  t->set_dst_ip("198.51.100.2");
  t->set_src_mac("02:00:00:00:00:01");
  t->set_dst_mac("02:00:00:00:00:02");
  t->set_key(77);
  const fs::path file = dir_ / "tunnel.conf";
  write_file(file, config_text(c));
  ASSERT_EQ(ctl({"config", "set", file.string()}).exit_code, 0);
  const ProcessResult r = ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("TUNNEL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gre 198.51.100.1 -> 198.51.100.2 key 77"), std::string::npos) << r.out;
}

TEST_F(DaemonBrokerctl, ConfigValidateOfBadFileIsRefusedNamingTheField) {
  v1::Config bad = seed_config();
  bad.mutable_groups(0)->set_hash(v1::HASH_XOR16);
  bad.mutable_groups(0)->set_symmetric(false);
  const fs::path file = dir_ / "bad.conf";
  write_file(file, config_text(bad));
  const ProcessResult r = ctl({"config", "validate", file.string()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("groups[0].hash"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.describe();

  // Nothing was applied.
  auto stub = daemon_.stub();
  v1::GetConfigResponse cfg;
  auto c = ctx();
  ASSERT_TRUE(stub->GetConfig(c.get(), {}, &cfg).ok());
  EXPECT_EQ(cfg.generation(), 0u);
}

TEST_F(DaemonBrokerctl, ConfigSetThenCountersJsonThenAddMember) {
  ProcessResult r = ctl({"config", "set", seed_path()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto stub = daemon_.stub();
  {
    v1::GetConfigResponse cfg;
    auto c = ctx();
    ASSERT_TRUE(stub->GetConfig(c.get(), {}, &cfg).ok());
    EXPECT_EQ(cfg.generation(), 1u);
    std::string diff;
    EXPECT_TRUE(same_config(cfg.config(), seed_config(), &diff)) << diff;
  }

  r = ctl({"--json", "counters"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    FAIL() << "`brokerctl --json counters` is not JSON (" << e.what() << ")\n" << r.describe();
  }
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_TRUE(j.contains("ingress")) << r.out;
  EXPECT_EQ(j["ingress"].size(), 8u) << r.out;
  ASSERT_TRUE(j.contains("groups")) << r.out;
  EXPECT_EQ(j["groups"][0]["name"], "analyzers") << r.out;

  r = ctl({"group", "add-member", "analyzers", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  {
    v1::GetConfigResponse cfg;
    auto c = ctx();
    ASSERT_TRUE(stub->GetConfig(c.get(), {}, &cfg).ok());
    EXPECT_EQ(cfg.generation(), 2u);
    ASSERT_EQ(cfg.config().groups_size(), 1);
    EXPECT_EQ(cfg.config().groups(0).members_size(), 5);
  }

  // Refusals by the daemon: exit 2 with the status code on standard error.
  r = ctl({"group", "add-member", "analyzers", "4"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("FAILED_PRECONDITION"), std::string::npos) << r.describe();
  r = ctl({"group", "remove-member", "no-such-group", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("NOT_FOUND"), std::string::npos) << r.describe();
  r = ctl({"config", "set", seed_path(), "--expected-generation", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("ABORTED"), std::string::npos) << r.describe();
}

TEST_F(DaemonBrokerctl, UnreadableFileIsAUsageError) {
  const ProcessResult r = ctl({"config", "set", (dir_ / "missing.conf").string()});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
}

TEST_F(DaemonBrokerctl, DaemonNotThereExits3) {
  const std::string nowhere = "unix:" + (dir_ / "nobody-here.sock").string();
  const ProcessResult r = ctl({"--timeout", "3", "status"}, nowhere);
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("nobody-here.sock"), std::string::npos) << "the hint names the target\n" << r.describe();
  EXPECT_LT(r.seconds, 10.0) << r.describe();
}

}  // namespace
}  // namespace broker::testing

namespace broker::testing {
namespace {

// `brokerctl filter list`: the filters in the order the data path tries them, what each
// matched, as a table and as JSON; `counters` shows them too.
TEST_F(DaemonBrokerctl, FilterListShowsRulesInOrderWithTheirCounters) {
  {
    io::PcapSink in((daemon_.capture_dir() / "in.pcap").string());
    for (int i = 0; i < 30; ++i) {
      const std::vector<uint8_t> f = marked_udp_frame("filter-list", i, i % 3);  // ports 40000..40002 -> 9999
      in.write(uint64_t(i + 1) * 1000, f.data(), uint32_t(f.size()));
    }
    in.close();
  }
  v1::Config c = seed_config();
  c.mutable_ingress_ports(0)->mutable_binding()->set_pcap_file("in.pcap");
  auto* drop = c.add_filters();
  drop->set_name("no-flow-1");
  drop->set_priority(1);
  drop->mutable_match()->set_src_port_min(40001);
  drop->mutable_match()->set_src_port_max(40001);
  drop->set_drop(true);
  auto* to = c.add_filters();
  to->set_name("udp-9999");
  to->set_priority(2);
  to->mutable_match()->set_ip_proto(17);
  to->mutable_match()->set_dst_port_min(9999);
  to->mutable_match()->set_dst_port_max(9999);
  to->add_groups("analyzers");
  const fs::path file = dir_ / "filters.conf";
  write_file(file, config_text(c));
  ProcessResult r = ctl({"config", "set", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto stub = daemon_.stub();
  ASSERT_TRUE(wait_bindings_done(*stub, 20s));

  r = ctl({"filter", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const size_t first = r.out.find("no-flow-1"), second = r.out.find("udp-9999");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_LT(first, second) << "the data path's order: priority 1 first";
  EXPECT_NE(r.out.find("drop"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("to analyzers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dropped by filters: 10"), std::string::npos) << r.out;

  r = ctl({"--json", "filter", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u) << r.out;
  EXPECT_EQ(j[0]["name"], "no-flow-1");
  EXPECT_EQ(j[0]["packets"], "10");  // proto3 JSON writes 64-bit numbers as strings
  EXPECT_EQ(j[1]["name"], "udp-9999");
  EXPECT_EQ(j[1]["packets"], "20");
  EXPECT_EQ(j[1]["filter"]["groups"][0], "analyzers");

  r = ctl({"counters"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("udp-9999"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace broker::testing
