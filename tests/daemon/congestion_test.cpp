// Congestion through the soft card (ctest label `congestion`): brokerd with one tool port
// written to a capture file and another to a pipe that nobody reads. The blocked port's queue
// fills and then drops whole frames, counted in its TX_DROPS; the other port and the forwarding
// go on; once the pipe is read, what was kept comes out whole and in order.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "pcap_source.h"

namespace broker::testing {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kFrames = 10000;
constexpr uint32_t kLen = 1000;  // 10 MB to each port: more than a port's queue (4 MiB) and the pipe

// Ethernet / IPv4 / UDP of kLen bytes from flow `flow`; the sequence number in the payload.
std::vector<uint8_t> frame(uint8_t flow, uint32_t seq) {
  std::vector<uint8_t> f(kLen, 0x5A);
  const uint8_t hdr[] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, flow, 0x08, 0x00,
                         0x45, 0, uint8_t((kLen - 14) >> 8), uint8_t(kLen - 14), 0, 0, 0, 0, 64, 17, 0, 0,
                         10, 0, 0, flow, 10, 0, 1, 1, 0x9C, 0x40, 0x00, 0x35,
                         uint8_t((kLen - 34) >> 8), uint8_t(kLen - 34), 0, 0};
  std::memcpy(f.data(), hdr, sizeof hdr);
  std::memcpy(f.data() + 42, &seq, 4);
  return f;
}

void write_capture(const fs::path& path, uint8_t flow) {
  io::PcapSink sink(path.string());
  for (uint32_t i = 0; i < kFrames; ++i) {
    const auto f = frame(flow, i);
    sink.write(uint64_t(i) * 1000, f.data(), uint32_t(f.size()));
  }
  sink.close();
}

// Reads a pcap stream from a non-blocking fd until `frames` records arrived (or `timeout`).
std::vector<std::vector<uint8_t>> read_pipe_frames(int fd, uint64_t frames, std::chrono::seconds timeout) {
  std::string buf;
  std::vector<std::vector<uint8_t>> out;
  size_t at = 24;  // after the file header
  const auto until = std::chrono::steady_clock::now() + timeout;
  char chunk[65536];
  while (out.size() < frames && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) continue;
    buf.append(chunk, size_t(n));
    while (buf.size() >= at + 16) {
      uint32_t caplen = 0;
      std::memcpy(&caplen, buf.data() + at + 8, 4);
      if (buf.size() < at + 16 + caplen) break;
      out.emplace_back(buf.begin() + long(at + 16), buf.begin() + long(at + 16 + caplen));
      at += 16 + caplen;
    }
  }
  return out;
}

TEST(SoftCongestion, AToolPortThatBlocksDropsItsOwnFramesWholeAndHoldsNothingElse) {
  TempDir dir("brokerd-congestion");
  write_capture(dir / "in0.pcap", 1);
  write_capture(dir / "in1.pcap", 2);
  const fs::path pipe = dir / "tool2.pipe";
  ASSERT_EQ(mkfifo(pipe.c_str(), 0600), 0) << std::strerror(errno);
  // The reader end is open (so brokerd's open does not wait) but nobody reads yet.
  const int fd = open(pipe.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);

  v1::Config config;
  config.set_name("congestion");
  for (uint32_t p = 0; p < 2; ++p) {
    auto* in = config.add_ingress_ports();
    in->set_port(p);
    in->mutable_binding()->set_pcap_file((dir / fmt::format("in{}.pcap", p)).string());
  }
  auto* file_port = config.add_egress_ports();
  file_port->set_port(1);
  file_port->mutable_binding()->set_pcap_file((dir / "tool1.pcap").string());
  auto* pipe_port = config.add_egress_ports();
  pipe_port->set_port(2);
  pipe_port->mutable_binding()->set_pcap_file(pipe.string());
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

  DaemonProcess d(dir.path());
  ASSERT_TRUE(d.start());
  auto stub = d.stub();
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
  const uint64_t kept = kFrames - tool2.drops();
  const auto got = read_pipe_frames(fd, kept, std::chrono::seconds(30));
  close(fd);
  ASSERT_EQ(got.size(), kept);
  uint32_t prev = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), kLen) << "frame " << i << " truncated";
    uint32_t seq = 0;
    std::memcpy(&seq, got[i].data() + 42, 4);
    if (i > 0) ASSERT_GT(seq, prev) << "frame " << i << " out of order";
    prev = seq;
  }
  std::printf("[ figures  ] soft card, %u frames of %u bytes to each of two tool ports: the file port "
              "delivered %llu (0 dropped); the blocked pipe port kept %llu and dropped %llu whole (TX_DROPS)\n",
              kFrames, kLen, (unsigned long long)tool1.packets(), (unsigned long long)kept,
              (unsigned long long)tool2.drops());
  stub.reset();
  EXPECT_TRUE(d.stop());
}

}  // namespace
}  // namespace broker::testing
