// What a caller can take from brokerd (ctest label `reliability`), through the real daemon.
// Found: 1,100 StreamCounters on the read-only socket (mode 0666, any local user) exhausted
// 1,024 file descriptors, after which the daemon never accepted another connection on either
// socket; 1,000 streams cost 1,015 threads; one validate-only SetConfig with 4,000,000
// members peaked at 1.29 GB and held the global lock for 5.9 s. Now each socket caps its
// connections, streams and threads (endpoint_limits.h), requests are bounded, oversized lists
// are refused before anything is built, and the open file limit is checked at start.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

// A number from /proc/PID/status ("Threads:", "VmHWM:" in kB), or -1.
long proc_status(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}

long open_fds(pid_t pid) {
  long n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
  return n;
}

std::unique_ptr<v1::Broker::Stub> stub_at(const std::string& target) {
  grpc::ChannelArguments a;
  a.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return v1::Broker::NewStub(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), a));
}

TEST(ResourceLimits, AStreamFloodOnTheReadOnlySocketNeitherStarvesTheAdminSocketNorKillsAccepting) {
  if (!fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "prlimit (util-linux) not found";
  TempDir dir("brokerd-flood");
  ::chmod(dir.path().c_str(), 0711);  // an unprivileged flooder reaches the sockets, nothing else
  const fs::path ro = dir / "ro.sock";
  DaemonProcess d(dir.path());
  DaemonProcess::StartOptions o;
  o.wrapper = {"/usr/bin/prlimit", "--nofile=512:512"};  // brokerd's floor, half systemd's default
  o.extra_args = {"--listen-read-only", "unix:" + ro.string()};
  ASSERT_TRUE(d.start(o));
  auto ro_stub = stub_at("unix:" + ro.string());
  auto ro_answers = [&] {
    for (int i = 0; i < 100; ++i) {
      v1::Capabilities caps;
      auto cx = ctx(2s);
      if (ro_stub->GetCapabilities(cx.get(), {}, &caps).ok()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  ASSERT_TRUE(ro_answers()) << "the read-only socket does not answer";
  ro_stub.reset();

  std::vector<std::string> flood = {"/usr/bin/python3", STREAM_FLOOD_PY, "--target", "unix:" + ro.string(),
                                    "--connections", "300", "--hold", "6"};
  std::string as = "root";
  if (::geteuid() == 0 && fs::exists("/usr/bin/setpriv")) {
    flood.insert(flood.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    as = "nobody";
  }
  ProcessResult flooded;
  std::thread flooder([&] {
    flooded = run_process(flood, 90s, {"PYTHONPATH=" BROKER_PYTHON_DIR});
    if (flooded.exit_code == 3 && as == "nobody") {  // the stubs are not readable by nobody here
      flood.erase(flood.begin(), flood.begin() + 4);
      as = "the test's user (nobody cannot read the stubs)";
      flooded = run_process(flood, 90s, {"PYTHONPATH=" BROKER_PYTHON_DIR});
    }
  });

  // Meanwhile the admin socket serves: reads, a change, a stream of its own.
  std::this_thread::sleep_for(3s);
  auto admin = d.stub();
  const auto t0 = std::chrono::steady_clock::now();
  const v1::CountersSnapshot snap = get_counters(*admin);
  const auto read_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_GT(snap.ingress_size(), 0);
  EXPECT_TRUE(apply_config(*admin, seed_config()));
  {
    v1::StreamCountersRequest req;
    req.set_interval_ms(20);
    req.set_count(2);
    auto cx = ctx(10s);
    auto reader = admin->StreamCounters(cx.get(), req);
    v1::CountersSnapshot s;
    int got = 0;
    while (reader->Read(&s)) ++got;
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(got, 2);
  }
  const long fds = open_fds(d.pid()), threads = proc_status(d.pid(), "Threads");
  EXPECT_LT(fds, 400) << "file descriptors";
  EXPECT_LT(threads, 160) << "threads";

  flooder.join();
  ASSERT_EQ(flooded.exit_code, 0) << flooded.describe();
  const std::smatch m = [&] {
    std::smatch x;
    std::regex_search(flooded.out, x, std::regex(R"("running": (\d+))"));
    return x;
  }();
  ASSERT_FALSE(m.empty()) << flooded.describe();
  const int running = std::stoi(m[1]);
  EXPECT_LE(running, 8) << "more streams than the read-only endpoint's cap";
  EXPECT_NE(flooded.out.find("UNAVAILABLE"), std::string::npos) << "no connection was refused: " << flooded.out;

  // Afterwards both sockets take new connections (gRPC's own listener would have stopped).
  ro_stub = stub_at("unix:" + ro.string());
  EXPECT_TRUE(ro_answers()) << "the read-only socket no longer accepts";
  EXPECT_GT(get_counters(*stub_at(d.target())).ingress_size(), 0) << "the admin socket no longer accepts";
  EXPECT_NE(d.log().find("event=connection_refused"), std::string::npos) << d.log();
  std::printf("[ figures  ] 300 connections each opening StreamCounters on the read-only socket as %s, under "
              "a 512-descriptor limit: %d streams ran, the others ended %s; meanwhile the admin socket "
              "answered GetCounters in %lld ms, applied a configuration and streamed; brokerd held %ld "
              "descriptors and %ld threads\n",
              as.c_str(), running,
              flooded.out.substr(flooded.out.find("\"ended\""), flooded.out.rfind('}') - flooded.out.find("\"ended\"")).c_str(),
              (long long)read_ms.count(), fds, threads);
  admin.reset();
  ro_stub.reset();
  EXPECT_TRUE(d.stop());
}

TEST(ResourceLimits, TheOpenFileLimitIsRaisedOrTheStartRefused) {
  if (!fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "prlimit (util-linux) not found";
  TempDir dir("brokerd-nofile");
  DaemonProcess d(dir.path());
  std::vector<std::string> argv = {"/usr/bin/prlimit", "--nofile=256:256", BROKERD_PATH};
  for (const auto& a : d.args()) argv.push_back(a);
  const ProcessResult r = run_process(argv, 10s);
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("brokerd needs at least 512"), std::string::npos) << r.describe();

  DaemonProcess::StartOptions o;
  o.wrapper = {"/usr/bin/prlimit", "--nofile=1024:4096"};
  ASSERT_TRUE(d.start(o));
  const std::string limits = read_file("/proc/" + std::to_string(d.pid()) + "/limits");
  EXPECT_TRUE(std::regex_search(limits, std::regex(R"(Max open files\s+4096\s+4096)"))) << limits;
  EXPECT_TRUE(d.stop());
}

TEST(ResourceLimits, HugeListsAreRefusedCheaplyAndWithoutHoldingUpReads) {
  TempDir dir("brokerd-huge");
  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
  const long hwm_before = proc_status(d.pid(), "VmHWM");

  // 4,000,000 members: ~12 MB on the wire, refused by the request size limit unparsed.
  v1::SetConfigRequest huge;
  *huge.mutable_config() = seed_config();
  for (int i = 0; i < 4'000'000; ++i) huge.mutable_config()->mutable_groups(0)->add_members(uint32_t(i % 16));
  huge.set_validate_only(true);
  v1::SetConfigResponse resp;
  auto t0 = std::chrono::steady_clock::now();
  {
    auto cx = ctx(30s);
    const grpc::Status s = stub->SetConfig(cx.get(), huge, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status_text(s);
  }
  const auto huge_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);

  // 60,000 members fit in a request: one error for the list, none per entry.
  v1::SetConfigRequest big;
  *big.mutable_config() = seed_config();
  for (int i = 0; i < 60'000; ++i) big.mutable_config()->mutable_groups(0)->add_members(uint32_t(i % 16));
  big.set_validate_only(true);
  std::atomic<bool> validating{true};
  std::atomic<long> slowest_read_ms{0};
  std::thread reader([&] {  // reads during the validation never wait for it
    auto own = stub_at(d.target());
    while (validating) {
      const auto r0 = std::chrono::steady_clock::now();
      get_counters(*own);
      const long ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - r0).count());
      if (ms > slowest_read_ms) slowest_read_ms = ms;
    }
  });
  t0 = std::chrono::steady_clock::now();
  grpc::Status s;
  for (int i = 0; i < 20; ++i) {
    auto cx = ctx(30s);
    s = stub->SetConfig(cx.get(), big, &resp);
  }
  const auto big_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0) / 20;
  validating = false;
  reader.join();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status_text(s);
  EXPECT_NE(s.error_message().find("members, but a group has at most 16"), std::string::npos)
      << s.error_message();
  EXPECT_EQ(s.error_message().find("groups[0].members[1]"), std::string::npos) << "entries were checked one by one";
  const long hwm_after = proc_status(d.pid(), "VmHWM");
  EXPECT_LT(hwm_after - hwm_before, 64 * 1024) << "peak memory grew by " << (hwm_after - hwm_before) << " kB";
  std::printf("[ figures  ] validate-only SetConfig: 4,000,000 members refused in %lld ms (request size), 60,000 "
              "members refused in %lld ms each; peak memory %ld -> %ld kB; slowest GetCounters meanwhile %ld ms\n",
              (long long)huge_ms.count(), (long long)big_ms.count(), hwm_before, hwm_after, slowest_read_ms.load());
  stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
