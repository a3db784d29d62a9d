// Congestion through the soft card (ctest label `congestion`): brokerd with one tool port
// written to a capture file and another to an interface that does not take frames (a tool
// that does not read). The blocked port's queue fills and then drops whole frames, counted in
// its TX_DROPS; the other port and the forwarding go on; once the interface takes frames
// again, what was kept comes out whole and in order. Skips where network namespaces are not
// permitted.
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"
#include "veth_namespace.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kFrames = 10000;
constexpr uint32_t kLen = 1000;  // 10 MB to each port: more than a port's queue (4 MiB) and the pipe

void write_capture(const fs::path& path, uint8_t flow) {
  io::PcapSink sink(path.string());
  for (uint32_t i = 0; i < kFrames; ++i) {
    const auto f = numbered_udp_frame(flow, i, kLen);
    sink.write(uint64_t(i) * 1000, f.data(), uint32_t(f.size()));
  }
  sink.close();
}

// Tool port 2 is a veth end whose queueing discipline holds what it is given (a token bucket
// at 8 kbit/s with room for far more than the broker sends): the kernel stops taking frames
// once the socket's send buffer is held there, so brokerd's writer blocks as on a tool that
// does not read. Raising the rate later lets what was kept out to the far end.
class SoftCongestion : public DaemonInNamespace {
 protected:
  void SetUp() override { set_up({{"tool2", "tool2-far"}}); }
  ::testing::AssertionResult tbf(const char* verb, const char* rate) {
    const ProcessResult r = run_process({ns_.ip(), "netns", "exec", ns_.name(), find_program("tc"), "qdisc", verb,
                                         "dev", "tool2", "root", "tbf", "rate", rate, "burst", "16kb", "limit",
                                         "64mb"},
                                        20s);
    if (r.exit_code != 0) return ::testing::AssertionFailure() << "tc qdisc " << verb << ": " << r.describe();
    return ::testing::AssertionSuccess();
  }
};

TEST_F(SoftCongestion, AToolPortThatBlocksDropsItsOwnFramesWholeAndHoldsNothingElse) {
  if (find_program("tc").empty()) GTEST_SKIP() << "tc (iproute2) not found";
  const fs::path& dir = dir_.path();
  write_capture(dir / "in0.pcap", 1);
  write_capture(dir / "in1.pcap", 2);
  ASSERT_TRUE(tbf("add", "8kbit"));
  ASSERT_TRUE(ns_.open_far_ends("tool2-far", {"tool2-far"}));

  v1::Config config;
  config.set_name("congestion");
  for (uint32_t p = 0; p < 2; ++p) {
    auto* in = config.add_ingress_ports();
    in->set_port(p);
    in->mutable_binding()->set_pcap_file(fmt::format("in{}.pcap", p));
  }
  auto* file_port = config.add_egress_ports();
  file_port->set_port(1);
  file_port->mutable_binding()->set_pcap_file("tool1.pcap");
  auto* slow_port = config.add_egress_ports();
  slow_port->set_port(2);
  slow_port->mutable_binding()->set_interface("tool2");
  for (uint32_t g = 0; g < 2; ++g) {
    auto* grp = config.add_groups();
    grp->set_name(fmt::format("g{}", g));
    grp->add_ingress_ports(g);
    grp->add_members(g + 1);
    grp->set_hash(v1::HASH_CRC32);
    grp->set_symmetric(true);
    grp->add_tuple(v1::SRC_IP);
    grp->add_tuple(v1::DST_IP);
    grp->set_mode(v1::MODE_STATIC);
  }

  ASSERT_TRUE(start_daemon());
  auto stub = daemon_.stub();
  ASSERT_TRUE(apply_config(*stub, config));
  v1::CountersSnapshot snap;
  ASSERT_TRUE(wait_bindings_done(*stub, std::chrono::seconds(60), &snap));
  const auto& tool1 = snap.egress(1);
  const auto& tool2 = snap.egress(2);
  EXPECT_EQ(tool1.packets(), kFrames);
  EXPECT_EQ(tool1.drops(), 0u) << "the port that kept up dropped frames";
  EXPECT_EQ(tool2.packets(), kFrames) << "TX packets count what the core sent to the queue";
  EXPECT_GT(tool2.drops(), 0u) << "the blocked port's queue never filled";
  EXPECT_LT(tool2.drops(), kFrames);
  EXPECT_EQ(count_pcap_frames(dir / "tool1.pcap"), kFrames) << "the other port lost frames";

  // Now the tool reads: what was kept arrives whole and in order.
  ASSERT_TRUE(tbf("change", "20mbit"));
  const uint64_t kept = kFrames - tool2.drops();
  std::vector<std::string> got;
  const auto until = std::chrono::steady_clock::now() + 60s;
  for (auto quiet = std::chrono::steady_clock::now(); std::chrono::steady_clock::now() < until;) {
    std::string f;
    if (ns_.next(0, f)) {
      if (f.size() == kLen && uint8_t(f[11]) == 2) got.push_back(f);  // flow 2: tool port 2's
      quiet = std::chrono::steady_clock::now();
    } else if (got.size() >= kept && std::chrono::steady_clock::now() - quiet > 1s) {
      break;
    } else {
      std::this_thread::sleep_for(1ms);
    }
  }
  ASSERT_EQ(got.size(), kept);
  uint32_t prev = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t seq = 0;
    std::memcpy(&seq, got[i].data() + 42, 4);
    if (i > 0) ASSERT_GT(seq, prev) << "frame " << i << " out of order";
    prev = seq;
  }
  std::printf("[ figures  ] soft card, %u frames of %u bytes to each of two tool ports: the file port "
              "delivered %llu (0 dropped); the blocked port kept %llu and dropped %llu whole (TX_DROPS)\n",
              kFrames, kLen, (unsigned long long)tool1.packets(), (unsigned long long)kept,
              (unsigned long long)tool2.drops());
  stub.reset();
}

}  // namespace
}  // namespace broker::testing
