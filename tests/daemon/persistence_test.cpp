// What brokerd keeps across restarts, and how it refuses to start: a damaged state file, a
// card that is not there, a non-loopback listen address.
#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

v1::GetConfigResponse get_config(v1::Broker::Stub& stub) {
  v1::GetConfigResponse r;
  auto c = ctx();
  const grpc::Status s = stub.GetConfig(c.get(), {}, &r);
  EXPECT_TRUE(s.ok()) << status_text(s);
  return r;
}

// seed.conf applied, then port 4 added: generation 2.
void configure(DaemonProcess& d, v1::Config* expected) {
  auto stub = d.stub();
  v1::SetConfigRequest req;
  *req.mutable_config() = seed_config();
  v1::SetConfigResponse r;
  auto c = ctx();
  grpc::Status s = stub->SetConfig(c.get(), req, &r);
  ASSERT_TRUE(s.ok()) << status_text(s);
  v1::GroupMemberRequest m;
  m.set_group("analyzers");
  m.set_port(4);
  v1::GroupMemberResponse mr;
  auto c2 = ctx();
  s = stub->AddGroupMember(c2.get(), m, &mr);
  ASSERT_TRUE(s.ok()) << status_text(s);
  ASSERT_EQ(mr.generation(), 2u);
  *expected = seed_config();
  expected->mutable_groups(0)->add_members(4);
  std::string diff;
  ASSERT_TRUE(same_config(get_config(*stub).config(), *expected, &diff)) << diff;
}

void expect_restored(DaemonProcess& d, const v1::Config& expected) {
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  const v1::GetConfigResponse r = get_config(*stub);
  EXPECT_EQ(r.generation(), 2u);
  std::string diff;
  EXPECT_TRUE(same_config(r.config(), expected, &diff)) << diff;
  EXPECT_NE(d.log().find("event=restored generation=2"), std::string::npos) << d.log();
  // The restored configuration is live: the next change continues the generations.
  v1::GroupMemberRequest m;
  m.set_group("analyzers");
  m.set_port(4);
  v1::GroupMemberResponse mr;
  auto c = ctx();
  const grpc::Status s = stub->RemoveGroupMember(c.get(), m, &mr);
  EXPECT_TRUE(s.ok()) << status_text(s);
  EXPECT_EQ(mr.generation(), 3u);
}

TEST(DaemonPersistence, RestartAfterSigtermRestoresConfigAndGeneration) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  v1::Config expected;
  ASSERT_NO_FATAL_FAILURE(configure(d, &expected));
  ASSERT_TRUE(d.stop());
  ASSERT_NO_FATAL_FAILURE(expect_restored(d, expected));
  EXPECT_TRUE(d.stop());
}

TEST(DaemonPersistence, RestartAfterSigkillRestoresConfigAndGeneration) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  v1::Config expected;
  ASSERT_NO_FATAL_FAILURE(configure(d, &expected));
  d.kill();
  ASSERT_NO_FATAL_FAILURE(expect_restored(d, expected));
  EXPECT_TRUE(d.stop());
}

TEST(DaemonPersistence, FreshStateDirStartsEmpty) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  const v1::GetConfigResponse r = get_config(*stub);
  EXPECT_EQ(r.generation(), 0u);
  EXPECT_EQ(r.config().groups_size(), 0);
  EXPECT_TRUE(d.stop());
  EXPECT_FALSE(fs::exists(d.state_file())) << "nothing applied, nothing saved";
}

// A state file damaged by `damage`: brokerd refuses to start, names the file, says what is
// wrong, and leaves the file exactly as it was.
void expect_refused_damaged_state(const std::function<void(std::string&)>& damage) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  v1::Config expected;
  ASSERT_NO_FATAL_FAILURE(configure(d, &expected));
  ASSERT_TRUE(d.stop());

  std::string bytes = read_file(d.state_file());
  ASSERT_GT(bytes.size(), 100u);
  damage(bytes);
  write_file(d.state_file(), bytes);

  const ProcessResult r = run_process([&] {
    std::vector<std::string> argv{BROKERD_PATH};
    for (auto& a : d.args()) argv.push_back(a);
    return argv;
  }(), 15s);
  EXPECT_FALSE(r.timed_out) << "brokerd started on a damaged state file\n" << r.describe();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_GT(r.exit_code, 0) << "a clean refusal, not a crash\n" << r.describe();
  EXPECT_LT(r.seconds, 10.0) << r.describe();
  const std::string all = r.out + r.err;
  EXPECT_NE(r.err.find(d.state_file().string()), std::string::npos)
      << "standard error should name the state file\n" << r.describe();
  EXPECT_TRUE(all.find("damaged") != std::string::npos || all.find("truncated") != std::string::npos)
      << r.describe();
  EXPECT_EQ(read_file(d.state_file()), bytes) << "the damaged state file was changed";
  EXPECT_FALSE(fs::exists(d.socket_path())) << "a refused start left a socket";
}

TEST(DaemonPersistence, FlippedByteInStateFileIsRefused) {
  expect_refused_damaged_state([](std::string& b) { b[b.size() / 2] ^= 0x20; });
}

TEST(DaemonPersistence, TruncatedStateFileIsRefused) {
  expect_refused_damaged_state([](std::string& b) { b.resize(b.size() / 2); });
}

TEST(DaemonPersistence, XrtCardAbsentIsRefusedInPlainWords) {
  TempDir dir;
  DaemonProcess d(dir.path());
  std::vector<std::string> argv{BROKERD_PATH, "--card", "xrt"};
  for (auto& a : d.args()) argv.push_back(a);
  const ProcessResult r = run_process(argv, 20s);
  EXPECT_FALSE(r.timed_out) << r.describe();
  EXPECT_GT(r.exit_code, 0) << "a clean refusal (exit code > 0), not a crash or a start\n" << r.describe();
  EXPECT_LT(r.seconds, 10.0) << "refusing takes long\n" << r.describe();
  EXPECT_NE(r.err.find("brokerd: "), std::string::npos) << r.describe();
  EXPECT_EQ(r.err.find("terminate called"), std::string::npos) << r.describe();
  EXPECT_EQ(r.err.find("Aborted"), std::string::npos) << r.describe();
  // Plain words: a sentence about the card, not only an error number.
  const std::string& e = r.err;
  EXPECT_TRUE(e.find("card") != std::string::npos || e.find("Alveo") != std::string::npos ||
              e.find("XRT") != std::string::npos || e.find("xrt") != std::string::npos)
      << r.describe();
  std::error_code ec;
  const bool empty = !fs::exists(d.state_dir()) || fs::is_empty(d.state_dir(), ec);
  EXPECT_TRUE(empty) << "brokerd wrote into its state dir although it did not start";
  EXPECT_FALSE(fs::exists(d.socket_path()));
}

TEST(DaemonPersistence, NonLoopbackListenNeedsExplicitFlag) {
  TempDir dir;
  DaemonProcess d(dir.path());
  std::vector<std::string> argv{BROKERD_PATH};
  for (auto& a : d.args("0.0.0.0:0")) argv.push_back(a);
  const ProcessResult r = run_process(argv, 15s);
  EXPECT_FALSE(r.timed_out) << "brokerd listened on 0.0.0.0 without --allow-insecure-remote\n" << r.describe();
  EXPECT_GT(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("--allow-insecure-remote"), std::string::npos) << r.describe();
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(d.state_dir()) || fs::is_empty(d.state_dir(), ec));
}

}  // namespace
}  // namespace broker::testing
