// Tunnel termination in the composed core (ctest label `tunnels`): tunnel_parse and decap run
// as their own modules between RTL FIFOs. Frames in VXLAN, ERSPAN III over IPv6 (outer
// headers longer than a beat) and GRE with an IP payload, mixed with plain frames, back to
// back and at the rate a 100 GbE CMAC delivers them: every inner frame out byte for byte and
// in order, and the core takes one beat per clock (no bubble between or within frames; what
// the composition measures is printed). The expected frames are the test's own (the frames it
// wrapped).
#include <algorithm>
#include <cstdio>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;
constexpr uint8_t kTool = 3;

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
void put32(Bytes& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v)); }

Bytes outer_eth(uint16_t type) {
  Bytes b = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  put16(b, type);
  return b;
}
Bytes outer_ipv4(uint8_t proto, size_t payload) {
  Bytes b = {0x45, 0};
  put16(b, uint16_t(20 + payload));
  put32(b, 0);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  put32(b, 0xC0000207);  // 192.0.2.7
  put32(b, 0xC0000201);
  return b;
}
Bytes outer_ipv6(uint8_t next, size_t payload) {
  Bytes b = {0x60, 0, 0, 0};
  put16(b, uint16_t(payload));
  b.push_back(next);
  b.push_back(64);
  for (int i = 0; i < 32; ++i) b.push_back(uint8_t(i == 15 ? 7 : i == 31 ? 1 : i % 16 < 2 ? 0x20 : 0));
  return b;
}

struct Wrapped {
  Bytes frame, inner_out;
};

// The three wrappings in turn, and every fourth frame plain.
Wrapped wrap(const Bytes& inner, int k) {
  Wrapped w;
  w.inner_out = inner;
  Bytes payload;  // the outer IP header's payload
  int version = 4;
  uint8_t proto = 47;
  switch (k % 4) {
    case 0:  // VXLAN over IPv4: 50 bytes of outer headers
      proto = 17;
      payload = {0xC0, 0x00, 0x12, 0xB5};
      put16(payload, uint16_t(16 + inner.size()));
      put16(payload, 0);
      payload.insert(payload.end(), {0x08, 0, 0, 0, 0, 0, 0x2A, 0});
      payload.insert(payload.end(), inner.begin(), inner.end());
      break;
    case 1:  // ERSPAN III with its subheader over IPv6: 82 bytes, more than a beat
      version = 6;
      payload = {0x10, 0x00, 0x22, 0xEB};
      put32(payload, 1);
      put32(payload, (2u << 28) | 77);
      put32(payload, 0x12345678);
      put32(payload, 1);  // O: a subheader follows
      put32(payload, 0);
      put32(payload, 0);
      payload.insert(payload.end(), inner.begin(), inner.end());
      break;
    case 2:  // GRE with an IPv4 payload: 38 bytes off, 14 made
      payload = {0x00, 0x00, 0x08, 0x00};
      payload.insert(payload.end(), inner.begin() + 14, inner.end());
      w.inner_out = Bytes(12, 0);
      put16(w.inner_out, 0x0800);
      w.inner_out.insert(w.inner_out.end(), inner.begin() + 14, inner.end());
      break;
    default:
      w.frame = inner;
      return w;
  }
  w.frame = outer_eth(version == 4 ? 0x0800 : 0x86DD);
  const Bytes ip = version == 4 ? outer_ipv4(proto, payload.size()) : outer_ipv6(proto, payload.size());
  w.frame.insert(w.frame.end(), ip.begin(), ip.end());
  w.frame.insert(w.frame.end(), payload.begin(), payload.end());
  return w;
}

v1::Config terminating_config() {
  v1::Config c = one_path_config(kTool);
  auto* in = c.add_ingress_ports();
  in->set_port(0);
  in->add_terminate(v1::TUNNEL_GRE);
  in->add_terminate(v1::TUNNEL_ERSPAN);
  in->add_terminate(v1::TUNNEL_VXLAN);
  return c;
}

// A model with ingress 0 terminating every tunnel type into kTool, idle, with nothing taken yet.
struct TerminatingCard {
  VerilatorCard card;
  driver::Driver drv{card};
  TerminatingCard() {
    drv.apply(terminating_config());
    EXPECT_TRUE(card.run_until_idle());
    card.take_egress();
    card.clear_stats();
  }
};

uint64_t beats_of(size_t len) { return (len + 63) / 64; }

// Frames back to back: all queued before the model runs.
TEST(SimTunnels, TerminatedFramesBackToBackOneBeatPerClock) {
  for (uint32_t inner_len : {60u, 64u, 65u, 100u, 128u, 129u, 570u, 1514u}) {
    TerminatingCard m;
    VerilatorCard& card = m.card;
    driver::Driver& drv = m.drv;
    std::vector<Wrapped> sent;
    uint64_t in_beats = 0, out_beats = 0;
    for (int i = 0; i < 400; ++i) {
      sent.push_back(wrap(numbered_frame(inner_len, uint32_t(i % 13), uint32_t(i)), i));
      card.send(0, sent.back().frame.data(), uint32_t(sent.back().frame.size()));
      in_beats += beats_of(sent.back().frame.size());
      out_beats += beats_of(sent.back().inner_out.size());
    }
    ASSERT_TRUE(card.run_until_idle(100 * in_beats + 100000)) << "no deadlock";
    const auto got = card.take_egress();
    ASSERT_EQ(got.size(), sent.size()) << inner_len;
    for (size_t i = 0; i < sent.size(); ++i)
      ASSERT_EQ(got[i].data, sent[i].inner_out) << "inner " << inner_len << ", frame " << i;
    const auto out = card.port_stats(kTool);
    const auto c = drv.counters();
    EXPECT_EQ(out.beats, out_beats);
    EXPECT_EQ(c.rx[0].tunnel_terminated, 300u);
    EXPECT_EQ(c.rx[0].tunnel_passed, 100u);
    // The core's pace: from the first beat out to the last, against the beats that had to go
    // in meanwhile. A core that takes one beat per clock spends in_beats cycles (less the first
    // frame's, plus its own latency); the egress side only ever waits for the ingress side.
    const auto in = card.rx_stats(0);
    const double span = double(out.last_beat_cycle - in.first_beat_cycle + 1);
    std::printf("[ figures  ] inner %u bytes: %zu frames, %llu beats in, %llu out: %.0f cycles from the first "
                "beat in to the last out, %.4f per beat in\n",
                inner_len, sent.size(), (unsigned long long)in_beats, (unsigned long long)out_beats, span,
                span / double(in_beats));
    EXPECT_LE(span, double(in_beats) + 200) << "the core fell below one beat per clock";
  }
}

// At 100 GbE line rate on one CMAC (wire time of the outer frames): nothing lost.
TEST(SimTunnels, TerminatedFramesAtLineRateLoseNothing) {
  for (uint32_t inner_len : {60u, 65u, 300u, 1514u}) {
    TerminatingCard m;
    VerilatorCard& card = m.card;
    driver::Driver& drv = m.drv;
    const double cycles_per_byte = 8.0 / 100e9 * double(VerilatorCard::clk_hz());
    double t = double(card.cycles() + 10);
    std::vector<Wrapped> sent;
    for (int i = 0; i < 3000; ++i) {
      sent.push_back(wrap(numbered_frame(inner_len, uint32_t(i % 13), uint32_t(i)), i));
      card.send_at(0, uint64_t(t), sent.back().frame.data(), uint32_t(sent.back().frame.size()));
      t += double(sent.back().frame.size() + 20) * cycles_per_byte;
    }
    ASSERT_TRUE(card.run_until_idle(400000));
    const auto got = card.take_egress();
    const auto c = drv.counters();
    std::printf("[ figures  ] inner %u bytes at line rate: %zu offered, %zu delivered, %llu dropped at the "
                "ingress FIFO\n",
                inner_len, sent.size(), got.size(), (unsigned long long)c.rx[0].drops);
    EXPECT_EQ(c.rx[0].drops, 0u);
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) ASSERT_EQ(got[i].data, sent[i].inner_out) << "frame " << i;
  }
}

}  // namespace
}  // namespace broker::simtb
