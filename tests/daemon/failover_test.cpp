// Tool-port failover through brokerd's soft card (ctest label `failover`).
//
// On live interfaces: three tool ports bound to veth ends in a namespace of the test's own.
// The far end of one goes down (`ip link set ... down`): the tool port's link follows its
// interface, the member leaves its group (its buckets go to the other two, each flow of a live
// member stays where it was), and comes back with its buckets when the link returns. Every
// frame sent is captured exactly once, counted exactly; the change is in GetCounters and the
// daemon's log. Skips where network namespaces are not permitted.
//
// On capture files: SetEgressLink forces a capture-bound port down, which is how failover is
// tested where no link can be pulled.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"
#include "veth_namespace.h"

namespace broker::testing {
namespace {

constexpr const char* kMarker = "brokerd-failover";
constexpr int kFlows = 64;

// Three tool ports (0, 1, 2: "tool-N"), bound as `bind(port, binding)` says, in one static
// group fed by ingress port 0 (symmetric 5-tuple CRC32).
template <class Bind>
v1::Config three_tools(const std::string& name, Bind bind) {
  v1::Config config;
  config.set_name(name);
  auto* g = config.add_groups();
  g->set_name("tools");
  g->add_ingress_ports(0);
  g->set_symmetric(true);
  for (auto f : {v1::SRC_IP, v1::DST_IP, v1::SRC_PORT, v1::DST_PORT, v1::IP_PROTO}) g->add_tuple(f);
  for (uint32_t p = 0; p < 3; ++p) {
    auto* out = config.add_egress_ports();
    out->set_port(p);
    out->set_name("tool-" + std::to_string(p));
    bind(p, *out->mutable_binding());
    g->add_members(p);
  }
  return config;
}

// Members' buckets by port, of the one group.
std::map<uint32_t, uint32_t> buckets(const v1::CountersSnapshot& s) {
  std::map<uint32_t, uint32_t> out;
  for (const auto& m : s.groups(0).members()) out[m.port()] = m.buckets();
  return out;
}

// Until the port's link and its member's share say `up` (a member whose link is down holds no
// bucket).
bool wait_link(v1::Broker::Stub& stub, uint32_t port, bool up, std::chrono::seconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = get_counters(stub);
    for (const auto& m : s.groups(0).members())
      if (m.port() == port && s.egress(int(port)).link_up() == up && m.link_up() == up &&
          (up ? m.buckets() > 0 : m.buckets() == 0))
        return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class DaemonFailover : public DaemonInNamespace {
 protected:
  void SetUp() override { set_up({{"vA", "vAp"}, {"vT0", "vT0p"}, {"vT1", "vT1p"}, {"vT2", "vT2p"}}); }

  // Sends one frame per flow (sequence numbers from `first`), then captures on every tool
  // port until all arrived; returns the port each flow left on.
  std::map<int, int> send_round(int first, std::map<int, uint64_t>& captured) {
    for (int f = 0; f < kFlows; ++f) {
      EXPECT_TRUE(ns_.send(marked_udp_frame(kMarker, first + f, f)));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::map<int, int> port_of_flow;
    int seen = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen < kFlows && std::chrono::steady_clock::now() < deadline) {
      bool any = false;
      for (size_t p = 0; p < 3; ++p) {
        std::string frame;
        while (ns_.next(p, frame)) {
          const int seq = marked_sequence(kMarker, frame);
          if (seq < 0) continue;
          any = true;
          EXPECT_TRUE(seq >= first && seq < first + kFlows) << "frame " << seq << " came late or twice";
          const int flow = seq - first;
          EXPECT_EQ(port_of_flow.count(flow), 0u) << "frame " << seq << " came out twice";
          port_of_flow[flow] = int(p);
          ++captured[int(p)];
          ++seen;
        }
      }
      if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::string lost;
    for (int f = 0; f < kFlows; ++f)
      if (!port_of_flow.count(f)) lost += " " + std::to_string(first + f);
    EXPECT_EQ(seen, kFlows) << "frames lost:" << lost << "; brokerd log:\n" << daemon_.log();
    return port_of_flow;
  }
};

TEST_F(DaemonFailover, ToolPortLinkDownMovesItsBucketsAndBackLosingNothing) {
  ASSERT_TRUE(start_daemon());
  auto stub = daemon_.stub();
  v1::Config config = three_tools("failover", [](uint32_t p, v1::PortBinding& b) {
    b.set_interface("vT" + std::to_string(p));
  });
  auto* in = config.add_ingress_ports();
  in->set_port(0);
  in->mutable_binding()->set_interface("vA");
  ASSERT_TRUE(apply_config(*stub, config)) << "brokerd log:\n" << daemon_.log();
  ASSERT_TRUE(ns_.open_far_ends("vAp", {"vT0p", "vT1p", "vT2p"}));
  const auto before = buckets(get_counters(*stub));
  ASSERT_TRUE(get_counters(*stub).egress(1).link_up());

  std::map<int, uint64_t> captured;
  const auto a = send_round(0, captured);

  // The far end of tool port 1 goes down: vT1 loses its carrier.
  ASSERT_TRUE(ns_.set_link("vT1p", false));
  ASSERT_TRUE(wait_link(*stub, 1, false)) << "brokerd log:\n" << daemon_.log();
  const auto during = buckets(get_counters(*stub));
  EXPECT_EQ(during.at(1), 0u);
  EXPECT_EQ(during.at(0) + during.at(2), 1024u);
  EXPECT_GE(during.at(0), before.at(0));
  EXPECT_GE(during.at(2), before.at(2));
  const auto b = send_round(1000, captured);

  ASSERT_TRUE(ns_.set_link("vT1p", true));
  ASSERT_TRUE(wait_link(*stub, 1, true)) << "brokerd log:\n" << daemon_.log();
  EXPECT_EQ(buckets(get_counters(*stub)), before) << "the member got other buckets back";
  const auto c = send_round(2000, captured);

  int moved = 0;
  for (int f = 0; f < kFlows; ++f) {
    if (!a.count(f) || !b.count(f) || !c.count(f)) continue;  // reported as lost above
    if (a.at(f) == 1) {
      ++moved;
      EXPECT_NE(b.at(f), 1) << "flow " << f << " went to the port whose link was down";
    } else {
      EXPECT_EQ(b.at(f), a.at(f)) << "flow " << f << " of a live member moved";
    }
    EXPECT_EQ(c.at(f), a.at(f)) << "flow " << f << " is not back where it was";
  }
  EXPECT_GT(moved, 0) << "no flow was on the port whose link went down";

  // Counters: exact per port, nothing dropped, one link-down on port 1; the log says it.
  const auto snap = get_counters(*stub);
  for (int p = 0; p < 3; ++p) {
    EXPECT_EQ(snap.egress(p).packets(), captured[p]) << "tool port " << p;
    EXPECT_EQ(snap.egress(p).drops(), 0u) << "tool port " << p;
  }
  EXPECT_EQ(snap.ingress(0).packets(), uint64_t(3 * kFlows));
  EXPECT_EQ(snap.egress(1).link_downs(), 1u);
  EXPECT_EQ(snap.egress(0).link_downs(), 0u);
  const std::string log = daemon_.log();
  EXPECT_NE(log.find("event=link_down port=1 name=\"tool-1\" cause=wire"), std::string::npos) << log;
  EXPECT_NE(log.find("event=link_up port=1 name=\"tool-1\" cause=wire"), std::string::npos) << log;
  RecordProperty("flows_moved", moved);
  RecordProperty("buckets_moved", int(before.at(1)));
  std::printf("[ figures  ] soft card on veth: %d flows, tool port 1 (%u buckets) down and up: %d flows "
              "moved and came back, live members' flows stayed, %llu/%llu/%llu frames captured = counted, "
              "0 dropped\n",
              kFlows, before.at(1), moved, (unsigned long long)captured[0], (unsigned long long)captured[1],
              (unsigned long long)captured[2]);
  stub.reset();
  EXPECT_TRUE(daemon_.stop());
}

// Capture-bound tool ports have no link of their own: SetEgressLink forces one down. A replay
// started while it is down sends nothing there; every frame lands on the other members.
TEST(DaemonFailoverCapture, ForcedDownPortTakesNoFrameAndComesBack) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();

  // A capture of kFlows x 4 frames, written with the project's capture writer.
  const auto input = dir.path() / "in.pcap";
  {
    io::PcapSink sink(input.string());
    for (int i = 0; i < 4 * kFlows; ++i) {
      const auto f = marked_udp_frame(kMarker, i, i % kFlows);
      sink.write(uint64_t(i + 1) * 1000, f.data(), uint32_t(f.size()));
    }
    sink.close();
  }
  v1::Config config = three_tools("failover-capture", [&](uint32_t p, v1::PortBinding& b) {
    b.set_pcap_file((dir.path() / ("out-" + std::to_string(p) + ".pcap")).string());
  });
  ASSERT_TRUE(apply_config(*stub, config));
  const auto before = buckets(get_counters(*stub));

  v1::SetEgressLinkRequest down;
  down.set_port(1);
  down.set_admin_down(true);
  v1::SetEgressLinkResponse resp;
  {
    auto c = ctx();
    const grpc::Status s = stub->SetEgressLink(c.get(), down, &resp);
    ASSERT_TRUE(s.ok()) << status_text(s);
  }
  EXPECT_FALSE(resp.link_up());
  EXPECT_EQ(resp.buckets_moved(), before.at(1));
  {
    const auto s = get_counters(*stub);
    EXPECT_TRUE(s.egress(1).admin_down());
    EXPECT_FALSE(s.egress(1).link_up());
    EXPECT_EQ(buckets(s).at(1), 0u);
  }

  // Now the input: the egress bindings do not change, so the forced state stays.
  auto* in = config.add_ingress_ports();
  in->set_port(0);
  in->mutable_binding()->set_pcap_file(input.string());
  ASSERT_TRUE(apply_config(*stub, config));
  v1::CountersSnapshot done;
  ASSERT_TRUE(wait_bindings_done(*stub, std::chrono::seconds(30), &done));
  EXPECT_EQ(done.egress(1).packets(), 0u);
  EXPECT_EQ(done.egress(0).packets() + done.egress(2).packets(), uint64_t(4 * kFlows));
  EXPECT_EQ(done.data_path().unmapped_drops(), 0u);

  // Invalid ports are refused, naming the port.
  v1::SetEgressLinkRequest bad;
  bad.set_port(99);
  bad.set_admin_down(true);
  {
    auto c = ctx();
    const grpc::Status s = stub->SetEgressLink(c.get(), bad, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("egress port 99"), std::string::npos) << s.error_message();
  }

  down.set_admin_down(false);
  {
    auto c = ctx();
    ASSERT_TRUE(stub->SetEgressLink(c.get(), down, &resp).ok());
  }
  EXPECT_TRUE(resp.link_up());
  EXPECT_EQ(buckets(get_counters(*stub)), before);
  EXPECT_NE(d.log().find("event=link_down port=1 name=\"tool-1\" cause=admin"), std::string::npos) << d.log();
  stub.reset();
  EXPECT_TRUE(d.stop());
  // The captures (closed when brokerd stops) hold what the counters say.
  EXPECT_EQ(count_pcap_frames(dir.path() / "out-1.pcap"), 0u);
  EXPECT_EQ(count_pcap_frames(dir.path() / "out-0.pcap") + count_pcap_frames(dir.path() / "out-2.pcap"),
            uint64_t(4 * kFlows));
}

}  // namespace
}  // namespace broker::testing
