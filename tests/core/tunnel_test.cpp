// Tunnel termination in the core (tunnel_parse, decap, DESIGN.md "Virtual TAPs"): frames in
// GRE, ERSPAN I/II/III and VXLAN, over IPv4 and IPv6, with outer tags and IP options, leave as
// their inner frames byte for byte, for every inner length around the beat boundaries; the
// parsed fields are the inner frame's; the counters say what happened; every other frame
// passes as it came. The expected bytes come from the test's own wrapping (the golden model):
// the core never sees them.
#include <gtest/gtest.h>

#include <functional>

#include "core_test_util.h"

namespace broker::coretest {
namespace {

namespace rm = broker::regmap;

const uint8_t kMacA[6] = {0x02, 0, 0, 0, 0, 0xA1}, kMacB[6] = {0x02, 0, 0, 0, 0, 0xB2};
const uint8_t kTapV4[4] = {192, 0, 2, 7}, kBrokerV4[4] = {192, 0, 2, 1}, kOtherV4[4] = {192, 0, 2, 9};
const uint8_t kTapV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07};
const uint8_t kBrokerV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const uint8_t kInSrc[4] = {10, 1, 0, 1}, kInDst[4] = {10, 2, 0, 2};

constexpr uint32_t kTermGre = 1, kTermErspan = 2, kTermVxlan = 4;

// The inner frame: Ethernet, IPv4, UDP, with `n` bytes in all (n >= 14: only Ethernet when
// the rest does not fit an IP header).
Bytes inner_frame(size_t n, uint8_t seed) {
  Bytes f = eth(kMacB, kMacA, n >= 42 ? 0x0800 : 0x88B5);
  if (n >= 42) app(f, ipv4(kInSrc, kInDst, 17, seed, udp(1000 + seed, 2000, payload(n - 42, seed))));
  else app(f, payload(n - 14, seed));
  return f;
}

Bytes vlan_eth(uint16_t ethertype, int tags) {
  Bytes b(kMacA, kMacA + 6);
  b.insert(b.end(), kMacB, kMacB + 6);
  for (int t = 0; t < tags; ++t) {
    app16(b, t == 0 ? 0x88A8 : 0x8100);
    app16(b, uint16_t(100 + t));
  }
  app16(b, ethertype);
  return b;
}

// IPv4 with `opt_words` 4-byte words of options (NOPs).
Bytes ipv4_opts(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const Bytes& payload_bytes,
                int opt_words, uint16_t frag_field = 0) {
  Bytes b = ipv4(src, dst, proto, 7, {}, frag_field);
  b[0] = uint8_t(0x40 | (5 + opt_words));
  b.insert(b.end(), size_t(4 * opt_words), uint8_t(1));
  put16(b, 2, uint16_t(b.size() + payload_bytes.size()));
  put16(b, 10, 0);
  put16(b, 10, ip_checksum(b.data(), int(b.size())));
  app(b, payload_bytes);
  return b;
}

Bytes gre(bool c, bool k, bool s, uint16_t proto, uint32_t key, uint16_t version = 0) {
  Bytes b;
  app16(b, uint16_t((c ? 0x8000 : 0) | (k ? 0x2000 : 0) | (s ? 0x1000 : 0) | version));
  app16(b, proto);
  if (c) app32(b, 0);
  if (k) app32(b, key);
  if (s) app32(b, 0x00001234);
  return b;
}

Bytes erspan2(uint16_t session) {
  Bytes b;
  app32(b, (1u << 28) | (5u << 16) | session);
  app32(b, 77);  // index
  return b;
}

Bytes erspan3(uint16_t session, bool o, uint8_t ft = 0) {
  Bytes b;
  app32(b, (2u << 28) | (5u << 16) | session);
  app32(b, 0xABCDEF01);                                  // timestamp
  app32(b, (uint32_t(ft) << 10) | (o ? 1u : 0u));        // SGT 0, P 0, FT, HW ID 0, D 0, Gra 0, O
  if (o) app(b, Bytes(8, 0x5A));                         // platform-specific subheader
  return b;
}

Bytes vxlan(uint32_t vni, bool i_flag = true) {
  Bytes b = {uint8_t(i_flag ? 0x08 : 0x00), 0, 0, 0};
  app32(b, vni << 8);
  return b;
}

struct Wrapping {
  const char* name;
  std::function<Bytes(const Bytes& inner)> wrap;
  uint8_t kind;      // TunnelKind
  uint32_t id;
  int src_version;
  bool l3;           // the inner IP packet is the payload (the inner frame's Ethernet header is not sent)
};

std::vector<Wrapping> wrappings() {
  auto v4 = [](int tags, int opts, uint8_t proto, std::function<Bytes(const Bytes&)> payload_of) {
    return [=](const Bytes& inner) {
      Bytes f = vlan_eth(0x0800, tags);
      app(f, ipv4_opts(kTapV4, kBrokerV4, proto, payload_of(inner), opts));
      return f;
    };
  };
  auto v6 = [](uint8_t next, std::function<Bytes(const Bytes&)> payload_of) {
    return [=](const Bytes& inner) {
      Bytes f = vlan_eth(0x86DD, 0);
      app(f, ipv6(kTapV6, kBrokerV6, next, payload_of(inner)));
      return f;
    };
  };
  auto cat = [](Bytes a, const Bytes& b) { app(a, b); return a; };
  auto l3 = [](const Bytes& inner) { return Bytes(inner.begin() + 14, inner.end()); };
  return {
      {"gre_teb_v4", v4(0, 0, 47, [=](const Bytes& in) { return cat(gre(0, 0, 0, 0x6558, 0), in); }), kTunGre, 0, 4, false},
      {"gre_teb_key_v4", v4(0, 0, 47, [=](const Bytes& in) { return cat(gre(0, 1, 0, 0x6558, 0xCAFE), in); }), kTunGre, 0xCAFE, 4, false},
      {"gre_teb_csum_key_seq_v4_tags_opts",
       v4(2, 3, 47, [=](const Bytes& in) { return cat(gre(1, 1, 1, 0x6558, 42), in); }), kTunGre, 42, 4, false},
      {"gre_ipv4_payload_key", v4(0, 0, 47, [=](const Bytes& in) { return cat(gre(0, 1, 0, 0x0800, 9), l3(in)); }),
       kTunGre, 9, 4, true},
      {"gre_ipv4_payload_v6", v6(47, [=](const Bytes& in) { return cat(gre(0, 0, 0, 0x0800, 0), l3(in)); }),
       kTunGre, 0, 6, true},
      {"erspan1_v4", v4(0, 0, 47, [=](const Bytes& in) { return cat(gre(0, 0, 0, 0x88BE, 0), in); }), kTunErspan1, 0, 4, false},
      {"erspan2_v4", v4(1, 0, 47, [=](const Bytes& in) { return cat(cat(gre(0, 0, 1, 0x88BE, 0), erspan2(301)), in); }),
       kTunErspan2, 301, 4, false},
      {"erspan3_v4", v4(0, 0, 47, [=](const Bytes& in) { return cat(cat(gre(0, 0, 1, 0x22EB, 0), erspan3(1023, false)), in); }),
       kTunErspan3, 1023, 4, false},
      {"erspan3_subheader_v6", v6(47, [=](const Bytes& in) { return cat(cat(gre(0, 0, 1, 0x22EB, 0), erspan3(5, true)), in); }),
       kTunErspan3, 5, 6, false},
      {"vxlan_v4", v4(0, 0, 17, [=](const Bytes& in) { return udp(49152, 4789, cat(vxlan(0x123456), in)); }),
       kTunVxlan, 0x123456, 4, false},
      {"vxlan_v6", v6(17, [=](const Bytes& in) { return udp(49152, 4789, cat(vxlan(7), in)); }), kTunVxlan, 7, 6, false},
      // The longest chain terminated: 4 tags, 40 bytes of IPv4 options, GRE with checksum, key
      // and sequence, ERSPAN III with its subheader: 126 bytes of outer headers.
      {"longest_outer", v4(4, 10, 47, [=](const Bytes& in) { return cat(cat(gre(1, 1, 1, 0x22EB, 3), erspan3(3, true)), in); }),
       kTunErspan3, 3, 4, false},
  };
}

// What the core must deliver: the inner frame; for an IP payload of GRE, under an Ethernet
// header with zero MACs.
Bytes expected_out(const Bytes& inner, bool l3) {
  if (!l3) return inner;
  Bytes out(12, 0);
  app16(out, uint16_t(inner[12] << 8 | inner[13]));
  out.insert(out.end(), inner.begin() + 14, inner.end());
  return out;
}

class TunnelCore {
 public:
  explicit TunnelCore(uint32_t terminate, int addr_version = 0, const uint8_t* addr = nullptr) {
    auto cfg = make_config(2);
    write_config(pipe_, *cfg);
    uint8_t a[16] = {};
    if (addr_version == 4) std::memcpy(a + 12, addr, 4);
    if (addr_version == 6) std::memcpy(a, addr, 16);
    for (int k = 0; k < 4; ++k)
      pipe_.post_csr(rm::TUN_ADDR0_at(0) + 4 * k, uint32_t(a[4 * k]) | uint32_t(a[4 * k + 1]) << 8 |
                                                       uint32_t(a[4 * k + 2]) << 16 | uint32_t(a[4 * k + 3]) << 24);
    pipe_.post_csr(rm::TUN_CTRL_at(0), terminate | (addr_version == 4   ? rm::TUN_CTRL_ADDR_V4_MASK
                                                    : addr_version == 6 ? rm::TUN_CTRL_ADDR_V6_MASK
                                                                        : 0u));
    pipe_.flush_csr(0);
  }
  FrameResult forward(const Bytes& frame) {
    static const uint16_t kIdle[kOutPorts] = {};
    FrameResult r;
    pipe_.forward(0, frame.data(), uint32_t(frame.size()), 1, kIdle, r);
    return r;
  }
  const std::vector<uint8_t>& delivered() const { return pipe_.delivered(); }
  uint64_t counter(uint32_t lo) { return pipe_.read_counter(lo) | uint64_t(pipe_.read_counter(lo + 4)) << 32; }
  Pipeline& pipeline() { return pipe_; }

 private:
  Pipeline pipe_;
};

// The fields a plain parse of the frame gives, with the tunnel fields the core must add.
void expect_inner_fields(const FrameResult& r, const Bytes& out, const Wrapping& w) {
  const PacketFields p = parse(out);
  EXPECT_EQ(0, std::memcmp(r.fields.src_mac, p.src_mac, 6));
  EXPECT_EQ(0, std::memcmp(r.fields.dst_mac, p.dst_mac, 6));
  EXPECT_EQ(r.fields.ethertype, p.ethertype);
  EXPECT_EQ(r.fields.ip_version, p.ip_version);
  EXPECT_EQ(0, std::memcmp(r.fields.src_ip, p.src_ip, 16));
  EXPECT_EQ(r.fields.src_port, p.src_port);
  EXPECT_EQ(r.fields.malformed, p.malformed);
  EXPECT_EQ(r.fields.tunnel, w.kind);
  EXPECT_EQ(r.fields.tunnel_id, w.id);
  EXPECT_EQ(r.fields.tunnel_src_version, w.src_version);
  if (w.src_version == 4) EXPECT_EQ(0, std::memcmp(r.fields.tunnel_src + 12, kTapV4, 4));
  else EXPECT_EQ(0, std::memcmp(r.fields.tunnel_src, kTapV6, 16));
}

// Every wrapping, every inner length from 14 to 200 (the strip's remainder against the beat
// edges in every phase) and some long ones: the inner frame out, byte for byte.
TEST(CoreTunnel, InnerFramesLeaveByteForByte) {
  TunnelCore core(kTermGre | kTermErspan | kTermVxlan);
  uint64_t frames = 0, in_bytes = 0, out_bytes = 0;
  for (const Wrapping& w : wrappings()) {
    std::vector<size_t> lengths;
    for (size_t n = 14; n <= 200; ++n) lengths.push_back(n);
    for (size_t n : {255, 256, 257, 1500, 1518, 9000}) lengths.push_back(n);
    for (size_t n : lengths) {
      if (w.l3 && n < 42) continue;  // an IP payload of GRE is an IP packet (inner_frame makes one from 42 bytes)
      SCOPED_TRACE(std::string(w.name) + " inner " + std::to_string(n));
      const Bytes inner = inner_frame(n, uint8_t(n));
      const Bytes frame = w.wrap(inner);
      const FrameResult r = core.forward(frame);
      const Bytes want = expected_out(inner, w.l3);
      ASSERT_EQ(r.term.verdict, kTunTerminated);
      ASSERT_EQ(size_t(r.term.strip), frame.size() - want.size());
      ASSERT_EQ(core.delivered(), want);
      expect_inner_fields(r, want, w);
      ++frames;
      in_bytes += frame.size();
      out_bytes += want.size();
    }
  }
  EXPECT_EQ(core.counter(rm::TUN_TERMINATED_LO_at(0)), frames);
  EXPECT_EQ(core.counter(rm::TUN_PASSED_LO_at(0)), 0u);
  EXPECT_EQ(core.counter(rm::RX_BYTES_LO_at(0)), in_bytes);  // as they came in
  EXPECT_EQ(core.counter(rm::TX_BYTES_LO_at(0)) + core.counter(rm::TX_BYTES_LO_at(1)), out_bytes);
}

// Frames queued back to back (every frame's beats in the lane FIFO before the first step):
// each leaves whole and in order, with no beat of one in another.
TEST(CoreTunnel, BackToBackFramesStayWhole) {
  TunnelCore core(kTermGre | kTermErspan | kTermVxlan);
  Pipeline& p = core.pipeline();
  const auto ws = wrappings();
  std::vector<Bytes> want;
  for (int i = 0; i < 300; ++i) {
    const Wrapping& w = ws[size_t(i) % ws.size()];
    const size_t n = 42 + size_t(i * 37) % 200;
    const Bytes inner = inner_frame(n, uint8_t(i));
    // Every third frame is not a tunnel: it passes as it is between terminated ones.
    const Bytes frame = i % 3 == 2 ? inner : w.wrap(inner);
    want.push_back(i % 3 == 2 ? inner : expected_out(inner, w.l3));
    frame_to_beats(frame.data(), uint32_t(frame.size()), 0, p.streams().rx0);
  }
  const std::vector<Bytes> got = drain_lane0(p, want.size()).frames;
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "frame " << i;
  EXPECT_EQ(core.counter(rm::TUN_TERMINATED_LO_at(0)), 200u);
  EXPECT_EQ(core.counter(rm::TUN_PASSED_LO_at(0)), 100u);
}

// What is not terminated passes as it came, counted by why.
TEST(CoreTunnel, OtherFramesPassAsTheyCame) {
  const Bytes inner = inner_frame(100, 1);
  auto v4 = [&](const uint8_t* dst, uint8_t proto, const Bytes& pl, uint16_t frag = 0) {
    Bytes f = vlan_eth(0x0800, 0);
    app(f, ipv4_opts(kTapV4, dst, proto, pl, 0, frag));
    return f;
  };
  auto cat = [](Bytes a, const Bytes& b) { app(a, b); return a; };
  struct Case {
    const char* name;
    uint32_t terminate;
    Bytes frame;
    uint8_t verdict;
  };
  const std::vector<Case> cases = {
      {"port terminates nothing", 0, v4(kBrokerV4, 47, cat(gre(0, 0, 0, 0x6558, 0), inner)), kTunPlain},
      {"plain traffic", kTermGre, inner, kTunPassed},
      {"ERSPAN on a GRE-only port", kTermGre, v4(kBrokerV4, 47, cat(cat(gre(0, 0, 1, 0x88BE, 0), erspan2(1)), inner)), kTunPassed},
      {"GRE on an ERSPAN-only port", kTermErspan, v4(kBrokerV4, 47, cat(gre(0, 0, 0, 0x6558, 0), inner)), kTunPassed},
      {"GRE version 1", kTermGre, v4(kBrokerV4, 47, cat(gre(0, 1, 0, 0x880B, 0, 1), inner)), kTunPassed},
      {"GRE with routing", kTermGre, v4(kBrokerV4, 47, cat(Bytes{0x40, 0, 0x65, 0x58}, inner)), kTunPassed},
      {"GRE with another payload", kTermGre, v4(kBrokerV4, 47, cat(gre(0, 0, 0, 0x8847, 0), inner)), kTunPassed},
      {"ERSPAN II with a wrong version", kTermErspan, v4(kBrokerV4, 47, cat(cat(gre(0, 0, 1, 0x88BE, 0), erspan3(1, false)), inner)), kTunPassed},
      {"ERSPAN III of an IP frame type", kTermErspan, v4(kBrokerV4, 47, cat(cat(gre(0, 0, 1, 0x22EB, 0), erspan3(1, false, 2)), inner)), kTunPassed},
      {"VXLAN without the I flag", kTermVxlan, v4(kBrokerV4, 17, udp(1, 4789, cat(vxlan(1, false), inner))), kTunPassed},
      {"UDP to another port", kTermVxlan, v4(kBrokerV4, 17, udp(1, 4790, cat(vxlan(1), inner))), kTunPassed},
      {"GRE cut inside the inner header", kTermGre, [&] { Bytes f = v4(kBrokerV4, 47, cat(gre(0, 0, 0, 0x6558, 0), inner)); f.resize(14 + 20 + 4 + 10); return f; }(), kTunPassed},
      {"first fragment of GRE", kTermGre, v4(kBrokerV4, 47, cat(gre(0, 0, 0, 0x6558, 0), inner), 0x2000), kTunFragment},
      {"later fragment of GRE", kTermGre, v4(kBrokerV4, 47, inner, 0x0010), kTunFragment},
      {"first fragment of VXLAN", kTermVxlan, v4(kBrokerV4, 17, udp(1, 4789, cat(vxlan(1), inner)), 0x2000), kTunFragment},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TunnelCore core(c.terminate);
    const FrameResult r = core.forward(c.frame);
    EXPECT_EQ(r.term.verdict, c.verdict);
    EXPECT_EQ(r.term.strip, 0);
    EXPECT_EQ(r.fields.tunnel, kTunNone);
    EXPECT_EQ(core.delivered(), c.frame);
    EXPECT_EQ(core.counter(rm::TUN_TERMINATED_LO_at(0)), 0u);
    EXPECT_EQ(core.counter(rm::TUN_PASSED_LO_at(0)), c.verdict == kTunPassed ? 1u : 0u);
    EXPECT_EQ(core.counter(rm::TUN_FRAGMENTS_LO_at(0)), c.verdict == kTunFragment ? 1u : 0u);
  }
}

// tunnel_address: only tunnels to it are terminated (IPv4 and IPv6).
TEST(CoreTunnel, OnlyTunnelsToTheAddress) {
  const Bytes inner = inner_frame(80, 3);
  auto to = [&](const uint8_t* dst) {
    Bytes f = vlan_eth(0x0800, 0);
    Bytes g = gre(0, 0, 0, 0x6558, 0);
    app(g, inner);
    app(f, ipv4_opts(kTapV4, dst, 47, g, 0));
    return f;
  };
  TunnelCore v4(kTermGre, 4, kBrokerV4);
  EXPECT_EQ(v4.forward(to(kBrokerV4)).term.verdict, kTunTerminated);
  EXPECT_EQ(v4.delivered(), inner);
  EXPECT_EQ(v4.forward(to(kOtherV4)).term.verdict, kTunPassed);
  TunnelCore v6(kTermGre, 6, kBrokerV6);
  EXPECT_EQ(v6.forward(to(kBrokerV4)).term.verdict, kTunPassed);  // another version
  Bytes f6 = vlan_eth(0x86DD, 0);
  Bytes g = gre(0, 0, 0, 0x6558, 0);
  app(g, inner);
  app(f6, ipv6(kTapV6, kBrokerV6, 47, g));
  EXPECT_EQ(v6.forward(f6).term.verdict, kTunTerminated);
  EXPECT_EQ(v6.delivered(), inner);
}

}  // namespace
}  // namespace broker::coretest
