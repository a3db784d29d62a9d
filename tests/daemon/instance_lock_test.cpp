// One daemon per state directory and per socket (ctest label `reliability`): a second brokerd
// started on either is refused at once, naming the running daemon's PID, and leaves the first
// one serving. Before the lock, two daemons started together on one socket could both stay up
// (one unreachable), and two with one --state-dir overwrote each other's state.
#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

void expect_refused(const std::vector<std::string>& args, const std::string& what, pid_t holder) {
  std::vector<std::string> argv = {BROKERD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv, std::chrono::seconds(20));
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(r.timed_out) << "the second daemon kept running";
  EXPECT_NE(r.err.find(what + " is in use by another brokerd (PID " + std::to_string(holder) + ";"),
            std::string::npos)
      << r.describe();
}

TEST(DaemonInstanceLock, SecondDaemonOnTheSameStateDirOrSocketIsRefusedNamingTheFirst) {
  TempDir dir;
  DaemonProcess first(dir.path() / "a");
  ASSERT_TRUE(first.start());

  // Same state directory and socket; same state directory, another socket.
  expect_refused(first.args(), "state directory " + first.state_dir().string(), first.pid());
  expect_refused(first.args("unix:" + (dir.path() / "other.sock").string()),
                 "state directory " + first.state_dir().string(), first.pid());
  // Same socket, another state directory.
  DaemonProcess other(dir.path() / "b");
  expect_refused(other.args("unix:" + first.socket_path().string()), "socket " + first.socket_path().string(),
                 first.pid());

  // The first one still serves.
  auto stub = first.stub();
  v1::Capabilities caps;
  auto c = ctx();
  EXPECT_TRUE(stub->GetCapabilities(c.get(), {}, &caps).ok());
  stub.reset();
  ASSERT_TRUE(first.stop());

  // Once it is gone (however it ended: the kernel drops the lock), the next one starts.
  DaemonProcess again(dir.path() / "a");
  ASSERT_TRUE(again.start());
  again.kill();
  DaemonProcess after_kill(dir.path() / "a");
  EXPECT_TRUE(after_kill.start()) << "a SIGKILLed daemon's lock was left behind";
  EXPECT_TRUE(after_kill.stop());
}

}  // namespace
}  // namespace broker::testing
