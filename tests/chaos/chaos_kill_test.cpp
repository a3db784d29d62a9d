// SIGKILL at random points of SetConfig: after a restart the configuration is exactly the
// old one or the new one, never torn, and a change the daemon confirmed is never lost.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::Config variant(int k) {
  v1::Config c = seed_config();
  c.set_name(fmt::format("variant-{}", k));
  auto* g = c.mutable_groups(0);
  g->clear_members();
  for (int m = 0; m < 2 + k % 6; ++m) g->add_members(uint32_t((k + m) % 16));
  return c;
}

TEST(ChaosKill, SigkillDuringSetConfigNeverTearsTheConfiguration) {
  TempDir tmp("brokerd-chaos-kill");
  DaemonProcess d(tmp.path());
  ASSERT_TRUE(d.start());
  v1::Config confirmed;  // what the daemon last confirmed as applied
  {
    v1::SetConfigRequest req;
    *req.mutable_config() = confirmed = variant(0);
    grpc::ClientContext c;
    v1::SetConfigResponse resp;
    ASSERT_TRUE(d.stub()->SetConfig(&c, req, &resp).ok());
  }

  std::mt19937 rng(2026);
  int kept_old = 0, took_new = 0;
  const int kRounds = 30;
  for (int round = 1; round <= kRounds; ++round) {
    const v1::Config next = variant(round);
    grpc::Status status;
    auto stub = d.stub();
    std::thread client([&] {
      v1::SetConfigRequest req;
      *req.mutable_config() = next;
      grpc::ClientContext c;
      c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::SetConfigResponse resp;
      status = stub->SetConfig(&c, req, &resp);
    });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 4000));
    d.kill();
    client.join();
    stub.reset();

    ASSERT_TRUE(d.start()) << "round " << round << ": the daemon must restart from its state";
    v1::GetConfigResponse now;
    grpc::ClientContext c;
    ASSERT_TRUE(d.stub()->GetConfig(&c, {}, &now).ok());
    const bool is_old = MessageDifferencer::Equals(now.config(), confirmed);
    const bool is_new = MessageDifferencer::Equals(now.config(), next);
    ASSERT_TRUE(is_old || is_new) << "round " << round << ": torn configuration after SIGKILL:\n"
                                  << now.config().DebugString();
    if (status.ok())
      ASSERT_TRUE(is_new) << "round " << round << ": SetConfig was confirmed, then lost by the crash";
    is_new ? ++took_new : ++kept_old;
    confirmed = now.config();
  }
  fmt::print("[ chaos ] {} SIGKILLs during SetConfig: {} kept the old configuration, {} had the new one, "
             "none torn\n", kRounds, kept_old, took_new);
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
