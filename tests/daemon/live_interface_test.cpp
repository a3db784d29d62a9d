// brokerd's soft card on live Linux interfaces: two veth pairs in a network namespace of
// their own (traffic never leaves it). Frames sent into one pair's far end reach brokerd's
// ingress interface, leave through its egress interface, and are captured at that pair's
// far end:
//
//   test --AF_PACKET--> vAp ==veth== vA (ingress 0) -> brokerd -> vB (egress 0) ==veth== vBp --libpcap--> test
//
// Skips where the machine does not permit it (not root, no `ip netns`, no veth).
#include <cstring>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "veth_namespace.h"

namespace broker::testing {
namespace {

constexpr const char* kMarker = "brokerd-live-test";

std::vector<uint8_t> test_frame(int seq) { return marked_udp_frame(kMarker, seq, seq); }

class DaemonLiveInterface : public DaemonInNamespace {
 protected:
  void SetUp() override { set_up({{"vA", "vAp"}, {"vB", "vBp"}}); }
  ::testing::AssertionResult open_far_ends() { return ns_.open_far_ends("vAp", {"vBp"}); }
};

TEST_F(DaemonLiveInterface, FramesFlowFromIngressInterfaceToEgressInterface) {
  ASSERT_TRUE(start_daemon());
  auto stub = daemon_.stub();

  v1::Config config;
  config.set_name("live");
  auto* in = config.add_ingress_ports();
  in->set_port(0);
  in->set_name("veth-in");
  in->mutable_binding()->set_interface("vA");
  auto* out = config.add_egress_ports();
  out->set_port(0);
  out->set_name("veth-out");
  out->mutable_binding()->set_interface("vB");
  auto* g = config.add_groups();
  g->set_name("tools");
  g->add_ingress_ports(0);
  g->add_members(0);
  g->set_symmetric(true);
  for (auto f : {v1::SRC_IP, v1::DST_IP, v1::SRC_PORT, v1::DST_PORT, v1::IP_PROTO}) g->add_tuple(f);
  {
    v1::SetConfigRequest req;
    *req.mutable_config() = config;
    v1::SetConfigResponse r;
    auto c = ctx();
    const grpc::Status s = stub->SetConfig(c.get(), req, &r);
    ASSERT_TRUE(s.ok()) << status_text(s) << "\nbrokerd log:\n" << daemon_.log();
  }
  {
    v1::CountersSnapshot snap;
    auto c = ctx();
    ASSERT_TRUE(stub->GetCounters(c.get(), {}, &snap).ok());
    ASSERT_EQ(snap.ingress(0).binding_state(), v1::BINDING_RUNNING)
        << snap.ingress(0).binding() << ": " << snap.ingress(0).binding_error();
    EXPECT_EQ(snap.ingress(0).binding(), "if:vA");
  }
  ASSERT_TRUE(open_far_ends());

  constexpr int kFrames = 20;
  for (int i = 0; i < kFrames; ++i) ASSERT_TRUE(ns_.send(test_frame(i))) << "on vAp";

  std::set<int> seen;
  int other = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (int(seen.size()) < kFrames && std::chrono::steady_clock::now() < deadline) {
    std::string bytes;
    if (!ns_.next(0, bytes)) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    const int seq = marked_sequence(kMarker, bytes);
    if (seq < 0) {
      ++other;
      continue;
    }
    const auto sent = test_frame(seq);
    EXPECT_EQ(bytes, std::string(sent.begin(), sent.end())) << "frame " << seq << " changed on its way";
    EXPECT_TRUE(seen.insert(seq).second) << "frame " << seq << " came out twice";
  }
  EXPECT_EQ(int(seen.size()), kFrames) << "frames captured on vBp (others seen: " << other
                                       << "); brokerd log:\n" << daemon_.log();

  // Counters count them (no other traffic in the namespace).
  v1::CountersSnapshot snap;
  auto c = ctx();
  ASSERT_TRUE(stub->GetCounters(c.get(), {}, &snap).ok());
  EXPECT_EQ(snap.ingress(0).packets(), uint64_t(kFrames));
  EXPECT_EQ(snap.ingress(0).bytes(), uint64_t(kFrames) * 100);
  EXPECT_EQ(snap.egress(0).packets(), uint64_t(kFrames));
  EXPECT_EQ(snap.egress(0).bytes(), uint64_t(kFrames) * 100);
  ASSERT_EQ(snap.groups_size(), 1);
  EXPECT_EQ(snap.groups(0).packets(), uint64_t(kFrames));
  EXPECT_EQ(snap.data_path().unmapped_drops(), 0u);
  for (int p = 1; p < snap.egress_size(); ++p) EXPECT_EQ(snap.egress(p).packets(), 0u) << "egress " << p;
  stub.reset();
  EXPECT_TRUE(daemon_.stop());
}

}  // namespace
}  // namespace broker::testing
