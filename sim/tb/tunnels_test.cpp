// Tunnels in the co-simulation (ctest label `tunnels`).
//
// Termination in the composed core: tunnel_parse and decap run as their own modules between
// RTL FIFOs. Frames in VXLAN, ERSPAN III over IPv6 (outer headers longer than a beat) and GRE
// with an IP payload, mixed with plain frames, back to back and at the rate a 100 GbE CMAC
// delivers them: every inner frame out byte for byte and in order, and the core takes one beat
// per clock (no bubble between or within frames; what the composition measures is printed).
// The expected frames are the test's own (the frames it wrapped).
//
// Origination in the shell: a tool port configured through the real driver with a tunnel
// (GRE over IPv4, GRE with a key over IPv6, ERSPAN II over IPv4 cut to 128 bytes, ERSPAN III
// over IPv6; and a plain port as the baseline) wraps every frame in its encap, the HLS kernel
// broker_encap co-simulated through DPI-C. A few hundred frames of 64 to 1518 bytes and a jumbo,
// back to back: every frame on the wire is byte for byte what core::EncapRunner (the same
// encap_task run natively, committed on ENC_CTRL writes as the soft card does; ERSPAN III's
// timestamp from the encap's now_us when it made the frame's first beat, so exact) makes of
// it; none is lost; each wrapped frame takes exactly ceil(wire bytes / 64) consecutive beats
// (the encap adds its header beats and no bubble); and OUT_UTIL_BP counts the wrapped bytes.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim_tb_util.h"
#include "tx_meter.h"

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

// ---- tunnel origination ---------------------------------------------------------------------

struct Origin {
  const char* name;
  const char* tunnel;  // EgressTunnel of the tool port, text format ("": none)
  uint32_t hdr;        // its header's length in bytes
  uint32_t slice;      // slice_bytes
};

const Origin kOrigins[] = {
    {"plain", "", 0, 0},
    {"GRE/IPv4", R"(type: TUNNEL_GRE src_ip: "198.51.100.1" dst_ip: "198.51.100.2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02")",
     38, 0},
    {"GRE+key/IPv6", R"(type: TUNNEL_GRE src_ip: "2001:db8::1" dst_ip: "2001:db8::2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 77 dscp: 46 ttl: 9)",
     62, 0},
    {"ERSPAN II/IPv4 slice 128", R"(type: TUNNEL_ERSPAN erspan_version: 2 src_ip: "198.51.100.1" dst_ip: "198.51.100.2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 1000 slice_bytes: 128 dscp: 10 ttl: 200)",
     50, 128},
    {"ERSPAN III/IPv6", R"(type: TUNNEL_ERSPAN erspan_version: 3 src_ip: "2001:db8::1" dst_ip: "2001:db8::2" src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02" key: 5)",
     74, 0},
};

// Ingress 0 into one group whose only member is kTool, which originates `tunnel`.
v1::Config originating_config(const std::string& tunnel, uint32_t window_us = 1000) {
  return parse(fmt::format(
      "name: \"origination\" utilization_window_us: {}\n"
      "egress_ports {{ port: {} speed_mbps: 100000 {} }}\n"
      "groups {{ name: \"g\" ingress_ports: [0] members: [{}] hash: HASH_CRC32 symmetric: true "
      "tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] mode: MODE_STATIC }}\n",
      window_us, kTool, tunnel.empty() ? std::string() : "tunnel { " + tunnel + " }", kTool));
}

// 300 frame lengths: the edges of a beat first, then 64..1518 at random, every tenth 1518, and
// one 9000-byte jumbo two thirds in.
std::vector<uint32_t> origination_lengths() {
  std::vector<uint32_t> lens = {64, 65, 127, 128, 129, 1518, 191, 192, 193, 100};
  std::mt19937 rng(77);
  for (size_t i = lens.size(); i < 300; ++i)
    lens.push_back(i == 200 ? 9000u : i % 10 == 0 ? 1518u : 64u + uint32_t(rng() % (1518 - 64 + 1)));
  return lens;
}

// Every frame back to back on ingress 0 (one beat per clock in: more than a 100 GbE port
// delivers). Checked: every frame on the wire is the encap reference's, none lost, each takes
// exactly ceil(wire / 64) consecutive beats. Printed: beats in and out, the span of the port's
// output, the idle clocks in it, and the first frame's latency through the shell.
TEST(SimTunnels, OriginatedFramesAreTheEncapReferenceAndTakeNoBubble) {
  const std::vector<uint32_t> lens = origination_lengths();
  for (const Origin& o : kOrigins) {
    SCOPED_TRACE(o.name);
    VerilatorCard card;
    driver::Driver drv(card);
    drv.apply(originating_config(o.tunnel));
    ASSERT_TRUE(card.run_until_idle());
    card.take_egress();
    card.take_decisions();
    card.clear_stats();
    EXPECT_EQ(card.port_wraps(kTool), o.hdr != 0);

    std::vector<Bytes> sent;
    uint64_t in_beats = 0;
    for (size_t i = 0; i < lens.size(); ++i) {
      sent.push_back(numbered_frame(lens[i], uint32_t(i % 13), uint32_t(i)));
      card.send(0, sent.back().data(), uint32_t(sent.back().size()));
      in_beats += beats_of(sent.back().size());
    }
    ASSERT_TRUE(card.run_until_idle(100 * in_beats + 100000)) << "no deadlock";
    const auto got = card.take_egress();
    const auto decided = card.take_decisions();
    const auto c = drv.counters();
    EXPECT_EQ(c.rx[0].drops, 0u);
    EXPECT_EQ(c.tx[kTool].drops, 0u) << "the egress queues absorb the header beats";
    EXPECT_EQ(c.tx[kTool].packets, sent.size()) << "TX counts frames as the core delivered them";
    ASSERT_EQ(got.size(), sent.size()) << "frames lost";
    EXPECT_NE(card.read32(rm::OUT_STATUS_at(kTool)) & rm::OUT_STATUS_EMPTY_MASK, 0u)
        << "queues, join and encap empty";

    // When frame i can start at the earliest: its queue has stored it whole (plus the clocks
    // the first frame, into an empty shell, took from there to the wire), and the port has sent
    // the frame before and read that frame's beats past a cut (one a clock, sending nothing).
    ASSERT_EQ(decided.size(), sent.size());
    const uint64_t k_store = got[0].first_cycle - decided[0].cycles.tx_stored;
    uint64_t out_beats = 0, out_bytes = 0, bubbly = 0, gaps = 0, cut = 0, late = 0, waits_store = 0,
             waits_skip = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const auto& f = got[i];
      ASSERT_EQ(f.port, kTool);
      const Bytes want = card.expected_wire(kTool, sent[i], f.now_us);
      ASSERT_EQ(f.data, want) << "frame " << i << " (" << sent[i].size() << " bytes)";
      // Independently of the reference: the header, then the frame (cut to the slice).
      const size_t kept = o.slice != 0 && sent[i].size() > o.slice ? o.slice : sent[i].size();
      cut += kept < sent[i].size();
      ASSERT_EQ(f.data.size(), o.hdr + kept) << "frame " << i;
      ASSERT_TRUE(std::equal(sent[i].begin(), sent[i].begin() + long(kept), f.data.begin() + long(o.hdr)))
          << "frame " << i;
      const uint64_t beats = beats_of(f.data.size());
      out_beats += beats;
      out_bytes += f.data.size();
      if (f.last_cycle - f.first_cycle + 1 != beats) {
        if (bubbly == 0)
          ADD_FAILURE() << "frame " << i << " of " << f.data.size() << " bytes took "
                        << f.last_cycle - f.first_cycle + 1 << " clocks for " << beats << " beats";
        ++bubbly;
      }
      if (i > 0) {
        gaps += f.first_cycle - got[i - 1].last_cycle - 1;
        const size_t prev_kept = o.slice != 0 && sent[i - 1].size() > o.slice ? o.slice : sent[i - 1].size();
        const uint64_t skipped = beats_of(sent[i - 1].size()) - beats_of(prev_kept);
        const uint64_t after_prev = got[i - 1].last_cycle + 1 + skipped;
        const uint64_t stored = decided[i].cycles.tx_stored + k_store;
        if (f.first_cycle != std::max(after_prev, stored)) {
          if (late == 0)
            ADD_FAILURE() << "frame " << i << " started at " << f.first_cycle << ", stored + " << k_store
                          << " = " << stored << ", after the frame before " << after_prev;
          ++late;
        }
        if (stored > after_prev) waits_store += stored - after_prev;
        waits_skip += skipped;
      }
    }
    EXPECT_EQ(bubbly, 0u) << "frames with an idle clock inside";
    EXPECT_EQ(late, 0u) << "frames that started later than their queue and the port allowed";
    EXPECT_EQ(gaps, waits_store + waits_skip) << "idle clocks not explained by store and forward or a cut";
    const auto out = card.port_stats(kTool);
    EXPECT_EQ(out.beats, out_beats);
    EXPECT_EQ(out.bytes, out_bytes);
    if (o.slice != 0) {
      EXPECT_GT(cut, 100u);
    }

    const auto in = card.rx_stats(0);
    ASSERT_FALSE(decided.empty());
    const uint64_t span = out.last_beat_cycle - out.first_beat_cycle + 1;
    const uint64_t shell_latency = got[0].first_cycle - decided[0].cycles.core_out;
    const uint64_t total_latency = got[0].first_cycle - in.first_beat_cycle;
    std::printf("[ figures  ] %-24s %zu frames (%llu cut), %llu beats in, %llu out (%+.2f per frame): the "
                "port sent them in %llu clocks, %llu without a beat (%llu waiting for a whole frame in the "
                "queue, %llu reading past a cut); first frame (%zu bytes): core out -> wire %llu clocks, "
                "stored -> wire %llu, ingress -> wire %llu\n",
                o.name, got.size(), (unsigned long long)cut, (unsigned long long)in_beats,
                (unsigned long long)out_beats, (double(out_beats) - double(in_beats)) / double(got.size()),
                (unsigned long long)span, (unsigned long long)gaps, (unsigned long long)waits_store,
                (unsigned long long)waits_skip, sent[0].size(), (unsigned long long)shell_latency,
                (unsigned long long)k_store, (unsigned long long)total_latency);
    RecordProperty(std::string("span_") + o.name, int(span));
    RecordProperty(std::string("idle_clocks_") + o.name, int(gaps));
  }
}

// OUT_UTIL_BP of a GRE tool port against the software TX meter fed with the wrapped frames the
// model sent, at the cycles it sent them: 64-byte frames (102 on the wire) paced to 40 % of
// 100 Gb/s counted wrapped; the same frames unwrapped would read 27.5 %.
TEST(SimTunnels, OriginatedUtilizationCountsTheWrappedBytes) {
  constexpr uint32_t kWindowUs = 50, kRateBp = 4000, kLen = 64, kHdr = 38;
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(originating_config(kOrigins[1].tunnel, kWindowUs));
  ASSERT_TRUE(card.run_until_idle());
  card.take_egress();

  const double wire_bits = double(kLen + kHdr + cards::TxMeter::kWireOverheadBytes) * 8;
  const double period_cycles = wire_bits / (double(kRateBp) / 10000.0 * 100e9) * double(VerilatorCard::clk_hz());
  const uint64_t window_cycles = uint64_t(kWindowUs * double(VerilatorCard::clk_hz()) / 1e6);
  const uint64_t c0 = card.cycles() + 16, end = c0 + 4 * window_cycles;
  for (uint64_t k = 0;; ++k) {
    const uint64_t at = c0 + uint64_t(std::floor(double(k) * period_cycles));
    if (at >= end) break;
    const Bytes f = numbered_frame(kLen, uint32_t(k % 13), uint32_t(k));
    card.send_at(0, at, f.data(), uint32_t(f.size()));
  }
  card.step(c0 + 3 * window_cycles - card.cycles());
  const int64_t rtl = card.read32(rm::OUT_UTIL_BP_at(kTool));
  const uint64_t t_read = card.cycles();

  cards::TxMeter wrapped, plain;
  const auto scale = driver::util_scale(100000, kWindowUs);
  for (cards::TxMeter* m : {&wrapped, &plain}) {
    m->set_window_us(kWindowUs);
    m->set_scale(int(kTool), scale.scale);
    m->set_shift(int(kTool), scale.shift);
  }
  auto ns = [](uint64_t cycle) { return uint64_t(double(cycle) * 1e9 / double(VerilatorCard::clk_hz())); };
  size_t n = 0;
  for (const auto& f : card.take_egress()) {
    if (f.first_cycle >= t_read) break;
    EXPECT_EQ(f.data.size(), kLen + kHdr);
    for (cards::TxMeter* m : {&wrapped, &plain}) m->advance(ns(f.first_cycle));
    wrapped.record(int(kTool), uint32_t(f.data.size()));
    plain.record(int(kTool), kLen);
    ++n;
  }
  wrapped.advance(ns(t_read));
  plain.advance(ns(t_read));
  const int64_t ref = wrapped.util_bp(int(kTool)), ref_plain = plain.util_bp(int(kTool));
  // Tolerance as sim/tb/meter_test.cpp: a frame's share of a window, truncation, the tick.
  const int64_t tol = int64_t(std::ceil(wire_bits * 10000.0 / (100000.0 * kWindowUs))) + 1 +
                      int64_t(std::ceil(0.002 * kRateBp));
  std::printf("[ figures  ] GRE/IPv4, %u-byte frames (%u on the wire) at %u bp of 100 Gb/s: OUT_UTIL_BP %lld, "
              "reference (wrapped) %lld, unwrapped would be %lld, tolerance %lld (%zu frames before the read)\n",
              kLen, kLen + kHdr, kRateBp, (long long)rtl, (long long)ref, (long long)ref_plain, (long long)tol, n);
  EXPECT_LE(std::llabs(rtl - ref), tol) << "RTL " << rtl << " bp, reference " << ref << " bp";
  EXPECT_LE(std::llabs(ref - int64_t(kRateBp)), tol) << "the pacing is off";
  EXPECT_GT(std::llabs(rtl - ref_plain), 10 * tol) << "the meter counted the unwrapped frames";
  EXPECT_EQ(drv.counters().tx[kTool].drops, 0u);
}

}  // namespace
}  // namespace broker::simtb
