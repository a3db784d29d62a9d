// The gRPC API against `brokerd --card verilator`: the driver programs the co-simulated RTL
// top (AXI4-Lite transactions into the CSR block, the HLS core through DPI-C). A time-bounded
// subset of the API suite: capabilities, all-or-nothing configuration, hitless membership,
// counters and explanation.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

TEST(DaemonVerilatorCard, ConfiguresAndReadsTheSimulatedCard) {
  TempDir tmp("brokerd-verilator");
  DaemonProcess d(tmp.path());
  DaemonProcess::StartOptions o;
  o.extra_args = {"--card", "verilator"};
  o.deadline = std::chrono::seconds(30);
  ASSERT_TRUE(d.start(o));
  auto stub = d.stub();

  {
    grpc::ClientContext c;
    v1::Capabilities caps;
    ASSERT_TRUE(stub->GetCapabilities(&c, {}, &caps).ok());
    EXPECT_EQ(caps.card_kind(), "verilator");
    EXPECT_EQ(caps.data_path().id(), 0x4E504B42u) << "the ID register read over AXI4-Lite";
    EXPECT_EQ(caps.limits().buckets_per_group(), 1024u);
  }
  {
    v1::SetConfigRequest req;
    *req.mutable_config() = seed_config();
    req.mutable_config()->mutable_groups(0)->set_hash(v1::HASH_XOR16);
    req.mutable_config()->mutable_groups(0)->set_symmetric(false);
    grpc::ClientContext c;
    v1::SetConfigResponse resp;
    const grpc::Status s = stub->SetConfig(&c, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("groups[0].hash"), std::string::npos) << s.error_message();
  }
  {
    v1::SetConfigRequest req;
    *req.mutable_config() = seed_config();
    grpc::ClientContext c;
    v1::SetConfigResponse resp;
    ASSERT_TRUE(stub->SetConfig(&c, req, &resp).ok());
    EXPECT_EQ(resp.generation(), 1u);
  }
  {
    v1::GroupMemberRequest req;
    req.set_group("analyzers");
    req.set_port(4);
    grpc::ClientContext c;
    v1::GroupMemberResponse resp;
    ASSERT_TRUE(stub->AddGroupMember(&c, req, &resp).ok());
    EXPECT_GT(resp.buckets_moved(), 0u);
  }
  {
    // The members' bucket counts come back from the card's indirection tables.
    grpc::ClientContext c;
    v1::CountersSnapshot snap;
    ASSERT_TRUE(stub->GetCounters(&c, {}, &snap).ok());
    ASSERT_EQ(snap.groups_size(), 1);
    uint32_t buckets = 0;
    for (const auto& m : snap.groups(0).members()) buckets += m.buckets();
    EXPECT_EQ(buckets, 1024u);
    EXPECT_EQ(snap.groups(0).members_size(), 5);
  }
  {
    // 60-byte IPv4/UDP frame.
    std::string frame(60, '\0');
    const unsigned char head[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0, 0,
                                  64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x35, 0, 26};
    std::copy(std::begin(head), std::end(head), frame.begin());
    v1::ExplainPacketRequest req;
    req.set_frame(frame);
    req.set_ingress_port(0);
    grpc::ClientContext c;
    v1::ExplainPacketResponse resp;
    ASSERT_TRUE(stub->ExplainPacket(&c, req, &resp).ok());
    EXPECT_TRUE(resp.mapped());
    EXPECT_FALSE(resp.dropped());
    EXPECT_EQ(resp.fields().src_port(), 12345u);
  }
  stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
