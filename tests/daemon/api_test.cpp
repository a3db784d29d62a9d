// Every RPC of broker.v1.Broker against the real brokerd process over its Unix socket (and
// once over loopback TCP), through the generated stubs; plus the standard health service and
// server reflection through grpc::GenericStub with hand-encoded messages.
#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include <grpcpp/generic/generic_stub.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"
#include "traffic_gen.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

class DaemonApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    stub_ = daemon_.stub();
  }
  void TearDown() override {
    stub_.reset();  // an idle connected client makes brokerd use its whole 2 s shutdown grace
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.stop());
    }
  }

  v1::GetConfigResponse get_config() {
    v1::GetConfigResponse r;
    auto c = ctx();
    const grpc::Status s = stub_->GetConfig(c.get(), {}, &r);
    EXPECT_TRUE(s.ok()) << status_text(s);
    return r;
  }

  grpc::Status set_config(const v1::Config& config, v1::SetConfigResponse* out = nullptr,
                          bool validate_only = false, std::optional<uint64_t> expected = std::nullopt) {
    v1::SetConfigRequest req;
    *req.mutable_config() = config;
    req.set_validate_only(validate_only);
    if (expected) req.set_expected_generation(*expected);
    v1::SetConfigResponse resp;
    auto c = ctx();
    const grpc::Status s = stub_->SetConfig(c.get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  // ExplainPacket of a 60-byte IPv4 frame (all addresses zero) on ingress port 0.
  grpc::Status explain_minimal_ipv4(v1::ExplainPacketResponse* out) {
    std::string frame(60, '\0');
    frame[12] = 0x08;
    frame[14] = 0x45;
    v1::ExplainPacketRequest req;
    req.set_frame(frame);
    req.set_ingress_port(0);
    auto c = ctx();
    return stub_->ExplainPacket(c.get(), req, out);
  }

  void apply_seed() {
    v1::SetConfigResponse r;
    const grpc::Status s = set_config(seed_config(), &r);
    ASSERT_TRUE(s.ok()) << status_text(s);
    ASSERT_TRUE(r.applied());
  }

  grpc::Status member(bool add, const std::string& group, uint32_t port, v1::GroupMemberResponse* out = nullptr) {
    v1::GroupMemberRequest req;
    req.set_group(group);
    req.set_port(port);
    v1::GroupMemberResponse resp;
    auto c = ctx();
    const grpc::Status s =
        add ? stub_->AddGroupMember(c.get(), req, &resp) : stub_->RemoveGroupMember(c.get(), req, &resp);
    if (out) *out = resp;
    return s;
  }

  // Small deterministic traffic: tap-1.pcap .. tap-4.pcap in dir_/traffic.
  uint64_t make_traffic() {
    tools::TrafficOptions o;
    o.points = 4;
    o.sessions = 300;
    o.duration_ms = 200;
    uint64_t total = 0;
    for (const auto& p : tools::write_traffic(o, (dir_ / "traffic").string())) total += p.frames;
    return total;
  }
  fs::path tap(int point) const { return dir_ / "traffic" / tools::point_file_name(point); }

  // seed.conf with ingress 0..3 reading tap-1..4 and egress 0..3 writing out-N.pcap.
  v1::Config bound_seed() const {
    v1::Config c = seed_config();
    for (auto& in : *c.mutable_ingress_ports())
      if (in.port() < 4) in.mutable_binding()->set_pcap_file(tap(int(in.port())).string());
    for (auto& e : *c.mutable_egress_ports())
      e.mutable_binding()->set_pcap_file((dir_ / ("out-" + std::to_string(e.port()) + ".pcap")).string());
    return c;
  }

  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
  std::unique_ptr<v1::Broker::Stub> stub_;
};

TEST_F(DaemonApi, GetCapabilitiesDescribesTheSoftCard) {
  v1::Capabilities caps;
  auto c = ctx();
  const grpc::Status s = stub_->GetCapabilities(c.get(), {}, &caps);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_EQ(caps.api_version(), "broker.v1");
  EXPECT_EQ(caps.software_version(), BROKER_PROJECT_VERSION);
  EXPECT_EQ(caps.card_kind(), "soft");
  EXPECT_FALSE(caps.card_description().empty());
  EXPECT_EQ(caps.data_path().id(), 0x4E504B42u) << "the register map ID 'NPKB'";
  EXPECT_EQ(caps.data_path().version_major(), 1u);
  EXPECT_EQ(caps.limits().ingress_ports(), 8u);
  EXPECT_EQ(caps.limits().egress_ports(), 16u);
  EXPECT_EQ(caps.limits().groups(), 16u);
  EXPECT_EQ(caps.limits().members_per_group(), 16u);
  EXPECT_EQ(caps.limits().buckets_per_group(), 1024u);
  EXPECT_EQ(caps.limits().parse_bytes(), 256u) << "DESIGN.md: the parser looks at most at 256 bytes";
  EXPECT_EQ(caps.limits().key_bytes(), 96u) << "DESIGN.md: a fixed 96-byte key";
  EXPECT_EQ(caps.ingress_ports_size(), 8);
  EXPECT_EQ(caps.egress_ports_size(), 16);

  std::set<int> tuple(caps.tuple_fields().begin(), caps.tuple_fields().end());
  for (int f = v1::INPUT_PORT; f <= v1::DST_PORT; ++f)
    EXPECT_TRUE(tuple.count(f)) << "tuple field " << v1::TupleField_Name(v1::TupleField(f)) << " not listed";
  EXPECT_FALSE(tuple.count(v1::TUPLE_FIELD_UNSPECIFIED));
  std::set<int> hashes(caps.hash_functions().begin(), caps.hash_functions().end());
  EXPECT_EQ(hashes, (std::set<int>{v1::HASH_CRC32, v1::HASH_XOR16}));
  std::set<int> modes(caps.selection_modes().begin(), caps.selection_modes().end());
  EXPECT_EQ(modes, (std::set<int>{v1::MODE_STATIC, v1::MODE_DYNAMIC}));
  std::set<int> terminated(caps.tunnel_types().begin(), caps.tunnel_types().end());
  EXPECT_EQ(terminated, (std::set<int>{v1::TUNNEL_GRE, v1::TUNNEL_ERSPAN, v1::TUNNEL_VXLAN}));
  std::set<int> originated(caps.origination_types().begin(), caps.origination_types().end());
  EXPECT_EQ(originated, (std::set<int>{v1::TUNNEL_GRE, v1::TUNNEL_ERSPAN}));
  std::set<uint32_t> erspan(caps.erspan_versions().begin(), caps.erspan_versions().end());
  EXPECT_EQ(erspan, (std::set<uint32_t>{2, 3}));
  EXPECT_FALSE(caps.read_only());
}

// A frame explained towards a tool port that originates a tunnel says so, with the cut.
TEST_F(DaemonApi, ExplainPacketNamesTheRemoteAnalyzersTunnel) {
  v1::Config c = seed_config();
  for (auto& e : *c.mutable_egress_ports()) {
    auto* t = e.mutable_tunnel();
    t->set_type(v1::TUNNEL_ERSPAN);
    t->set_erspan_version(3);
    t->set_src_ip("2001:db8::1");
    t->set_dst_ip("2001:db8::2");
    t->set_src_mac("02:00:00:00:00:01");
    t->set_dst_mac("02:00:00:00:00:02");
    t->set_key(9);
    t->set_slice_bytes(128);
  }
  v1::SetConfigResponse r;
  const grpc::Status s = set_config(c, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  v1::ExplainPacketResponse resp;
  ASSERT_TRUE(explain_minimal_ipv4(&resp).ok());
  EXPECT_NE(resp.reason().find(fmt::format("egress port {} wraps it in ERSPAN type III from 2001:db8::1 to "
                                           "2001:db8::2, cut to 128 bytes first", resp.member_port())),
            std::string::npos)
      << resp.reason();
}

TEST_F(DaemonApi, SetConfigAppliesSeedAndGetConfigReturnsIt) {
  const v1::GetConfigResponse before = get_config();
  EXPECT_EQ(before.generation(), 0u) << "a fresh state dir starts at generation 0";

  const v1::Config seed = seed_config();
  v1::SetConfigResponse r;
  const grpc::Status s = set_config(seed, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_TRUE(r.applied());
  EXPECT_EQ(r.generation(), 1u);

  const v1::GetConfigResponse after = get_config();
  EXPECT_EQ(after.generation(), 1u);
  std::string diff;
  EXPECT_TRUE(same_config(after.config(), seed, &diff)) << diff;

  v1::Capabilities caps;
  auto c = ctx();
  ASSERT_TRUE(stub_->GetCapabilities(c.get(), {}, &caps).ok());
  ASSERT_GE(caps.egress_ports_size(), 4);
  EXPECT_EQ(caps.ingress_ports(0).name(), "tap-1") << "port names come from the configuration";
  EXPECT_EQ(caps.egress_ports(3).name(), "analyzer-4");
  EXPECT_EQ(caps.egress_ports(3).speed_mbps(), 100000u);
}

TEST_F(DaemonApi, ValidateOnlyReportsAndChangesNothing) {
  apply_seed();
  const v1::GetConfigResponse before = get_config();

  // Valid, no warnings.
  v1::Config other = seed_config();
  other.set_name("other");
  other.mutable_groups(0)->set_mode(v1::MODE_DYNAMIC);
  v1::SetConfigResponse r;
  grpc::Status s = set_config(other, &r, /*validate_only=*/true);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_FALSE(r.applied());
  EXPECT_EQ(r.generation(), before.generation());
  EXPECT_EQ(r.warnings_size(), 0);

  // Valid with a warning: GTP_TEID in a symmetric group.
  other.mutable_groups(0)->add_tuple(v1::GTP_TEID);
  s = set_config(other, &r, /*validate_only=*/true);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_FALSE(r.applied());
  EXPECT_EQ(r.generation(), before.generation());
  ASSERT_GE(r.warnings_size(), 1);
  EXPECT_EQ(r.warnings(0).field(), "groups[0].tuple");
  EXPECT_NE(r.warnings(0).message().find("GTP_TEID"), std::string::npos) << r.warnings(0).message();

  const v1::GetConfigResponse after = get_config();
  EXPECT_EQ(after.generation(), before.generation());
  std::string diff;
  EXPECT_TRUE(same_config(after.config(), before.config(), &diff)) << diff;
}

TEST_F(DaemonApi, ExpectedGenerationMismatchIsAbortedAndChangesNothing) {
  apply_seed();
  const v1::GetConfigResponse before = get_config();
  ASSERT_EQ(before.generation(), 1u);

  v1::Config other = seed_config();
  other.set_name("other");
  grpc::Status s = set_config(other, nullptr, false, /*expected=*/0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << status_text(s);
  s = set_config(other, nullptr, false, /*expected=*/7);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << status_text(s);
  EXPECT_NE(s.error_message().find("generation"), std::string::npos) << s.error_message();

  v1::GroupMemberRequest req;
  req.set_group("analyzers");
  req.set_port(4);
  req.set_expected_generation(5);
  v1::GroupMemberResponse gr;
  auto c = ctx();
  s = stub_->AddGroupMember(c.get(), req, &gr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << status_text(s);

  const v1::GetConfigResponse after = get_config();
  EXPECT_EQ(after.generation(), 1u);
  std::string diff;
  EXPECT_TRUE(same_config(after.config(), before.config(), &diff)) << diff;

  // The right generation goes through.
  v1::SetConfigResponse r;
  s = set_config(other, &r, false, /*expected=*/1);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_EQ(r.generation(), 2u);
}

TEST_F(DaemonApi, InvalidConfigsAreRefusedNamingTheField) {
  apply_seed();
  const v1::GetConfigResponse before = get_config();

  struct Case {
    const char* what;
    std::string field;
    std::function<void(v1::Config&)> break_it;
  };
  const std::vector<Case> cases = {
      {"asymmetric xor16", "groups[0].hash",
       [](v1::Config& c) {
         c.mutable_groups(0)->set_hash(v1::HASH_XOR16);
         c.mutable_groups(0)->set_symmetric(false);
       }},
      {"symmetric with only SRC_IP", "groups[0].tuple",
       [](v1::Config& c) {
         c.mutable_groups(0)->clear_tuple();
         c.mutable_groups(0)->add_tuple(v1::SRC_IP);
       }},
      {"ingress port in two groups", "groups[1].ingress_ports[0]",
       [](v1::Config& c) {
         auto* g = c.add_groups();
         *g = c.groups(0);
         g->set_name("second");
         g->clear_ingress_ports();
         g->add_ingress_ports(3);
         g->clear_members();
         g->add_members(5);
       }},
      {"member out of range", "groups[0].members[4]", [](v1::Config& c) { c.mutable_groups(0)->add_members(16); }},
      {"member twice", "groups[0].members[4]", [](v1::Config& c) { c.mutable_groups(0)->add_members(1); }},
      {"empty tuple", "groups[0].tuple", [](v1::Config& c) { c.mutable_groups(0)->clear_tuple(); }},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.what);
    v1::Config bad = seed_config();
    tc.break_it(bad);
    for (const bool validate_only : {true, false}) {
      v1::SetConfigResponse r;
      const grpc::Status s = set_config(bad, &r, validate_only);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
      EXPECT_NE(s.error_message().find(tc.field), std::string::npos)
          << "the message should name " << tc.field << ": " << s.error_message();
    }
    const v1::GetConfigResponse after = get_config();
    EXPECT_EQ(after.generation(), before.generation());
    std::string diff;
    EXPECT_TRUE(same_config(after.config(), before.config(), &diff)) << diff;
  }
}

TEST_F(DaemonApi, BindingToAMissingCaptureIsRefused) {
  apply_seed();
  const v1::GetConfigResponse before = get_config();
  v1::Config c = seed_config();
  c.mutable_ingress_ports(2)->mutable_binding()->set_pcap_file((dir_ / "no-such.pcap").string());
  const grpc::Status s = set_config(c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("ingress_ports[2].binding.pcap_file"), std::string::npos) << s.error_message();
  const v1::GetConfigResponse after = get_config();
  EXPECT_EQ(after.generation(), before.generation());
  EXPECT_TRUE(same_config(after.config(), before.config()));
}

TEST_F(DaemonApi, GroupMembershipChanges) {
  apply_seed();
  v1::GroupMemberResponse r;

  grpc::Status s = member(true, "analyzers", 4, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_GT(r.buckets_moved(), 0u);
  EXPECT_LT(r.buckets_moved(), 1024u) << "adding a fifth member moves about 1/5 of the buckets";
  EXPECT_EQ(r.generation(), 2u);
  v1::GetConfigResponse cfg = get_config();
  EXPECT_EQ(cfg.generation(), 2u);
  EXPECT_EQ(std::vector<uint32_t>(cfg.config().groups(0).members().begin(), cfg.config().groups(0).members().end()),
            (std::vector<uint32_t>{0, 1, 2, 3, 4}));

  // Counters see the new member with buckets of its own.
  {
    v1::CountersSnapshot snap;
    auto c = ctx();
    ASSERT_TRUE(stub_->GetCounters(c.get(), {}, &snap).ok());
    ASSERT_EQ(snap.groups_size(), 1);
    uint32_t total = 0, of4 = 0;
    for (const auto& m : snap.groups(0).members()) {
      total += m.buckets();
      if (m.port() == 4) of4 = m.buckets();
    }
    EXPECT_EQ(total, 1024u);
    EXPECT_EQ(of4, r.buckets_moved());
  }

  s = member(true, "analyzers", 4);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "already a member: " << status_text(s);
  s = member(true, "no-such-group", 5);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << status_text(s);
  s = member(false, "no-such-group", 1);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << status_text(s);
  s = member(false, "analyzers", 9);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << "not a member: " << status_text(s);
  s = member(true, "analyzers", 16);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("port"), std::string::npos) << s.error_message();
  s = member(false, "analyzers", 99);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_EQ(get_config().generation(), 2u) << "refused changes do not bump the generation";

  s = member(false, "analyzers", 2, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_GT(r.buckets_moved(), 0u);
  EXPECT_EQ(r.generation(), 3u);
  cfg = get_config();
  EXPECT_EQ(cfg.generation(), 3u);
  EXPECT_EQ(std::vector<uint32_t>(cfg.config().groups(0).members().begin(), cfg.config().groups(0).members().end()),
            (std::vector<uint32_t>{0, 1, 3, 4}));
}

TEST_F(DaemonApi, CountersAfterReplayThenClear) {
  const uint64_t total = make_traffic();
  ASSERT_GT(total, 0u);
  v1::SetConfigResponse r;
  const grpc::Status s = set_config(bound_seed(), &r);
  ASSERT_TRUE(s.ok()) << status_text(s);

  v1::CountersSnapshot snap;
  ASSERT_TRUE(wait_bindings_done(*stub_, 20s, &snap));
  uint64_t rx = 0, rx_bytes = 0, tx = 0, tx_bytes = 0;
  for (const auto& in : snap.ingress()) {
    rx += in.packets();
    rx_bytes += in.bytes();
    if (in.port() < 4) {
      EXPECT_EQ(in.binding_state(), v1::BINDING_DONE) << "ingress " << in.port();
      EXPECT_NE(in.binding().find(tap(int(in.port())).string()), std::string::npos) << in.binding();
      EXPECT_GT(in.packets(), 0u) << "ingress " << in.port();
    } else {
      EXPECT_EQ(in.binding_state(), v1::BINDING_NONE) << "ingress " << in.port();
    }
  }
  for (const auto& e : snap.egress()) {
    tx += e.packets();
    tx_bytes += e.bytes();
    if (e.port() < 4) {
      EXPECT_GT(e.packets(), 0u) << "egress " << e.port();
    } else {
      EXPECT_EQ(e.packets(), 0u) << "egress " << e.port();
    }
  }
  EXPECT_EQ(rx, total) << "every generated frame is received";
  EXPECT_EQ(tx, rx) << "every received frame leaves on a member";
  EXPECT_EQ(tx_bytes, rx_bytes);
  ASSERT_EQ(snap.groups_size(), 1);
  EXPECT_EQ(snap.groups(0).name(), "analyzers");
  EXPECT_EQ(snap.groups(0).packets(), total);
  ASSERT_TRUE(snap.has_data_path());
  EXPECT_EQ(snap.data_path().unmapped_drops(), 0u);
  EXPECT_GT(snap.data_path().fragments(), 0u) << "the generated traffic has IPv4 fragments";
  EXPECT_EQ(snap.generation(), 1u);
  EXPECT_GT(snap.timestamp_ns(), 0u);

  auto c = ctx();
  v1::ClearCountersResponse cr;
  ASSERT_TRUE(stub_->ClearCounters(c.get(), {}, &cr).ok());
  v1::CountersSnapshot cleared;
  auto c2 = ctx();
  ASSERT_TRUE(stub_->GetCounters(c2.get(), {}, &cleared).ok());
  for (const auto& in : cleared.ingress()) {
    EXPECT_EQ(in.packets(), 0u) << "ingress " << in.port();
    EXPECT_EQ(in.bytes(), 0u) << "ingress " << in.port();
  }
  for (const auto& e : cleared.egress()) {
    EXPECT_EQ(e.packets(), 0u) << "egress " << e.port();
    EXPECT_EQ(e.bytes(), 0u) << "egress " << e.port();
    EXPECT_EQ(e.peak_utilization_bp(), 0u) << "egress " << e.port();
  }
  for (const auto& g : cleared.groups()) {
    EXPECT_EQ(g.packets(), 0u);
    EXPECT_EQ(g.new_flows(), 0u);
  }
  EXPECT_EQ(cleared.data_path().malformed(), 0u);
  EXPECT_EQ(cleared.data_path().fragments(), 0u);
  EXPECT_EQ(cleared.data_path().depth_exceeded(), 0u);
  EXPECT_EQ(cleared.data_path().unmapped_drops(), 0u);
  EXPECT_EQ(cleared.data_path().threshold_avoids(), 0u);
  EXPECT_EQ(cleared.data_path().fragment_follows(), 0u);
  EXPECT_EQ(cleared.data_path().fragment_misses(), 0u);
}

TEST_F(DaemonApi, StreamCountersSendsCountSnapshots) {
  apply_seed();
  v1::StreamCountersRequest req;
  req.set_interval_ms(50);
  req.set_count(3);
  auto c = ctx();
  auto reader = stub_->StreamCounters(c.get(), req);
  std::vector<v1::CountersSnapshot> got;
  v1::CountersSnapshot snap;
  while (reader->Read(&snap)) got.push_back(snap);
  const grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << status_text(s);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GT(got[i].timestamp_ns(), got[i - 1].timestamp_ns());
    EXPECT_GE(got[i].timestamp_ns() - got[i - 1].timestamp_ns(), 40'000'000u) << "about interval_ms apart";
  }
  for (const auto& g : got) {
    EXPECT_EQ(g.ingress_size(), 8);
    EXPECT_EQ(g.egress_size(), 16);
    EXPECT_EQ(g.generation(), 1u);
  }
}

TEST_F(DaemonApi, StreamCountersRefusesTooShortInterval) {
  v1::StreamCountersRequest req;
  req.set_interval_ms(5);
  req.set_count(2);
  auto c = ctx();
  auto reader = stub_->StreamCounters(c.get(), req);
  v1::CountersSnapshot snap;
  int n = 0;
  while (reader->Read(&snap)) ++n;
  const grpc::Status s = reader->Finish();
  EXPECT_EQ(n, 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("interval_ms"), std::string::npos) << s.error_message();
}

// The decision log's columns by name.
std::vector<std::map<std::string, std::string>> read_decision_log(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t at = 0;
    for (;;) {
      const size_t tab = s.find('\t', at);
      out.push_back(s.substr(at, tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    return out;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (header.empty()) {
      header = split(line);
      continue;
    }
    const auto fields = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(row);
  }
  return rows;
}

TEST_F(DaemonApi, ExplainPacketAgreesWithTheReplayDecisionLog) {
  make_traffic();
  apply_seed();
  const fs::path cfg = dir_ / "replay.conf";
  write_file(cfg, config_text(seed_config()));
  const fs::path log = dir_ / "decisions.tsv";
  const ProcessResult replay = run_process({BROKER_REPLAY_PATH, "--config", cfg.string(), "--in",
                                            "0=" + tap(0).string(), "--out-dir", (dir_ / "replay-out").string(),
                                            "--log", log.string(), "--quiet"},
                                           60s);
  ASSERT_EQ(replay.exit_code, 0) << replay.describe();
  const auto rows = read_decision_log(log);
  ASSERT_GE(rows.size(), 20u);
  ASSERT_TRUE(rows[0].count("out_port") && rows[0].count("hash") && rows[0].count("frame"))
      << "decision log header lacks normative columns";
  ASSERT_TRUE(rows[0].count("frag_follow")) << "decision log header lacks frag_follow";

  io::PcapSource src(tap(0).string());
  io::Frame f;
  for (size_t k = 0; k < 20 && src.next(f); ++k) {
    SCOPED_TRACE("frame " + std::to_string(k + 1) + " of " + tap(0).string());
    ASSERT_EQ(rows[k].at("frame"), std::to_string(k + 1));
    v1::ExplainPacketRequest req;
    req.set_frame(std::string(f.data.begin(), f.data.end()));
    req.set_ingress_port(0);
    v1::ExplainPacketResponse resp;
    auto c = ctx();
    const grpc::Status s = stub_->ExplainPacket(c.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << status_text(s);
    EXPECT_TRUE(resp.mapped());
    EXPECT_EQ(resp.group(), "analyzers");
    EXPECT_FALSE(resp.dropped());
    // This daemon forwarded nothing, so no first fragment is remembered: a frame that
    // followed one in the replay is explained by its fallback key (the hash still agrees).
    EXPECT_FALSE(resp.frag_follow());
    if (rows[k].at("frag_follow") == "0")
      EXPECT_EQ(std::to_string(resp.member_port()), rows[k].at("out_port")) << resp.reason();
    char hash[16];
    std::snprintf(hash, sizeof hash, "0x%08x", resp.hash());
    EXPECT_EQ(std::stoul(rows[k].at("hash"), nullptr, 16), resp.hash()) << hash << " vs " << rows[k].at("hash");
    EXPECT_EQ(resp.key().size(), 96u);
    EXPECT_FALSE(resp.decision_log_row().empty());
    EXPECT_FALSE(resp.reason().empty());
  }
}

// A frame a filter replicates is explained copy by copy, in group order.
TEST_F(DaemonApi, ExplainPacketNamesEveryCopy) {
  v1::Config c = seed_config();
  auto* e = c.add_egress_ports();
  e->set_port(4);
  e->set_name("recorder");
  auto* g = c.add_groups();
  g->set_name("rec");
  g->add_members(4);
  g->add_tuple(v1::SRC_IP);
  auto* f = c.add_filters();
  f->set_name("everything-twice");
  f->add_groups("analyzers");
  f->add_groups("rec");
  v1::SetConfigResponse r;
  const grpc::Status s = set_config(c, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  v1::ExplainPacketResponse resp;
  ASSERT_TRUE(explain_minimal_ipv4(&resp).ok());
  ASSERT_EQ(resp.copies_size(), 2) << resp.DebugString();
  EXPECT_EQ(resp.copies(0).group(), "analyzers");
  EXPECT_LT(resp.copies(0).member_port(), 4u);
  EXPECT_EQ(resp.copies(1).group(), "rec");
  EXPECT_EQ(resp.copies(1).member_port(), 4u);
  EXPECT_EQ(resp.group(), "analyzers");
  EXPECT_NE(resp.reason().find("one copy per group: group 'analyzers' -> egress port"), std::string::npos)
      << resp.reason();
  EXPECT_NE(resp.reason().find("group 'rec' -> egress port 4"), std::string::npos) << resp.reason();
  EXPECT_NE(resp.decision_log_row().find(fmt::format("\t0,1\t{},4\t", resp.copies(0).member_port())),
            std::string::npos)
      << resp.decision_log_row();
}

TEST_F(DaemonApi, ExplainPacketRefusesBadRequests) {
  apply_seed();
  v1::ExplainPacketRequest req;
  req.set_frame(std::string(10, '\x11'));
  req.set_ingress_port(0);
  v1::ExplainPacketResponse resp;
  auto c = ctx();
  grpc::Status s = stub_->ExplainPacket(c.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("frame"), std::string::npos) << s.error_message();

  req.set_frame(std::string(64, '\x22'));
  req.set_ingress_port(99);
  auto c2 = ctx();
  s = stub_->ExplainPacket(c2.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("ingress_port"), std::string::npos) << s.error_message();
}

std::string bytes_of(const grpc::ByteBuffer& b) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!b.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer buffer_of(const std::string& bytes) {
  grpc::Slice s(bytes);
  return grpc::ByteBuffer(&s, 1);
}

TEST_F(DaemonApi, StandardHealthServiceServes) {
  grpc::GenericStub generic(daemon_.channel());
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + 10s);
  const grpc::ByteBuffer request = buffer_of("");  // HealthCheckRequest{}: zero bytes
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&c, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status s = done.get_future().get();
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_EQ(bytes_of(response), std::string("\x08\x01", 2)) << "HealthCheckResponse{status: SERVING}";
}

TEST_F(DaemonApi, ServerReflectionListsTheBrokerService) {
  grpc::GenericStub generic(daemon_.channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + 10s);
  auto call = generic.PrepareCall(&c, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  ASSERT_TRUE(call);
  auto step = [&](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    const auto r = cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + 10s);
    EXPECT_EQ(r, grpc::CompletionQueue::GOT_EVENT);
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  // ServerReflectionRequest{list_services: ""}: field 7, wire type 2, length 0.
  call->Write(buffer_of(std::string("\x3a\x00", 2)), reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3)) << "no reflection response";
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status_text(status);
  const std::string bytes = bytes_of(response);
  EXPECT_NE(bytes.find("broker.v1.Broker"), std::string::npos) << "reflection response: " << bytes;
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos) << "reflection response: " << bytes;
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(DaemonApi, UnixSocketIsGroupAccessibleOnly) {
  struct stat st {};
  ASSERT_EQ(::stat(daemon_.socket_path().c_str(), &st), 0) << daemon_.socket_path();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u) << "brokerd --help promises mode 0660";
}

TEST_F(DaemonApi, ExplainPacketChangesNoState) {
  make_traffic();
  v1::Config c = seed_config();
  c.mutable_groups(0)->set_mode(v1::MODE_DYNAMIC);
  ASSERT_TRUE(set_config(c).ok());
  io::Frame f;
  std::vector<uint32_t> first;
  for (int round = 0; round < 2; ++round) {
    io::PcapSource again(tap(1).string());
    for (int k = 0; k < 50 && again.next(f); ++k) {
      v1::ExplainPacketRequest req;
      req.set_frame(std::string(f.data.begin(), f.data.end()));
      req.set_ingress_port(1);
      v1::ExplainPacketResponse resp;
      auto cx = ctx();
      const grpc::Status s = stub_->ExplainPacket(cx.get(), req, &resp);
      ASSERT_TRUE(s.ok()) << status_text(s);
      if (round == 0) {
        first.push_back(resp.member_port());
      } else {
        EXPECT_EQ(resp.member_port(), first[size_t(k)]) << "frame " << k + 1 << ": explaining changed the answer";
      }
    }
  }
  v1::CountersSnapshot snap;
  auto cx = ctx();
  ASSERT_TRUE(stub_->GetCounters(cx.get(), {}, &snap).ok());
  for (const auto& in : snap.ingress()) EXPECT_EQ(in.packets(), 0u) << "ingress " << in.port();
  for (const auto& e : snap.egress()) EXPECT_EQ(e.packets(), 0u) << "egress " << e.port();
  ASSERT_EQ(snap.groups_size(), 1);
  EXPECT_EQ(snap.groups(0).new_flows(), 0u) << "ExplainPacket assigned dynamic buckets";
  EXPECT_EQ(snap.groups(0).packets(), 0u);
}

TEST_F(DaemonApi, SigtermEndsAnOpenCounterStream) {
  v1::StreamCountersRequest req;
  req.set_interval_ms(20);
  req.set_count(0);  // until cancelled
  auto c = ctx(30s);
  auto reader = stub_->StreamCounters(c.get(), req);
  v1::CountersSnapshot snap;
  ASSERT_TRUE(reader->Read(&snap));
  ASSERT_TRUE(reader->Read(&snap));
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(daemon_.stop()) << "SIGTERM with a counter stream open";
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 5.0) << "stopping with a stream open took " << s << " s";
  while (reader->Read(&snap)) {
  }
  reader->Finish();
}

// Loopback TCP on port 0: the kernel picks the port, brokerd logs it in its start line.
TEST(DaemonTcp, LoopbackPortZeroAnswers) {
  TempDir dir;
  DaemonProcess d(dir.path());
  DaemonProcess::StartOptions o;
  o.listen = "127.0.0.1:0";
  ASSERT_TRUE(d.start(o));
  EXPECT_EQ(d.target().rfind("127.0.0.1:", 0), 0u) << d.target();
  EXPECT_NE(d.target(), "127.0.0.1:0");
  auto stub = d.stub();
  v1::Capabilities caps;
  auto c = ctx();
  const grpc::Status s = stub->GetCapabilities(c.get(), {}, &caps);
  ASSERT_TRUE(s.ok()) << status_text(s);
  EXPECT_EQ(caps.card_kind(), "soft");
  v1::SetConfigRequest req;
  *req.mutable_config() = seed_config();
  v1::SetConfigResponse r;
  auto c2 = ctx();
  ASSERT_TRUE(stub->SetConfig(c2.get(), req, &r).ok());
  EXPECT_EQ(r.generation(), 1u);
  stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
