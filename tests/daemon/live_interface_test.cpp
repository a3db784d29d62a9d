// brokerd's soft card on live Linux interfaces: two veth pairs in a network namespace of
// their own (traffic never leaves it). Frames sent into one pair's far end reach brokerd's
// ingress interface, leave through its egress interface, and are captured at that pair's
// far end:
//
//   test --AF_PACKET--> vAp ==veth== vA (ingress 0) -> brokerd -> vB (egress 0) ==veth== vBp --libpcap--> test
//
// Skips where the machine does not permit it (not root, no `ip netns`, no veth).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    const fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

constexpr const char* kMarker = "brokerd-live-test";

// An IPv4/UDP frame of 100 bytes carrying kMarker and its sequence number.
std::vector<uint8_t> test_frame(int seq) {
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
  const uint16_t sport = uint16_t(40000 + seq), dport = 9999, udp_len = uint16_t(ip_len - 20);
  udp[0] = uint8_t(sport >> 8), udp[1] = uint8_t(sport);
  udp[2] = uint8_t(dport >> 8), udp[3] = uint8_t(dport);
  udp[4] = uint8_t(udp_len >> 8), udp[5] = uint8_t(udp_len);
  const std::string payload = std::string(kMarker) + "#" + std::to_string(seq);
  std::memcpy(udp + 8, payload.data(), payload.size());
  return f;
}

class DaemonLiveInterface : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (veth pairs in a network namespace); running as uid " << ::geteuid();
    ip_ = find_program("ip");
    if (ip_.empty()) GTEST_SKIP() << "no `ip` program (iproute2) found";
    std::random_device rd;
    ns_ = "brkt-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
    ProcessResult r = run_process({ip_, "netns", "add", ns_}, 20s);
    if (r.exit_code != 0) GTEST_SKIP() << "`ip netns add` is not permitted here: " << r.err << r.out;
    ns_created_ = true;
    // No IPv6 in the namespace: no router solicitations or DAD frames on the veths, so the
    // counters see our frames only.
    run_process({ip_, "netns", "exec", ns_, "/bin/sh", "-c",
                 "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; "
                 "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"},
                20s);
    for (const auto& [a, b] : {std::pair{"vA", "vAp"}, std::pair{"vB", "vBp"}}) {
      r = run_process({ip_, "-n", ns_, "link", "add", a, "type", "veth", "peer", "name", b}, 20s);
      if (r.exit_code != 0) GTEST_SKIP() << "veth creation failed: " << r.err << r.out;
    }
    for (const char* dev : {"vA", "vAp", "vB", "vBp"}) {
      r = run_process({ip_, "-n", ns_, "link", "set", dev, "up"}, 20s);
      ASSERT_EQ(r.exit_code, 0) << "ip link set " << dev << " up: " << r.describe();
    }
  }

  void TearDown() override {
    if (daemon_.running()) {
      EXPECT_TRUE(daemon_.stop());
    }
    if (pcap_) pcap_close(pcap_);
    if (tx_fd_ >= 0) ::close(tx_fd_);
    if (ns_created_) {
      const ProcessResult r = run_process({ip_, "netns", "del", ns_}, 20s);
      EXPECT_EQ(r.exit_code, 0) << "ip netns del " << ns_ << ": " << r.describe();
    }
  }

  // Opens the test's own ends (vAp to send, vBp to capture) from inside the namespace. A
  // thread of its own enters it, so no other thread of this process changes namespace.
  ::testing::AssertionResult open_far_ends() {
    std::string error;
    std::thread t([&] {
      const int target = ::open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
      if (target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
        error = std::string("setns: ") + std::strerror(errno);
        if (target >= 0) ::close(target);
        return;
      }
      ::close(target);
      tx_ifindex_ = int(if_nametoindex("vAp"));
      tx_fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
      if (tx_fd_ < 0 || tx_ifindex_ == 0) {
        error = std::string("AF_PACKET socket on vAp: ") + std::strerror(errno);
        return;
      }
      char err[PCAP_ERRBUF_SIZE] = {};
      pcap_ = pcap_create("vBp", err);
      if (!pcap_) {
        error = err;
        return;
      }
      pcap_set_snaplen(pcap_, 65535);
      pcap_set_immediate_mode(pcap_, 1);
      pcap_set_timeout(pcap_, 10);
      if (pcap_activate(pcap_) < 0) {
        error = std::string("pcap on vBp: ") + pcap_geterr(pcap_);
        return;
      }
      pcap_setdirection(pcap_, PCAP_D_IN);
      pcap_setnonblock(pcap_, 1, err);
      // The thread ends here, still in the namespace; its sockets stay bound to it.
    });
    t.join();
    if (!error.empty()) return ::testing::AssertionFailure() << error;
    return ::testing::AssertionSuccess();
  }

  std::string ip_;
  std::string ns_;
  bool ns_created_ = false;
  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
  int tx_fd_ = -1;
  int tx_ifindex_ = 0;
  pcap_t* pcap_ = nullptr;
};

TEST_F(DaemonLiveInterface, FramesFlowFromIngressInterfaceToEgressInterface) {
  DaemonProcess::StartOptions o;
  o.wrapper = {ip_, "netns", "exec", ns_};
  ASSERT_TRUE(daemon_.start(o));
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
  for (int i = 0; i < kFrames; ++i) {
    const auto f = test_frame(i);
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = tx_ifindex_;
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, f.data(), 6);
    const ssize_t n = ::sendto(tx_fd_, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ASSERT_EQ(n, ssize_t(f.size())) << "sendto on vAp: " << std::strerror(errno);
  }

  std::set<int> seen;
  int other = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (int(seen.size()) < kFrames && std::chrono::steady_clock::now() < deadline) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap_, &h, &data);
    ASSERT_GE(rc, 0) << pcap_geterr(pcap_);
    if (rc == 0) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    const std::string bytes(reinterpret_cast<const char*>(data), h->caplen);
    const size_t at = bytes.find(kMarker);
    if (at == std::string::npos) {
      ++other;
      continue;
    }
    const int seq = std::stoi(bytes.substr(at + std::strlen(kMarker) + 1));
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
