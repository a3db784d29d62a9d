// Hitless membership through the daemon: a member leaves (and one joins) while captures are
// replayed at their recorded pace, and not one packet is lost on the way from the ingress
// captures through the counters to the egress captures.
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"
#include "traffic_gen.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct LoadCase {
  v1::SelectionMode mode;
  uint32_t add_back;  // the port added after port 2 left: 2 again, or a new member 4
  const char* name;
};

void PrintTo(const LoadCase& c, std::ostream* os) { *os << c.name; }

class DaemonMembershipUnderLoad : public ::testing::TestWithParam<LoadCase> {};

uint64_t rx_sum(const v1::CountersSnapshot& s) {
  uint64_t n = 0;
  for (const auto& i : s.ingress()) n += i.packets();
  return n;
}

TEST_P(DaemonMembershipUnderLoad, NoPacketLost) {
  const LoadCase& tc = GetParam();
  TempDir dir;
  const fs::path traffic = dir / "traffic";
  tools::TrafficOptions opts;
  opts.points = 4;
  opts.sessions = 3000;
  opts.duration_ms = 2000;
  uint64_t total = 0;
  for (const auto& p : tools::write_traffic(opts, traffic.string())) total += p.frames;
  ASSERT_GT(total, 1000u);
  uint64_t first_ts = UINT64_MAX, last_ts = 0;
  for (int p = 0; p < 4; ++p) {
    io::PcapSource src((traffic / tools::point_file_name(p)).string());
    io::FrameView f;
    while (src.next(f)) {
      first_ts = std::min(first_ts, f.ts_ns);
      last_ts = std::max(last_ts, f.ts_ns);
    }
  }
  const double span_s = double(last_ts - first_ts) / 1e9;
  RecordProperty("frames", std::to_string(total));
  RecordProperty("capture_span_s", std::to_string(span_s));

  v1::Config config = seed_config();
  config.mutable_groups(0)->set_mode(tc.mode);
  for (auto& in : *config.mutable_ingress_ports()) {
    if (in.port() >= 4) continue;
    in.mutable_binding()->set_pcap_file((traffic / tools::point_file_name(int(in.port()))).string());
    in.mutable_binding()->set_pace(1.0);
  }
  auto* e4 = config.add_egress_ports();
  e4->set_port(4);
  e4->set_name("analyzer-5");
  e4->set_speed_mbps(100000);
  for (auto& e : *config.mutable_egress_ports())
    e.mutable_binding()->set_pcap_file((dir / ("out-" + std::to_string(e.port()) + ".pcap")).string());

  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  v1::SetConfigRequest req;
  *req.mutable_config() = config;
  v1::SetConfigResponse sr;
  const auto t0 = Clock::now();
  {
    auto c = ctx();
    const grpc::Status s = stub->SetConfig(c.get(), req, &sr);
    ASSERT_TRUE(s.ok()) << status_text(s);
  }

  auto change = [&](bool add, uint32_t port, std::chrono::milliseconds at) {
    std::this_thread::sleep_until(t0 + at);
    const v1::CountersSnapshot before = get_counters(*stub);
    v1::GroupMemberRequest m;
    m.set_group("analyzers");
    m.set_port(port);
    v1::GroupMemberResponse r;
    auto c = ctx();
    const grpc::Status s = add ? stub->AddGroupMember(c.get(), m, &r) : stub->RemoveGroupMember(c.get(), m, &r);
    ASSERT_TRUE(s.ok()) << (add ? "AddGroupMember " : "RemoveGroupMember ") << port << ": " << status_text(s);
    EXPECT_GT(r.buckets_moved(), 0u);
    // The change must land while the replay runs, or this test proves nothing.
    const uint64_t seen = rx_sum(before);
    EXPECT_GT(seen, 0u) << "the replay had not started when port " << port << " changed";
    EXPECT_LT(seen, total) << "the replay had already ended when port " << port << " changed";
  };
  ASSERT_NO_FATAL_FAILURE(change(false, 2, 700ms));
  ASSERT_NO_FATAL_FAILURE(change(true, tc.add_back, 1400ms));

  v1::CountersSnapshot done;
  ASSERT_TRUE(wait_bindings_done(*stub, 30s, &done));
  const double replay_s = std::chrono::duration<double>(Clock::now() - t0).count();
  RecordProperty("replay_s", std::to_string(replay_s));
  EXPECT_GT(replay_s, 0.5 * span_s) << "pace 1.0 should take about the capture's span";

  uint64_t rx = 0, tx = 0;
  for (const auto& i : done.ingress()) rx += i.packets();
  std::vector<uint64_t> tx_port(16, 0);
  for (const auto& e : done.egress()) {
    tx += e.packets();
    tx_port.at(e.port()) = e.packets();
  }
  EXPECT_EQ(rx, total) << "ingress packets vs generated frames";
  EXPECT_EQ(tx, total) << "TX packets vs generated frames";
  EXPECT_EQ(done.data_path().unmapped_drops(), 0u);
  ASSERT_EQ(done.groups_size(), 1);
  EXPECT_EQ(done.groups(0).packets(), total);
  for (uint32_t p : {0u, 1u, 2u, 3u}) EXPECT_GT(tx_port[p], 0u) << "egress " << p;
  if (tc.add_back == 4) {
    EXPECT_GT(tx_port[4], 0u) << "the new member took sessions";
  } else {
    EXPECT_EQ(tx_port[4], 0u);
  }
  for (uint32_t p = 5; p < 16; ++p) EXPECT_EQ(tx_port[p], 0u) << "egress " << p;

  // The egress captures are complete once brokerd has closed them.
  stub.reset();
  ASSERT_TRUE(d.stop());
  uint64_t in_files = 0;
  for (uint32_t p = 0; p <= 4; ++p) {
    const fs::path out = dir / ("out-" + std::to_string(p) + ".pcap");
    ASSERT_TRUE(fs::exists(out)) << out;
    const uint64_t n = count_pcap_frames(out);
    EXPECT_EQ(n, tx_port[p]) << "frames in " << out << " vs TX counter of egress " << p;
    in_files += n;
  }
  EXPECT_EQ(in_files, total) << "frames across the egress captures vs generated frames";
}

INSTANTIATE_TEST_SUITE_P(Modes, DaemonMembershipUnderLoad,
                         ::testing::Values(LoadCase{v1::MODE_STATIC, 2, "StaticReAdd2"},
                                           LoadCase{v1::MODE_STATIC, 4, "StaticAdd4"},
                                           LoadCase{v1::MODE_DYNAMIC, 2, "DynamicReAdd2"},
                                           LoadCase{v1::MODE_DYNAMIC, 4, "DynamicAdd4"}),
                         [](const ::testing::TestParamInfo<LoadCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace broker::testing
