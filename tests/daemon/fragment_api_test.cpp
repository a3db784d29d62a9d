// Fragments follow their session, as users and operators see it through the real brokerd:
// GetCounters / StreamCounters carry fragment_follows and fragment_misses, ClearCounters
// zeroes them, ExplainPacket says whether a frame would follow (frag_follow, its decision
// log row too), and brokerctl shows both.
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"
#include "traffic_gen.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

// An Ethernet / IPv4 fragment of UDP datagram `id` from 10.0.0.1:40000 to 10.0.0.2:53:
// 64 bytes of the datagram at `offset8` (8-byte units), the UDP header in the first one.
std::string udp_fragment(uint16_t id, uint16_t offset8, bool more) {
  std::string f = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
  const uint16_t total = 20 + 64;
  const uint16_t flags = uint16_t((more ? 0x2000 : 0) | offset8);
  std::string ip = {0x45, 0, char(total >> 8), char(total & 0xFF), char(id >> 8), char(id & 0xFF),
                    char(flags >> 8), char(flags & 0xFF), 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  uint32_t sum = 0;
  for (size_t i = 0; i < ip.size(); i += 2)
    sum += uint32_t(uint8_t(ip[i])) << 8 | uint8_t(ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = char(~sum >> 8);
  ip[11] = char(~sum & 0xFF);
  std::string data(64, '\x5A');
  if (offset8 == 0) data.replace(0, 8, std::string{char(0x9C), 0x40, 0x00, 0x35, 0x01, 0x00, 0, 0});
  return f + ip + data;
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// The decision log's frag_follow cell (column 25; the tunnel and filter columns follow it).
std::string frag_follow_cell(const std::string& row) {
  size_t at = 0;
  for (int k = 0; k < 24 && at != std::string::npos; ++k) at = row.find('\t', at) + 1;
  return row.substr(at, row.find('\t', at) - at);
}

class DaemonFragments : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(daemon_.start());
    stub_ = daemon_.stub();
  }
  void TearDown() override {
    stub_.reset();
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.stop());
    }
  }

  void apply(const v1::Config& config) {
    v1::SetConfigRequest req;
    *req.mutable_config() = config;
    v1::SetConfigResponse resp;
    auto c = ctx();
    const grpc::Status s = stub_->SetConfig(c.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << status_text(s);
  }

  v1::ExplainPacketResponse explain(const std::string& frame) {
    v1::ExplainPacketRequest req;
    req.set_frame(frame);
    req.set_ingress_port(0);
    v1::ExplainPacketResponse resp;
    auto c = ctx();
    const grpc::Status s = stub_->ExplainPacket(c.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << status_text(s);
    return resp;
  }

  v1::CountersSnapshot counters() { return get_counters(*stub_); }

  ProcessResult ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{BROKERCTL_PATH, "--target", daemon_.target()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, 30s, {"BROKERCTL_TARGET="});
  }

  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
  std::unique_ptr<v1::Broker::Stub> stub_;
};

TEST_F(DaemonFragments, CountersCountEveryLaterFragmentAsFollowOrMiss) {
  tools::TrafficOptions o;
  o.points = 4;
  o.sessions = 300;
  o.duration_ms = 200;
  uint64_t later = 0;  // fragments other than the first of their datagram
  for (const auto& f : tools::generate_traffic(o).frames) later += f.fragment > 1;
  ASSERT_GT(later, 0u);
  tools::write_traffic(o, (dir_ / "traffic").string());
  v1::Config c = seed_config();
  for (auto& in : *c.mutable_ingress_ports())
    if (in.port() < 4)
      in.mutable_binding()->set_pcap_file((dir_ / "traffic" / tools::point_file_name(int(in.port()))).string());
  apply(c);

  v1::CountersSnapshot snap;
  ASSERT_TRUE(wait_bindings_done(*stub_, 20s, &snap));
  const auto& d = snap.data_path();
  EXPECT_EQ(d.fragment_follows() + d.fragment_misses(), later)
      << d.fragment_follows() << " follows, " << d.fragment_misses() << " misses";
  EXPECT_GT(d.fragment_follows(), 0u) << "most datagrams send their first fragment first";
  EXPECT_GT(d.fragment_misses(), 0u) << "some datagrams send their last fragment first";

  v1::StreamCountersRequest req;
  req.set_interval_ms(10);
  req.set_count(1);
  auto sc = ctx();
  auto reader = stub_->StreamCounters(sc.get(), req);
  v1::CountersSnapshot streamed;
  ASSERT_TRUE(reader->Read(&streamed));
  while (reader->Read(&snap)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(streamed.data_path().fragment_follows(), d.fragment_follows());
  EXPECT_EQ(streamed.data_path().fragment_misses(), d.fragment_misses());

  // brokerctl shows them under the other data path counters, once and in --watch.
  const std::regex row(fmt::format("LATER FRAGMENTS +FOLLOWED +MISSED\n +{} +{}\n",
                                   d.fragment_follows(), d.fragment_misses()));
  ProcessResult r = ctl({"counters"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(std::regex_search(r.out, row)) << r.out;
  r = ctl({"counters", "--watch", "--count", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(std::regex_search(r.out, row)) << r.out;

  auto cc = ctx();
  v1::ClearCountersResponse cleared;
  ASSERT_TRUE(stub_->ClearCounters(cc.get(), {}, &cleared).ok());
  const v1::CountersSnapshot after = counters();
  EXPECT_EQ(after.data_path().fragment_follows(), 0u);
  EXPECT_EQ(after.data_path().fragment_misses(), 0u);
}

TEST_F(DaemonFragments, ExplainSaysWhetherALaterFragmentWouldFollow) {
  const fs::path cap = dir_ / "first.pcap";
  {
    io::PcapSink sink(cap.string());
    const std::string first = udp_fragment(0x1234, 0, true);
    sink.write(1'000'000'000, reinterpret_cast<const uint8_t*>(first.data()), uint32_t(first.size()));
  }
  v1::Config c = seed_config();
  c.mutable_ingress_ports(0)->mutable_binding()->set_pcap_file(cap.string());
  apply(c);
  ASSERT_TRUE(wait_bindings_done(*stub_, 20s));

  const v1::ExplainPacketResponse first = explain(udp_fragment(0x1234, 0, true));
  EXPECT_FALSE(first.frag_follow());
  ASSERT_FALSE(first.dropped());

  // The first fragment went through the card: a later one of its datagram follows it.
  const std::string later = udp_fragment(0x1234, 8, true);
  const v1::ExplainPacketResponse follow = explain(later);
  EXPECT_TRUE(follow.frag_follow()) << follow.reason();
  EXPECT_EQ(follow.member_port(), first.member_port());
  EXPECT_NE(follow.reason().find("follows"), std::string::npos) << follow.reason();
  EXPECT_EQ(frag_follow_cell(follow.decision_log_row()), "1") << follow.decision_log_row();

  // Another datagram's later fragment has no first to follow: its fallback key decides.
  const v1::ExplainPacketResponse miss = explain(udp_fragment(0x4321, 8, false));
  EXPECT_FALSE(miss.frag_follow()) << miss.reason();
  EXPECT_NE(miss.reason().find("fallback key"), std::string::npos) << miss.reason();
  EXPECT_EQ(frag_follow_cell(miss.decision_log_row()), "0") << miss.decision_log_row();

  // Explaining counts nothing.
  const v1::CountersSnapshot snap = counters();
  EXPECT_EQ(snap.data_path().fragments(), 1u);
  EXPECT_EQ(snap.data_path().fragment_follows(), 0u);
  EXPECT_EQ(snap.data_path().fragment_misses(), 0u);

  ProcessResult r = ctl({"explain", "--port", "0", "--hex", hex(later)});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nfrag_follow +yes"))) << r.out;
  r = ctl({"--json", "explain", "--port", "0", "--hex", hex(later)});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("\"frag_follow\": true"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace broker::testing
