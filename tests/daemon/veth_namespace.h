// A network namespace of the test's own with veth pairs in it, for brokerd's soft card on live
// interfaces: brokerd runs inside (`ip netns exec`), binds one end of each pair, and the test
// sends into and captures from the far ends. Traffic never leaves the namespace; IPv6 is off in
// it, so the interfaces carry the test's frames only.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {

// Where a system program is (/usr/sbin, /sbin, /usr/bin, /bin), or "".
std::string find_program(const std::string& name);

class VethNamespace {
 public:
  VethNamespace() = default;
  ~VethNamespace();  // closes the far ends and deletes the namespace
  VethNamespace(const VethNamespace&) = delete;
  VethNamespace& operator=(const VethNamespace&) = delete;

  // Creates the namespace and a veth pair `near`/`far` for each pair, all up. The reason it
  // cannot (not root, no `ip`, namespaces or veth not permitted) for GTEST_SKIP, or "".
  std::string create(const std::vector<std::pair<std::string, std::string>>& pairs);
  const std::string& name() const { return ns_; }
  const std::string& ip() const { return ip_; }
  // `ip netns exec NS`: the wrapper that runs brokerd inside.
  std::vector<std::string> exec_wrapper() const { return {ip_, "netns", "exec", ns_}; }

  ::testing::AssertionResult set_link(const std::string& dev, bool up);

  // Opens far ends from inside the namespace: `send_from` gets an AF_PACKET socket, each of
  // `capture_on` a non-blocking packet socket that reads what arrives (index = order given).
  ::testing::AssertionResult open_far_ends(const std::string& send_from,
                                           const std::vector<std::string>& capture_on);
  ::testing::AssertionResult send(const std::vector<uint8_t>& frame);
  // The next frame captured on capture_on[i], or false when none is waiting.
  bool next(size_t i, std::string& frame);

 private:
  std::string ip_, ns_;
  bool created_ = false;
  int tx_fd_ = -1, tx_ifindex_ = 0;
  std::vector<int> captures_;  // packet sockets
};

// A test with its own namespace (veth pairs given to set_up) and a brokerd running inside it.
// Skips with the reason where namespaces are not permitted; stops the daemon at the end.
class DaemonInNamespace : public ::testing::Test {
 protected:
  // Call from SetUp(); a skip recorded here skips the test body.
  void set_up(const std::vector<std::pair<std::string, std::string>>& pairs) {
    const std::string why = ns_.create(pairs);
    if (!why.empty()) GTEST_SKIP() << why;
  }
  ::testing::AssertionResult start_daemon() {
    DaemonProcess::StartOptions o;
    o.wrapper = ns_.exec_wrapper();
    return daemon_.start(o);
  }
  void TearDown() override {
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.stop());
    }
  }

  VethNamespace ns_;  // declared first: deleted after the daemon that runs in it has stopped
  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
};

// An Ethernet/IPv4/UDP frame of 100 bytes carrying `marker`, `#` and its sequence number;
// flow f is source 10.9.0.1, port 40000 + f, to 10.9.0.2 port 9999.
std::vector<uint8_t> marked_udp_frame(const std::string& marker, int seq, int flow);
// The sequence number of a frame carrying `marker`, or -1.
int marked_sequence(const std::string& marker, const std::string& frame);

}  // namespace broker::testing
