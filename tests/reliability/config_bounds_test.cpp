// Issue 11, smaller findings about the configuration (ctest label `reliability`). Each of these
// was accepted before and is now refused, naming the field:
//   - a name (of the configuration, a port or a group) or a binding's path or interface with a
//     control character: a group name with a newline forged daemon log lines; names are also
//     at most 64 bytes (kMaxNameBytes);
//   - an ingress pace between 0 and 0.001 (kMinReplayPace): 1e-300 overflowed the integer a
//     frame's due time is computed in, undefined behaviour;
//   - utilization_window_us above 10 s (kMaxUtilizationWindowUs): 4294967295 was accepted;
//   - a tuple field listed twice (a warning only: 200,000 repeats made a 3.6 MB state file).
// First as unit tests of the validator, then through the real brokerd's SetConfig.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config_validator.h"
#include "daemon_process.h"
#include "pcap_source.h"

namespace broker::testing {
namespace {

using config::validate;

// The seed configuration has no errors and no warnings; each case breaks it in one place.
v1::Config base() { return seed_config(); }

// Exactly one error, on `field`, whose message holds `words`.
void expect_one_error(const v1::Config& config, const std::string& field, const std::string& words,
                      const std::string& what) {
  const config::ValidationResult r = validate(config);
  ASSERT_EQ(r.errors.size(), 1u) << what << ":\n" << r.summary();
  EXPECT_EQ(r.errors[0].field, field) << what << ":\n" << r.summary();
  EXPECT_NE(r.errors[0].message.find(words), std::string::npos) << what << ":\n" << r.summary();
}

void expect_valid(const v1::Config& config, const std::string& what) {
  const config::ValidationResult r = validate(config);
  EXPECT_TRUE(r.ok()) << what << ":\n" << r.summary();
}

// ---- names ----

const std::vector<std::pair<std::string, std::string>> kControlled = {
    {"newline", "analyzers\n2030-01-01T00:00:00.000+0000 brokerd info event=forged"},
    {"carriage return", "analyzers\rforged"},
    {"tab", "ana\tlyzers"},
    {"escape", "\x1b[2Janalyzers"},
    {"NUL", std::string("ana\0lyzers", 10)},
    {"DEL", "analyzers\x7f"},
    {"C1 NEL (U+0085)", "analyzers\xc2\x85"},
};

TEST(ConfigBounds, NamesWithControlCharactersAreRefusedNamingTheField) {
  using Setter = void (*)(v1::Config&, const std::string&);
  const std::vector<std::pair<std::string, Setter>> fields = {
      {"name", [](v1::Config& c, const std::string& v) { c.set_name(v); }},
      {"ingress_ports[2].name",
       [](v1::Config& c, const std::string& v) { c.mutable_ingress_ports(2)->set_name(v); }},
      {"egress_ports[1].name",
       [](v1::Config& c, const std::string& v) { c.mutable_egress_ports(1)->set_name(v); }},
      {"groups[0].name",
       [](v1::Config& c, const std::string& v) { c.mutable_groups(0)->set_name(v); }},
      {"ingress_ports[0].binding.pcap_file",
       [](v1::Config& c, const std::string& v) {
         c.mutable_ingress_ports(0)->mutable_binding()->set_pcap_file(v);
       }},
      {"egress_ports[0].binding.interface",
       [](v1::Config& c, const std::string& v) {
         c.mutable_egress_ports(0)->mutable_binding()->set_interface(v);
       }},
  };
  for (const auto& [field, set] : fields) {
    for (const auto& [what, value] : kControlled) {
      v1::Config c = base();
      set(c, value);
      expect_one_error(c, field, "control character", field + " with a " + what);
    }
  }
  // The message says which character and where.
  v1::Config c = base();
  c.mutable_groups(0)->set_name("ab\ncd");
  const auto r = validate(c);
  ASSERT_EQ(r.errors.size(), 1u) << r.summary();
  EXPECT_NE(r.errors[0].message.find("U+000A at byte 2"), std::string::npos) << r.summary();
}

TEST(ConfigBounds, PrintableNamesInAnyScriptAreAccepted) {
  v1::Config c = base();
  c.mutable_groups(0)->set_name("Zürich analyzers, Ω → 分析");
  c.mutable_ingress_ports(0)->set_name("tap\xc2\xa0" "1");  // U+00A0, a no-break space, is no control
  c.mutable_egress_ports(0)->set_name("analyzer #1 (rack 4/7) ~ \"blue\"");
  expect_valid(c, "printable names");
}

TEST(ConfigBounds, NamesAreAtMost64Bytes) {
  v1::Config c = base();
  c.set_name(std::string(64, 'n'));
  c.mutable_ingress_ports(0)->set_name(std::string(64, 'i'));
  c.mutable_egress_ports(0)->set_name(std::string(64, 'e'));
  c.mutable_groups(0)->set_name(std::string(64, 'g'));
  expect_valid(c, "64-byte names");
  for (const std::string field : {"name", "ingress_ports[0].name", "egress_ports[0].name", "groups[0].name"}) {
    v1::Config t = base();
    const std::string name(65, 'x');
    if (field == "name") t.set_name(name);
    if (field == "ingress_ports[0].name") t.mutable_ingress_ports(0)->set_name(name);
    if (field == "egress_ports[0].name") t.mutable_egress_ports(0)->set_name(name);
    if (field == "groups[0].name") t.mutable_groups(0)->set_name(name);
    expect_one_error(t, field, "65 bytes is longer than the 64 allowed", field + " of 65 bytes");
  }
}

// ---- pace ----

TEST(ConfigBounds, PaceBetweenZeroAndTheMinimumIsRefused) {
  auto with_pace = [](double pace) {
    v1::Config c = base();
    auto* b = c.mutable_ingress_ports(0)->mutable_binding();
    b->set_pcap_file("/captures/tap1.pcap");
    b->set_pace(pace);
    return c;
  };
  for (double pace : {1e-300, 4.9e-324, 1e-10, 0.0009999}) {
    expect_one_error(with_pace(pace), "ingress_ports[0].binding.pace", "0.001 to 1000",
                     "pace " + std::to_string(pace));
  }
  const auto r = validate(with_pace(1e-300));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors[0].message.find("pace 1e-300 "), std::string::npos) << r.summary();
  for (double pace : {0.0, 0.001, 0.5, 1.0, 1000.0}) expect_valid(with_pace(pace), "pace " + std::to_string(pace));
}

// ---- utilization window ----

TEST(ConfigBounds, UtilizationWindowIsAtMostTenSeconds) {
  for (uint32_t window : {4'294'967'295u, 10'000'001u, 60'000'000u}) {
    v1::Config c = base();
    c.set_utilization_window_us(window);
    expect_one_error(c, "utilization_window_us", "10000000 us (10 s)", "window " + std::to_string(window));
  }
  // Short windows (the line-rate test uses 10 us) and the default stay accepted.
  for (uint32_t window : {0u, 1u, 10u, 1000u, 10'000'000u}) {
    v1::Config c = base();
    c.set_utilization_window_us(window);
    expect_valid(c, "window " + std::to_string(window));
  }
}

// ---- tuple ----

TEST(ConfigBounds, TupleFieldListedTwiceIsRefused) {
  v1::Config c = base();
  c.mutable_groups(0)->add_tuple(v1::SRC_PORT);  // the seed's tuple[2]
  expect_one_error(c, "groups[0].tuple[5]", "SRC_PORT is listed twice (also tuple[2])", "SRC_PORT twice");
}

TEST(ConfigBounds, TupleLongerThanTheFieldKindsIsRefusedAsAWhole) {
  v1::Config c = base();
  auto* g = c.mutable_groups(0);
  for (int i = 0; i < 200'000; ++i) g->add_tuple(v1::SRC_IP);
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = validate(c);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.errors.size(), 1u) << "one error for the whole tuple, not one per entry";
  EXPECT_EQ(r.errors[0].field, "groups[0].tuple");
  EXPECT_NE(r.errors[0].message.find("200005 fields, but there are 13 tuple fields"), std::string::npos)
      << r.summary();
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.size() << " warnings";
  EXPECT_LT(seconds, 1.0);

  // Every field once (13, a non-symmetric group) is the longest tuple accepted.
  v1::Config all = base();
  auto* a = all.mutable_groups(0);
  a->clear_tuple();
  a->set_symmetric(false);
  for (int f = 1; f <= 13; ++f) a->add_tuple(static_cast<v1::TupleField>(f));
  const auto ra = validate(all);
  EXPECT_TRUE(ra.ok()) << ra.summary();
}

// ---- the same through the real brokerd ----

class ConfigBoundsDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    stub_ = daemon_.stub();
    ASSERT_TRUE(apply_config(*stub_, base()));
    state_before_ = read_file(daemon_.state_file());
  }
  void TearDown() override {
    stub_.reset();
    if (daemon_.running()) { EXPECT_TRUE(daemon_.stop()); }
  }

  // SetConfig (applying) refused with INVALID_ARGUMENT naming `field`; nothing saved.
  void expect_refused(const v1::Config& c, const std::string& field, const std::string& what) {
    v1::SetConfigRequest req;
    *req.mutable_config() = c;
    v1::SetConfigResponse resp;
    auto cx = ctx(30s);
    const grpc::Status s = stub_->SetConfig(cx.get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what << ": " << status_text(s);
    EXPECT_NE(s.error_message().find(field + ": "), std::string::npos) << what << ": " << status_text(s);
    EXPECT_EQ(read_file(daemon_.state_file()), state_before_) << what << ": the state file changed";
  }

  TempDir dir_{"brokerd-reliability"};
  DaemonProcess daemon_{dir_.path()};
  std::unique_ptr<v1::Broker::Stub> stub_;
  std::string state_before_;
};

// Before: applied, and each membership change then logged the name's second line as a line of
// its own, indistinguishable from the daemon's.
TEST_F(ConfigBoundsDaemon, GroupNameWithANewlineIsRefusedAndForgesNoLogLine) {
  const std::string forged = "2030-01-01T00:00:00.000+0000 brokerd info event=forged";
  v1::Config c = base();
  c.mutable_groups(0)->set_name("analyzers\n" + forged);
  expect_refused(c, "groups[0].name", "a group name with a newline");

  v1::GroupMemberRequest req;
  req.set_group(c.groups(0).name());
  req.set_port(5);
  v1::GroupMemberResponse resp;
  auto cx = ctx();
  const grpc::Status s = stub_->AddGroupMember(cx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << status_text(s);

  const std::string log = daemon_.log();
  EXPECT_EQ(log.find("\n" + forged), std::string::npos) << "a forged line in the daemon's log:\n" << log;
}

TEST_F(ConfigBoundsDaemon, TinyPaceIsRefused) {
  const std::string capture = (dir_ / "one.pcap").string();
  {
    io::PcapSink sink(capture);
    const std::string frame(64, '\x01');
    sink.write(1000, reinterpret_cast<const uint8_t*>(frame.data()), 64);
    sink.close();
  }
  v1::Config c = base();
  c.mutable_ingress_ports(0)->mutable_binding()->set_pcap_file(capture);
  c.mutable_ingress_ports(0)->mutable_binding()->set_pace(1e-300);
  expect_refused(c, "ingress_ports[0].binding.pace", "pace 1e-300");
}

TEST_F(ConfigBoundsDaemon, EndlessUtilizationWindowIsRefused) {
  v1::Config c = base();
  c.set_utilization_window_us(4'294'967'295u);
  expect_refused(c, "utilization_window_us", "window 4294967295");
}

// Before: accepted with 200,000 warnings, and saved as a 3.6 MB state file.
TEST_F(ConfigBoundsDaemon, TupleOf200000RepeatsIsRefused) {
  v1::Config c = base();
  for (int i = 0; i < 200'000; ++i) c.mutable_groups(0)->add_tuple(v1::SRC_IP);
  expect_refused(c, "groups[0].tuple", "a tuple of 200,000 repeats");
  EXPECT_LT(read_file(daemon_.state_file()).size(), 64u * 1024);
}

}  // namespace
}  // namespace broker::testing
