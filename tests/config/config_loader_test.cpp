#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "config_loader.h"

namespace {

using broker::config::ConfigError;
using broker::config::Format;
using broker::config::parse_config_text;
using google::protobuf::util::MessageDifferencer;

constexpr const char* kText = R"(
name: "lab"
ingress_ports { port: 2 name: "span-dc2" binding { pcap_file: "in.pcap" } }
egress_ports { port: 5 name: "ids" speed_mbps: 25000 binding { interface: "veth0" } }
groups {
  name: "ids"
  ingress_ports: [2]
  members: [5, 6]
  hash: HASH_XOR16
  symmetric: true
  tuple: [SRC_IP, DST_IP, GTP_INNER_IP]
  mode: MODE_DYNAMIC
  utilization_threshold_bp: 7500
  idle_timeout_us: 1000000
  fragment_timeout_us: 2000000
}
utilization_window_us: 500
)";

// The same configuration with lowerCamel names, as proto3 JSON writers produce it.
constexpr const char* kJsonCamel = R"({
  "name": "lab",
  "ingressPorts": [{"port": 2, "name": "span-dc2", "binding": {"pcapFile": "in.pcap"}}],
  "egressPorts": [{"port": 5, "name": "ids", "speedMbps": "25000",
                   "binding": {"interface": "veth0"}}],
  "groups": [{
    "name": "ids", "ingressPorts": [2], "members": [5, 6], "hash": "HASH_XOR16",
    "symmetric": true, "tuple": ["SRC_IP", "DST_IP", "GTP_INNER_IP"],
    "mode": "MODE_DYNAMIC", "utilizationThresholdBp": 7500, "idleTimeoutUs": 1000000,
    "fragmentTimeoutUs": 2000000
  }],
  "utilizationWindowUs": 500
})";

// And with the .proto names, as people write it after reading config.proto.
constexpr const char* kJsonProtoNames = R"({
  "name": "lab",
  "ingress_ports": [{"port": 2, "name": "span-dc2", "binding": {"pcap_file": "in.pcap"}}],
  "egress_ports": [{"port": 5, "name": "ids", "speed_mbps": 25000,
                    "binding": {"interface": "veth0"}}],
  "groups": [{
    "name": "ids", "ingress_ports": [2], "members": [5, 6], "hash": "HASH_XOR16",
    "symmetric": true, "tuple": ["SRC_IP", "DST_IP", "GTP_INNER_IP"],
    "mode": "MODE_DYNAMIC", "utilization_threshold_bp": 7500, "idle_timeout_us": 1000000,
    "fragment_timeout_us": 2000000
  }],
  "utilization_window_us": 500
})";

void expect_equal(const broker::v1::Config& a, const broker::v1::Config& b) {
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(a, b)) << diff;
}

// Parses and returns the error it must raise.
ConfigError parse_error(std::string_view text, Format format) {
  try {
    parse_config_text(text, format, "test.conf");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return ConfigError("", 0, 0, "");
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("broker_config_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    auto p = path_ / name;
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

TEST(config_loader, TextAndJsonGiveEqualMessages) {
  const auto text = parse_config_text(kText, Format::kText);
  EXPECT_EQ(text.groups(0).hash(), broker::v1::HASH_XOR16);
  EXPECT_EQ(text.egress_ports(0).binding().interface(), "veth0");
  EXPECT_EQ(text.groups(0).fragment_timeout_us(), 2'000'000u);
  expect_equal(text, parse_config_text(kJsonCamel, Format::kJson));
  expect_equal(text, parse_config_text(kJsonProtoNames, Format::kJson));
}

// Found by fuzz_config: a number JSON can spell but no double holds ended the process.
TEST(config_loader, JsonNumberBeyondADoubleIsAConfigError) {
  try {
    parse_config_text(R"({"utilizationWindowUs": 11111111.1E1111})", Format::kJson);
    ADD_FAILURE() << "accepted";
  } catch (const broker::config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos) << e.what();
  }
}

TEST(config_loader, SniffsFormatFromContent) {
  const auto text = parse_config_text(kText);
  expect_equal(text, parse_config_text(kJsonProtoNames));
  expect_equal(text, parse_config_text(std::string("\n \t") + kJsonCamel));
}

TEST(config_loader, FormatFromExtension) {
  EXPECT_EQ(broker::config::format_for_path("a/b.json"), Format::kJson);
  EXPECT_EQ(broker::config::format_for_path("b.JSON"), Format::kJson);
  for (const char* p : {"x.txtpb", "x.textproto", "x.pbtxt", "x.conf"}) {
    EXPECT_EQ(broker::config::format_for_path(p), Format::kText) << p;
  }
  EXPECT_EQ(broker::config::format_for_path("x.cfg"), Format::kAuto);
  EXPECT_EQ(broker::config::format_for_path("x"), Format::kAuto);
}

TEST(config_loader, LoadsFilesByExtensionAndContent) {
  TempDir dir;
  const auto expected = parse_config_text(kText);
  expect_equal(expected, broker::config::load_config_file(dir.write("a.conf", kText)));
  expect_equal(expected, broker::config::load_config_file(dir.write("a.json", kJsonCamel)));
  expect_equal(expected, broker::config::load_config_file(dir.write("a.cfg", kJsonCamel)));
  expect_equal(expected, broker::config::load_config_file(dir.write("a.cfg2", kText)));
  // The extension wins over the content: JSON in a .conf file is a text-format error.
  EXPECT_THROW(broker::config::load_config_file(dir.write("b.conf", kJsonCamel)), ConfigError);
}

TEST(config_loader, DirectoryRefused) {
  TempDir dir;
  const auto path = dir.write("x.conf", "").parent_path();
  EXPECT_THROW(broker::config::load_config_file(path), ConfigError);
}

TEST(config_loader, MissingFileNamesThePath) {
  try {
    broker::config::load_config_file("/nonexistent/broker.conf");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.source(), "/nonexistent/broker.conf");
    EXPECT_NE(std::string(e.what()).find("/nonexistent/broker.conf"), std::string::npos);
  }
}

TEST(config_loader, TextSyntaxErrorReportsLineAndColumn) {
  const auto e = parse_error("name: \"x\"\ngroups {\n  name: \"g\"\n  members: [1, 2,, 3]\n}\n",
                             Format::kText);
  EXPECT_EQ(e.source(), "test.conf");
  EXPECT_EQ(e.line(), 4);
  EXPECT_GT(e.column(), 0);
  EXPECT_FALSE(e.detail().empty());
  EXPECT_EQ(std::string(e.what()).rfind("test.conf:4:", 0), 0u) << e.what();
}

TEST(config_loader, TextUnknownFieldRefused) {
  const auto e = parse_error("name: \"x\"\n\ngroups { name: \"g\" hash_function: HASH_CRC32 }\n",
                             Format::kText);
  // On the unknown name itself, not on the token after it where protobuf stopped.
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 20) << e.what();
  EXPECT_NE(e.detail().find("hash_function"), std::string::npos) << e.detail();
}

TEST(config_loader, TextUnknownEnumNameRefused) {
  // protobuf stops at the "}" on line 3; the error belongs to line 2.
  const auto e = parse_error("groups {\n  hash: HASH_MD5\n}\n", Format::kText);
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 9);
  EXPECT_NE(e.detail().find("HASH_MD5"), std::string::npos) << e.detail();
}

TEST(config_loader, JsonSyntaxErrorReportsLineAndColumn) {
  const auto e = parse_error("{\n  \"name\": \"x\",\n  \"groups\": [ { \"name\": } ]\n}\n",
                             Format::kJson);
  EXPECT_EQ(e.line(), 3);
  EXPECT_GT(e.column(), 0);
  EXPECT_EQ(std::string(e.what()).rfind("test.conf:3:", 0), 0u) << e.what();
}

TEST(config_loader, JsonUnknownFieldRefused) {
  const auto e = parse_error("{\n  \"name\": \"x\",\n  \"groups\": [{\"name\": \"g\",\n"
                             "    \"hashFunction\": 1}]\n}\n",
                             Format::kJson);
  EXPECT_NE(e.detail().find("hashFunction"), std::string::npos) << e.detail();
  EXPECT_NE(e.detail().find("groups[0]"), std::string::npos) << e.detail();
  EXPECT_EQ(e.line(), 4) << e.what();
  EXPECT_EQ(e.column(), 5) << e.what();
}

TEST(config_loader, JsonWrongTypeRefused) {
  parse_error(R"({"groups": [{"members": "all"}]})", Format::kJson);
  parse_error(R"({"groups": [{"hash": "HASH_MD5"}]})", Format::kJson);
}

TEST(config_loader, RoundTripsThroughTextAndJson) {
  const auto config = parse_config_text(kText);
  expect_equal(config, parse_config_text(broker::config::to_text(config), Format::kText));
  const auto json = broker::config::to_json(config);
  // Field names as in config.proto, so the output reads like the documentation.
  EXPECT_NE(json.find("\"ingress_ports\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"utilization_threshold_bp\""), std::string::npos) << json;
  EXPECT_NE(json.find('\n'), std::string::npos) << "not pretty:\n" << json;
  expect_equal(config, parse_config_text(json, Format::kJson));
}

TEST(config_loader, EmptyTextIsAnEmptyConfig) {
  // Parsing accepts it; refusing an empty configuration is not the parser's call.
  expect_equal(broker::v1::Config(), parse_config_text("  \n# nothing\n"));
}

}  // namespace
