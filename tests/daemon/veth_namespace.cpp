#include "veth_namespace.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "daemon_process.h"

namespace broker::testing {

namespace fs = std::filesystem;

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    const fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

VethNamespace::~VethNamespace() {
  for (int fd : captures_) ::close(fd);
  if (tx_fd_ >= 0) ::close(tx_fd_);
  if (created_) {
    const ProcessResult r = run_process({ip_, "netns", "del", ns_}, 20s);
    EXPECT_EQ(r.exit_code, 0) << "ip netns del " << ns_ << ": " << r.describe();
  }
}

std::string VethNamespace::create(const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (::geteuid() != 0) return "needs root (veth pairs in a network namespace); running as uid " + std::to_string(::geteuid());
  ip_ = find_program("ip");
  if (ip_.empty()) return "no `ip` program (iproute2) found";
  std::random_device rd;
  ns_ = "brkt-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
  ProcessResult r = run_process({ip_, "netns", "add", ns_}, 20s);
  if (r.exit_code != 0) return "`ip netns add` is not permitted here: " + r.err + r.out;
  created_ = true;
  run_process({ip_, "netns", "exec", ns_, "/bin/sh", "-c",
               "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; "
               "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"},
              20s);
  for (const auto& [near, far] : pairs) {
    r = run_process({ip_, "-n", ns_, "link", "add", near, "type", "veth", "peer", "name", far}, 20s);
    if (r.exit_code != 0) return "veth creation failed: " + r.err + r.out;
    for (const std::string& dev : {near, far})
      if (!set_link(dev, true)) return "ip link set " + dev + " up failed";
  }
  return "";
}

::testing::AssertionResult VethNamespace::set_link(const std::string& dev, bool up) {
  const ProcessResult r = run_process({ip_, "-n", ns_, "link", "set", dev, up ? "up" : "down"}, 20s);
  if (r.exit_code != 0) return ::testing::AssertionFailure() << "ip link set " << dev << ": " << r.describe();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult VethNamespace::open_far_ends(const std::string& send_from,
                                                        const std::vector<std::string>& capture_on) {
  std::string error;
  // A thread of its own enters the namespace, so no other thread of this process changes
  // namespace; the sockets stay bound to it after the thread ends.
  std::thread t([&] {
    const int target = ::open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      error = std::string("setns: ") + std::strerror(errno);
      if (target >= 0) ::close(target);
      return;
    }
    ::close(target);
    tx_ifindex_ = int(if_nametoindex(send_from.c_str()));
    tx_fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (tx_fd_ < 0 || tx_ifindex_ == 0) {
      error = "AF_PACKET socket on " + send_from + ": " + std::strerror(errno);
      return;
    }
    // Plain packet sockets (no ring whose blocks are handed over late): every inbound frame
    // is there to read as soon as the kernel has it.
    for (const std::string& dev : capture_on) {
      const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
      sockaddr_ll at{};
      at.sll_family = AF_PACKET;
      at.sll_protocol = htons(ETH_P_ALL);
      at.sll_ifindex = int(if_nametoindex(dev.c_str()));
      if (fd < 0 || at.sll_ifindex == 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
        error = "packet socket on " + dev + ": " + std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return;
      }
      int size = 8 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      captures_.push_back(fd);
    }
  });
  t.join();
  if (!error.empty()) return ::testing::AssertionFailure() << error;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult VethNamespace::send(const std::vector<uint8_t>& f) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = tx_ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, f.data(), 6);
  const ssize_t n = ::sendto(tx_fd_, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (n != ssize_t(f.size())) return ::testing::AssertionFailure() << "sendto: " << std::strerror(errno);
  return ::testing::AssertionSuccess();
}

bool VethNamespace::next(size_t i, std::string& frame) {
  char buf[65536];
  for (;;) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(captures_.at(i), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return false;  // nothing waiting (EAGAIN), or the interface is gone
    if (from.sll_pkttype == PACKET_OUTGOING) continue;  // only what arrives
    frame.assign(buf, size_t(n));
    return true;
  }
}

std::vector<uint8_t> marked_udp_frame(const std::string& marker, int seq, int flow) {
  std::vector<uint8_t> f(100, 0);
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], src, 6);
  f[12] = 0x08, f[13] = 0x00;
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  const uint16_t ip_len = uint16_t(f.size() - 14);
  ip[2] = uint8_t(ip_len >> 8), ip[3] = uint8_t(ip_len);
  ip[8] = 64, ip[9] = 17;
  const uint8_t sip[4] = {10, 9, 0, 1}, dip[4] = {10, 9, 0, 2};
  std::memcpy(ip + 12, sip, 4);
  std::memcpy(ip + 16, dip, 4);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t csum = uint16_t(~sum);
  ip[10] = uint8_t(csum >> 8), ip[11] = uint8_t(csum);
  uint8_t* udp = ip + 20;
  const uint16_t sport = uint16_t(40000 + flow), dport = 9999, udp_len = uint16_t(ip_len - 20);
  udp[0] = uint8_t(sport >> 8), udp[1] = uint8_t(sport);
  udp[2] = uint8_t(dport >> 8), udp[3] = uint8_t(dport);
  udp[4] = uint8_t(udp_len >> 8), udp[5] = uint8_t(udp_len);
  const std::string payload = marker + "#" + std::to_string(seq);
  std::memcpy(udp + 8, payload.data(), std::min(payload.size(), size_t(udp_len - 8)));
  return f;
}

int marked_sequence(const std::string& marker, const std::string& frame) {
  const size_t at = frame.find(marker + "#");
  if (at == std::string::npos) return -1;
  return std::stoi(frame.substr(at + marker.size() + 1));
}

}  // namespace broker::testing
