// Tunnel origination through the real driver and the soft card's shell (the native encap
// kernel): every frame a tunnel tool port delivers is, byte for byte, the outer header this
// test builds from the configuration and RFC 2784/2890 and the ERSPAN draft, then the frame the
// same port delivers without a tunnel (cut to slice_bytes). A second soft card that terminates
// GRE and ERSPAN gets the frame back unchanged from the wrapped one. Refusals name the field.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "config_loader.h"
#include "config_validator.h"
#include "driver.h"
#include "soft_card.h"
#include "traffic_gen.h"

namespace broker {
namespace {

struct Shape {
  const char* name;
  const char* tunnel;     // the EgressTunnel of tool port 0, text format
  bool v6;
  int kind;               // 0 GRE, 1 GRE with key, 2 ERSPAN II, 3 ERSPAN III
  uint32_t key, slice;
  uint8_t dscp, ttl;
};

const Shape kShapes[] = {
    {"GreIpv4", R"(type: TUNNEL_GRE src_ip: "198.51.100.1" dst_ip: "198.51.100.2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02")",
     false, 0, 0, 0, 0, 64},
    {"GreKeyIpv6", R"(type: TUNNEL_GRE src_ip: "2001:db8::1" dst_ip: "2001:db8::2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 77 dscp: 46 ttl: 9)",
     true, 1, 77, 0, 46, 9},
    {"Erspan2Ipv4Sliced", R"(type: TUNNEL_ERSPAN erspan_version: 2 src_ip: "198.51.100.1" dst_ip: "198.51.100.2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 1000 slice_bytes: 128 dscp: 10 ttl: 200)",
     false, 2, 1000, 128, 10, 200},
    {"Erspan3Ipv6", R"(type: TUNNEL_ERSPAN erspan_version: 3 src_ip: "2001:db8::1" dst_ip: "2001:db8::2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 5)",
     true, 3, 5, 0, 0, 64},
};

std::string group_config(const std::string& tunnel, const std::string& terminate = "") {
  return R"(
name: "origination"
ingress_ports { port: 0 )" + terminate + R"( }
ingress_ports { port: 1 )" + terminate + R"( }
egress_ports { port: 0 name: "remote" )" + (tunnel.empty() ? "" : "tunnel { " + tunnel + " }") + R"( }
egress_ports { port: 1 name: "local" }
groups { name: "tools" ingress_ports: [0, 1] members: [0, 1] hash: HASH_CRC32 symmetric: true
         tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] }
)";
}

uint16_t be16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t be32(const std::vector<uint8_t>& b, size_t at) { return uint32_t(be16(b, at)) << 16 | be16(b, at + 2); }

// The outer header's length and its fields, checked as a receiver reads them.
size_t check_outer(const Shape& s, const std::vector<uint8_t>& w, size_t inner_len, bool cut, uint32_t seq,
                   uint64_t now_us) {
  const uint8_t dmac[6] = {2, 0, 0, 0, 0, 2}, smac[6] = {2, 0, 0, 0, 0, 1};
  EXPECT_EQ(0, std::memcmp(w.data(), dmac, 6));
  EXPECT_EQ(0, std::memcmp(w.data() + 6, smac, 6));
  size_t g;
  if (!s.v6) {
    EXPECT_EQ(be16(w, 12), 0x0800);
    EXPECT_EQ(w[14], 0x45);
    EXPECT_EQ(w[15], s.dscp << 2);
    EXPECT_EQ(be16(w, 16), w.size() - 14);       // total length
    EXPECT_EQ(be16(w, 20), 0x4000);              // DF, offset 0
    EXPECT_EQ(w[22], s.ttl);
    EXPECT_EQ(w[23], 47);
    uint32_t sum = 0;                            // RFC 1071: the header sums to 0xFFFF
    for (size_t i = 14; i < 34; i += 2) sum += be16(w, i);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    EXPECT_EQ(sum, 0xFFFFu);
    EXPECT_EQ(be32(w, 26), 0xC6336401u);         // 198.51.100.1
    EXPECT_EQ(be32(w, 30), 0xC6336402u);
    g = 34;
  } else {
    EXPECT_EQ(be16(w, 12), 0x86DD);
    EXPECT_EQ(w[14] >> 4, 6);
    EXPECT_EQ(((w[14] & 0xF) << 4 | w[15] >> 4), s.dscp << 2);
    EXPECT_EQ(be16(w, 18), w.size() - 54);       // payload length
    EXPECT_EQ(w[20], 47);
    EXPECT_EQ(w[21], s.ttl);
    in6_addr a{};
    inet_pton(AF_INET6, "2001:db8::1", &a);
    EXPECT_EQ(0, std::memcmp(w.data() + 22, &a, 16));
    inet_pton(AF_INET6, "2001:db8::2", &a);
    EXPECT_EQ(0, std::memcmp(w.data() + 38, &a, 16));
    g = 54;
  }
  switch (s.kind) {
    case 0:
      EXPECT_EQ(be16(w, g), 0x0000);
      EXPECT_EQ(be16(w, g + 2), 0x6558);
      return g + 4;
    case 1:
      EXPECT_EQ(be16(w, g), 0x2000);
      EXPECT_EQ(be16(w, g + 2), 0x6558);
      EXPECT_EQ(be32(w, g + 4), s.key);
      return g + 8;
    default: {
      EXPECT_EQ(be16(w, g), 0x1000);
      EXPECT_EQ(be16(w, g + 2), s.kind == 2 ? 0x88BE : 0x22EB);
      EXPECT_EQ(be32(w, g + 4), seq);
      const size_t e = g + 8;
      EXPECT_EQ(w[e] >> 4, s.kind == 2 ? 1 : 2);           // version
      EXPECT_EQ((be16(w, e + 2) & 0x3FF), s.key);          // session ID
      EXPECT_EQ((w[e + 2] >> 2 & 1) != 0, cut);            // T: truncated
      if (s.kind == 2) return e + 8;
      EXPECT_EQ(be32(w, e + 4), uint32_t(now_us * 10));    // 100 ns units
      EXPECT_EQ(w[e + 11] >> 1 & 3, 1);                    // granularity 01
      (void)inner_len;
      return e + 12;
    }
  }
}

class Origination : public ::testing::TestWithParam<Shape> {};

TEST_P(Origination, WrappedFramesAreTheHeaderThenThePlainFrame) {
  const Shape& s = GetParam();
  tools::TrafficOptions o;
  o.seed = 21;
  o.points = 2;
  o.sessions = 300;
  const tools::Traffic t = tools::generate_traffic(o);

  cards::SoftCard plain_card, tunnel_card, far_card;
  driver::Driver plain_drv(plain_card), tunnel_drv(tunnel_card), far_drv(far_card);
  plain_drv.apply(config::parse_config_text(group_config("")));
  tunnel_drv.apply(config::parse_config_text(group_config(s.tunnel)));
  // The remote analyzer's side: terminates what port 0 sends.
  far_drv.apply(config::parse_config_text(group_config("", "terminate: [TUNNEL_GRE, TUNNEL_ERSPAN]")));

  uint32_t seq = 0;
  size_t wrapped = 0, cut = 0, wire_bytes = 0, plain_bytes = 0;
  for (size_t i = 0; i < t.frames.size(); ++i) {
    const auto& f = t.frames[i];
    const core::FrameResult a = plain_card.forward(f.point, f.ts_ns, f.bytes.data(), uint32_t(f.bytes.size()));
    const std::vector<uint8_t> plain = plain_card.delivered();
    const core::FrameResult& b = tunnel_card.forward(f.point, f.ts_ns, f.bytes.data(), uint32_t(f.bytes.size()));
    ASSERT_EQ(a.decision.out_port, b.decision.out_port) << "frame " << i;
    const std::vector<uint8_t> wire = tunnel_card.delivered();
    if (b.decision.out_port != 0) {
      ASSERT_EQ(wire, plain) << "frame " << i << ": a plain tool port leaves frames as they are";
      continue;
    }
    ++wrapped;
    const size_t inner = s.slice != 0 && plain.size() > s.slice ? s.slice : plain.size();
    cut += inner < plain.size();
    const size_t h = check_outer(s, wire, inner, inner < plain.size(), seq, f.ts_ns / 1000);
    if (::testing::Test::HasFailure()) FAIL() << "frame " << i << " of " << wire.size() << " bytes";
    if (s.kind >= 2) ++seq;
    ASSERT_EQ(wire.size(), h + inner) << "frame " << i;
    ASSERT_TRUE(std::equal(plain.begin(), plain.begin() + long(inner), wire.begin() + long(h))) << "frame " << i;
    wire_bytes += wire.size();
    plain_bytes += plain.size();
    // Round trip: the broker at the other end terminates it and delivers the frame again.
    const core::FrameResult& r = far_card.forward(0, f.ts_ns, wire.data(), uint32_t(wire.size()));
    ASSERT_EQ(r.term.verdict, core::kTunTerminated) << "frame " << i;
    const std::vector<uint8_t>& back = far_card.delivered();
    ASSERT_EQ(back.size(), inner) << "frame " << i;
    ASSERT_TRUE(std::equal(back.begin(), back.end(), plain.begin())) << "frame " << i;
  }
  EXPECT_GT(wrapped, 100u);
  if (s.slice != 0) EXPECT_GT(cut, 0u);
  // The TX counters count frames as the core delivered them.
  const auto c = tunnel_drv.counters();
  EXPECT_EQ(c.tx[0].packets, wrapped);
  std::printf("[ figures  ] %s: %zu of %zu frames wrapped (%zu cut), %zu bytes on the wire for %zu delivered (%.3fx)\n",
              s.name, wrapped, t.frames.size(), cut, wire_bytes, plain_bytes, double(wire_bytes) / double(plain_bytes));
}

INSTANTIATE_TEST_SUITE_P(Tunnels, Origination, ::testing::ValuesIn(kShapes),
                         [](const auto& info) { return std::string(info.param.name); });

// Utilization counts what the wire carries: the wrapped frames.
TEST(OriginationMeter, UtilizationCountsTheWrappedBytes) {
  cards::SoftCard card;
  driver::Driver drv(card);
  drv.apply(config::parse_config_text(R"(
name: "meter"
utilization_window_us: 1000
ingress_ports { port: 0 }
egress_ports { port: 0 speed_mbps: 1000 tunnel { type: TUNNEL_GRE src_ip: "198.51.100.1" dst_ip: "198.51.100.2"
                                                 src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" } }
groups { name: "g" ingress_ports: [0] members: [0] hash: HASH_CRC32 tuple: [SRC_IP] }
)"));
  // 100 frames of 62 bytes in one 1 ms window at 1 Gb/s, each wrapped in 38 bytes of header
  // and counted with its 20 bytes of preamble and gap: 12,000 of the window's 125,000 bytes,
  // 9.60 % (the frames unwrapped would be 6.56 %).
  std::vector<uint8_t> frame(62, 0);
  frame[12] = 0x08;
  frame[13] = 0x00;
  for (int i = 0; i < 100; ++i) card.forward(0, 1'000'000 + uint64_t(i) * 1000, frame.data(), uint32_t(frame.size()));
  card.forward(0, 2'000'500, frame.data(), uint32_t(frame.size()));  // closes the window
  const auto c = drv.counters();
  EXPECT_EQ(c.tx[0].util_bp, 960u);
}

TEST(OriginationConfig, RefusalsNameTheField) {
  const auto refused = [](const std::string& tunnel) {
    const auto r = config::validate(config::parse_config_text(group_config(tunnel)));
    std::string all;
    for (const auto& e : r.errors) all += e.field + ": " + e.message + "\n";
    return all;
  };
  const std::string macs = R"( src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02")";
  EXPECT_NE(refused(R"(type: TUNNEL_VXLAN src_ip: "192.0.2.1" dst_ip: "192.0.2.2")" + macs)
                .find("egress_ports[0].tunnel.type"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_ERSPAN erspan_version: 1 src_ip: "192.0.2.1" dst_ip: "192.0.2.2")" + macs)
                .find("egress_ports[0].tunnel.erspan_version"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_ERSPAN erspan_version: 2 key: 1024 src_ip: "192.0.2.1" dst_ip: "192.0.2.2")" + macs)
                .find("egress_ports[0].tunnel.key"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "2001:db8::2")" + macs)
                .find("egress_ports[0].tunnel.dst_ip"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.300" dst_ip: "192.0.2.2")" + macs)
                .find("egress_ports[0].tunnel.src_ip"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "192.0.2.2" src_mac: "02:00:00:00:00:01")")
                .find("egress_ports[0].tunnel.dst_mac"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "192.0.2.2" dscp: 64)" + macs)
                .find("egress_ports[0].tunnel.dscp"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "192.0.2.2" ttl: 256)" + macs)
                .find("egress_ports[0].tunnel.ttl"), std::string::npos);
  EXPECT_NE(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "192.0.2.2" slice_bytes: 63)" + macs)
                .find("egress_ports[0].tunnel.slice_bytes"), std::string::npos);
  EXPECT_EQ(refused(R"(type: TUNNEL_GRE src_ip: "192.0.2.1" dst_ip: "192.0.2.2" slice_bytes: 64)" + macs), "");
}

}  // namespace
}  // namespace broker
