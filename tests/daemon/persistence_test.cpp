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
  EXPECT_TRUE(fs::exists(fs::symlink_status(d.socket_path()))) << "a killed brokerd cannot remove its socket";
  ASSERT_NO_FATAL_FAILURE(expect_restored(d, expected));  // over the stale socket
  EXPECT_TRUE(d.stop());
}

// Not persisted means not applied: when the state file cannot be written, the change is
// refused and the previous configuration stays in force.
TEST(DaemonPersistence, ChangeThatCannotBeSavedIsNotApplied) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  v1::Config expected;
  ASSERT_NO_FATAL_FAILURE(configure(d, &expected));
  const std::string saved = read_file(d.state_file());
  // A directory where brokerd writes its temporary state file: open() fails even for root.
  const fs::path tmp = d.state_file().string() + ".tmp";
  fs::create_directories(tmp);

  auto stub = d.stub();
  v1::SetConfigRequest req;
  *req.mutable_config() = seed_config();
  req.mutable_config()->set_name("unsavable");
  v1::SetConfigResponse r;
  auto c = ctx();
  grpc::Status s = stub->SetConfig(c.get(), req, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << status_text(s);
  v1::GroupMemberRequest m;
  m.set_group("analyzers");
  m.set_port(7);
  v1::GroupMemberResponse mr;
  auto c2 = ctx();
  s = stub->AddGroupMember(c2.get(), m, &mr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << status_text(s);

  const v1::GetConfigResponse now = get_config(*stub);
  EXPECT_EQ(now.generation(), 2u);
  std::string diff;
  EXPECT_TRUE(same_config(now.config(), expected, &diff)) << diff;
  EXPECT_EQ(read_file(d.state_file()), saved);

  fs::remove_all(tmp);
  auto c3 = ctx();
  s = stub->AddGroupMember(c3.get(), m, &mr);
  EXPECT_TRUE(s.ok()) << "saving works again: " << status_text(s);
  EXPECT_EQ(mr.generation(), 3u);
  stub.reset();
  EXPECT_TRUE(d.stop());
}

// Two daemons must not share one address: the second must refuse to start and the first
// must keep serving.
TEST(DaemonPersistence, SecondDaemonOnTheSameUnixSocketIsRefused) {
  TempDir dir;
  DaemonProcess first(dir / "first");
  ASSERT_TRUE(first.start());
  std::vector<std::string> argv{BROKERD_PATH, "--state-dir", (dir / "second-state").string(), "--listen",
                                first.target()};
  const ProcessResult second = run_process(argv, 4s);
  EXPECT_FALSE(second.timed_out)
      << "BUG: a second brokerd started on " << first.target() << " while the first was serving there: "
      << "brokerd_main.cpp unlinks the socket path before binding (\"a socket left by a previous run\") "
      << "without checking that nobody listens on it, so it takes the address over\n" << second.describe();
  EXPECT_GT(second.exit_code, 0) << second.describe();

  // The first daemon is still reachable where it was.
  EXPECT_TRUE(fs::exists(fs::symlink_status(first.socket_path())))
      << "BUG: the first brokerd's socket file is gone (removed by the second brokerd); the first daemon "
         "runs on but no client can reach it any more";
  auto stub = first.stub();
  v1::Capabilities caps;
  auto c = ctx(3s);
  const grpc::Status s = stub->GetCapabilities(c.get(), {}, &caps);
  EXPECT_TRUE(s.ok()) << "the first brokerd no longer answers on " << first.target() << ": " << status_text(s);
  stub.reset();
  first.kill();
}

TEST(DaemonPersistence, SecondDaemonOnTheSameTcpPortIsRefused) {
  TempDir dir;
  DaemonProcess first(dir / "first");
  DaemonProcess::StartOptions o;
  o.listen = "127.0.0.1:0";
  ASSERT_TRUE(first.start(o));
  std::vector<std::string> argv{BROKERD_PATH, "--state-dir", (dir / "second-state").string(), "--listen",
                                first.target()};
  const ProcessResult second = run_process(argv, 4s);
  EXPECT_FALSE(second.timed_out)
      << "BUG: a second brokerd started on " << first.target() << " while the first listens there: gRPC "
      << "binds with SO_REUSEPORT by default (brokerd_main.cpp does not set GRPC_ARG_ALLOW_REUSEPORT to 0), "
      << "so the kernel splits connections between two daemons with different configurations\n"
      << second.describe();
  EXPECT_GT(second.exit_code, 0) << second.describe();
  first.kill();
}

TEST(DaemonPersistence, FreshStateDirStartsEmpty) {
  TempDir dir;
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  const v1::GetConfigResponse r = get_config(*stub);
  EXPECT_EQ(r.generation(), 0u);
  EXPECT_EQ(r.config().groups_size(), 0);
  stub.reset();
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

class DaemonXrtAbsent : public ::testing::TestWithParam<bool> {};

// On this machine there is no Alveo card: with or without an xclbin, brokerd --card xrt
// must refuse at once, in plain words, without touching its state dir.
TEST_P(DaemonXrtAbsent, RefusedInPlainWords) {
  const bool with_xclbin = GetParam();
  TempDir dir;
  DaemonProcess d(dir / "d");
  std::vector<std::string> argv{BROKERD_PATH, "--card", "xrt"};
  if (with_xclbin) {
    write_file(dir / "broker.xclbin", "not really an xclbin");
    argv.push_back("--xclbin");
    argv.push_back((dir / "broker.xclbin").string());
  }
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
  if (with_xclbin) {
    EXPECT_NE(e.find("card"), std::string::npos) << "should say that there is no card\n" << r.describe();
  } else {
    EXPECT_NE(e.find("xclbin"), std::string::npos) << "should say that an xclbin is needed\n" << r.describe();
  }
  // Nothing but the instance lock (taken before the card is opened) is in the state dir.
  std::vector<std::string> written;
  std::error_code ec;
  if (fs::exists(d.state_dir()))
    for (const auto& e : fs::directory_iterator(d.state_dir(), ec))
      if (e.path().filename() != "brokerd.lock") written.push_back(e.path().filename().string());
  EXPECT_TRUE(written.empty()) << "brokerd wrote into its state dir although it did not start: " << written.front();
  EXPECT_FALSE(fs::exists(d.socket_path()));
}
INSTANTIATE_TEST_SUITE_P(Xclbin, DaemonXrtAbsent, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return std::string(i.param ? "WithXclbin" : "WithoutXclbin");
                         });

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
