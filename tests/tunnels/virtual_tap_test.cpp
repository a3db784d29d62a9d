// Tunnel termination on the project's own example traffic (no shared captures needed):
// broker-gen-traffic's measurement points as hypervisor software TAPs (GRE, ERSPAN II, ERSPAN III,
// VXLAN) against the same traffic as physical TAPs see it. With termination on, every wrapped
// frame is decided exactly as its plain twin (same key, hash and tool port) and leaves as it,
// byte for byte; the counters say every frame was terminated and the bytes counted in are the
// wrapped ones.
#include <gtest/gtest.h>

#include <cstring>

#include "config_loader.h"
#include "driver.h"
#include "soft_card.h"
#include "traffic_gen.h"

namespace broker {
namespace {

using tools::VirtualTap;

v1::Config config() {
  return config::parse_config_text(R"(
name: "virtual-taps"
ingress_ports { port: 0 terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN] tunnel_address: "192.0.2.1" }
ingress_ports { port: 1 terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN] tunnel_address: "192.0.2.1" }
ingress_ports { port: 2 terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN] tunnel_address: "192.0.2.1" }
ingress_ports { port: 3 terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN] tunnel_address: "192.0.2.1" }
groups { name: "tools" ingress_ports: [0, 1, 2, 3] members: [0, 1, 2, 3] hash: HASH_CRC32 symmetric: true
         tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] }
)");
}

class VirtualTaps : public ::testing::TestWithParam<VirtualTap> {};

TEST_P(VirtualTaps, WrappedFramesDecidedAndDeliveredAsTheirPlainTwins) {
  tools::TrafficOptions o;
  o.seed = 12;
  o.points = 4;
  o.sessions = 400;
  const tools::Traffic plain = tools::generate_traffic(o);
  o.virtual_tap = GetParam();
  const tools::Traffic wrapped = tools::generate_traffic(o);
  ASSERT_EQ(plain.frames.size(), wrapped.frames.size());

  cards::SoftCard plain_card, tap_card;
  driver::Driver plain_drv(plain_card), tap_drv(tap_card);
  plain_drv.apply(config());
  tap_drv.apply(config());
  const uint8_t kinds[] = {0, core::kTunGre, core::kTunErspan2, core::kTunErspan3, core::kTunVxlan};
  uint64_t in_bytes = 0;
  for (size_t i = 0; i < plain.frames.size(); ++i) {
    const auto& p = plain.frames[i];
    const auto& w = wrapped.frames[i];
    ASSERT_EQ(p.point, w.point);
    const core::FrameResult a = plain_card.forward(p.point, p.ts_ns, p.bytes.data(), uint32_t(p.bytes.size()));
    const core::FrameResult& b = tap_card.forward(w.point, w.ts_ns, w.bytes.data(), uint32_t(w.bytes.size()));
    in_bytes += w.bytes.size();
    ASSERT_EQ(b.term.verdict, core::kTunTerminated) << "frame " << i;
    ASSERT_EQ(b.fields.tunnel, kinds[size_t(GetParam())]) << "frame " << i;
    EXPECT_EQ(b.fields.tunnel_src[15], 10 + p.point) << "frame " << i;
    ASSERT_EQ(0, std::memcmp(a.key, b.key, core::kKeyBytes)) << "frame " << i;
    ASSERT_EQ(a.decision.hash, b.decision.hash) << "frame " << i;
    ASSERT_EQ(a.decision.out_port, b.decision.out_port) << "frame " << i;
    ASSERT_EQ(tap_card.delivered(), p.bytes) << "frame " << i;
  }
  const auto c = tap_drv.counters();
  uint64_t terminated = 0, bytes = 0, passed = 0;
  for (int port = 0; port < 4; ++port) {
    terminated += c.rx[size_t(port)].tunnel_terminated;
    passed += c.rx[size_t(port)].tunnel_passed;
    bytes += c.rx[size_t(port)].bytes;
  }
  EXPECT_EQ(terminated, plain.frames.size());
  EXPECT_EQ(passed, 0u);
  EXPECT_EQ(bytes, in_bytes);
  std::printf("[ figures  ] %s: %zu frames of %u sessions, every one terminated and decided as its plain twin\n",
              GetParam() == VirtualTap::kGre       ? "gre"
              : GetParam() == VirtualTap::kErspan2 ? "erspan2"
              : GetParam() == VirtualTap::kErspan3 ? "erspan3"
                                                   : "vxlan",
              plain.frames.size(), o.sessions);
}

INSTANTIATE_TEST_SUITE_P(Tunnels, VirtualTaps,
                         ::testing::Values(VirtualTap::kGre, VirtualTap::kErspan2, VirtualTap::kErspan3,
                                           VirtualTap::kVxlan),
                         [](const auto& info) {
                           switch (info.param) {
                             case VirtualTap::kGre: return std::string("Gre");
                             case VirtualTap::kErspan2: return std::string("Erspan2");
                             case VirtualTap::kErspan3: return std::string("Erspan3");
                             default: return std::string("Vxlan");
                           }
                         });

}  // namespace
}  // namespace broker
