// Integration-test fixture: the real brokerd process (fork/exec) in its own temporary
// directory (state dir, Unix socket, log files), reached over its real socket through the
// generated gRPC stubs. No mocks. Also: running any program to completion with its output
// captured (brokerctl, broker-replay, brokerd that must refuse to start).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "broker/v1/broker.grpc.pb.h"
#include "broker/v1/config.pb.h"

namespace broker::testing {

using namespace std::chrono_literals;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction
// unless BROKER_KEEP_TEST_DIRS is set (then its path is printed for inspection).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "brokerd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;      // the exit status; -N when killed by signal N
  bool timed_out = false;  // killed by us after the timeout
  std::string out;         // standard output
  std::string err;         // standard error
  double seconds = 0;      // wall time until it ended
  std::string describe() const;  // for failure messages
};

// Runs argv[0] (a path) with argv, the environment plus `env` ("NAME=value"; "NAME=" with
// nothing after it unsets NAME), standard input from /dev/null, output captured; kills it
// after `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s,
                          const std::vector<std::string>& env = {});

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& data);

// One brokerd. Its files live in `dir`: state/ (--state-dir), brokerd.sock (--listen),
// brokerd-N.log (standard output and error of the N-th start). `dir` is also its
// --capture-dir: bindings name files in it (the state dir inside stays out of their reach).
class DaemonProcess {
 public:
  explicit DaemonProcess(std::filesystem::path dir);
  ~DaemonProcess();  // SIGKILLs a daemon still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  struct StartOptions {
    std::string listen;                    // empty: unix:<dir>/brokerd.sock
    std::vector<std::string> extra_args;   // e.g. {"--log-level", "debug"}
    std::vector<std::string> wrapper;      // runs `wrapper... brokerd ...` (ip netns exec NS)
    std::chrono::milliseconds deadline = 10s;  // until GetCapabilities answers
  };
  // Starts brokerd and waits until GetCapabilities answers over its socket. Fails (with
  // the log) when it exits first or does not answer in time. Restarting after stop() or
  // kill() reuses the same state dir.
  ::testing::AssertionResult start(const StartOptions& options);
  ::testing::AssertionResult start() { return start(StartOptions{}); }
  // SIGTERM; then brokerd must exit 0 within 10 s and a Unix socket must be gone.
  ::testing::AssertionResult stop();
  // SIGKILL (a crash): no clean-up by brokerd.
  void kill();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path state_dir() const { return dir_ / "state"; }
  std::filesystem::path state_file() const { return state_dir() / "state.txtpb"; }
  std::filesystem::path socket_path() const { return dir_ / "brokerd.sock"; }
  const std::filesystem::path& capture_dir() const { return dir_; }
  std::filesystem::path log_path() const { return log_path_; }
  std::string log() const;  // of the current (or last) start
  // "unix:/…/brokerd.sock", or "127.0.0.1:PORT" after a TCP start on port 0.
  const std::string& target() const { return target_; }

  std::shared_ptr<grpc::Channel> channel() const;
  std::unique_ptr<v1::Broker::Stub> stub() const;

  // brokerd's argv for this directory (without the binary), e.g. for runs expected to fail.
  std::vector<std::string> args(const std::string& listen = "") const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  std::string target_;
  std::string listen_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

// ---- helpers shared by the suites ----

// examples/seed.conf through broker_config's load_config_file.
v1::Config seed_config();
std::string config_text(const v1::Config& config);  // Protobuf text format
bool same_config(const v1::Config& a, const v1::Config& b, std::string* diff = nullptr);

// A context with a deadline (every test call has one, so a hung daemon fails, not hangs).
std::unique_ptr<grpc::ClientContext> ctx(std::chrono::milliseconds deadline = 10s);

// GetCounters; a failed call is a test failure (and an empty snapshot).
v1::CountersSnapshot get_counters(v1::Broker::Stub& stub);

// SetConfig with `config`; fails with the status when brokerd refuses it.
::testing::AssertionResult apply_config(v1::Broker::Stub& stub, const v1::Config& config);

// Polls GetCounters until every bound ingress port is BINDING_DONE. Fails on BINDING_FAILED
// or on timeout; `last` gets the final snapshot.
::testing::AssertionResult wait_bindings_done(v1::Broker::Stub& stub, std::chrono::milliseconds timeout,
                                              v1::CountersSnapshot* last = nullptr);

uint64_t count_pcap_frames(const std::filesystem::path& path);

// SetConfig (validate_only or not) with a 5 s deadline, returning the status as it is.
grpc::Status set_config(v1::Broker::Stub& stub, const v1::Config& config, bool validate_only = false,
                        v1::SetConfigResponse* response = nullptr);

// Ethernet/IPv4/UDP of `len` bytes (at least 46) from 10.0.0.`flow` to 10.0.1.1, source MAC
// ending in `flow`, its sequence number `seq` at offset 42.
std::vector<uint8_t> numbered_udp_frame(uint8_t flow, uint32_t seq, uint32_t len);

inline std::string status_text(const grpc::Status& s) {
  return "code " + std::to_string(int(s.error_code())) + ": " + s.error_message();
}

}  // namespace broker::testing
