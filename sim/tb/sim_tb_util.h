// Helpers of the Verilator testbench: configurations through the real Driver, synthetic
// frames, a soft card programmed like the model.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "broker_regmap.h"
#include "config_loader.h"
#include "driver.h"
#include "verilator_card.h"

namespace broker::simtb {

namespace rm = broker::regmap;

inline v1::Config parse(const std::string& text) {
  return config::parse_config_text(text, config::Format::kText, "<sim test>");
}

// Ethernet II / IPv4 / UDP frame of exactly len bytes (>= 42) with consistent lengths; the
// flow number goes into the source port and address, so frames of one flow are alike.
inline std::vector<uint8_t> udp_frame(uint32_t len, uint32_t flow = 1, uint8_t fill = 0xA5) {
  if (len < 42) len = 42;
  std::vector<uint8_t> p(len, fill);
  const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::copy(dmac, dmac + 6, p.begin());
  std::copy(smac, smac + 6, p.begin() + 6);
  p[12] = 0x08;
  p[13] = 0x00;
  uint8_t* ip = p.data() + 14;
  const uint32_t ip_len = len - 14;
  std::fill(ip, ip + 20, 0);
  ip[0] = 0x45;
  ip[2] = uint8_t(ip_len >> 8);
  ip[3] = uint8_t(ip_len);
  ip[8] = 64;
  ip[9] = 17;
  const uint32_t src = 0x0A000000u | (flow & 0xFFFFFF), dst = 0x0A800001u;
  for (int i = 0; i < 4; ++i) {
    ip[12 + i] = uint8_t(src >> (24 - 8 * i));
    ip[16 + i] = uint8_t(dst >> (24 - 8 * i));
  }
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = uint8_t(~sum >> 8);
  ip[11] = uint8_t(~sum);
  uint8_t* udp = ip + 20;
  udp[0] = uint8_t((1024 + (flow & 0x7FFF)) >> 8);
  udp[1] = uint8_t(1024 + (flow & 0x7FFF));
  udp[2] = 0x12;
  udp[3] = 0x34;
  udp[4] = uint8_t((ip_len - 20) >> 8);
  udp[5] = uint8_t(ip_len - 20);
  udp[6] = udp[7] = 0;
  return p;
}

// A UDP frame whose payload carries `seq` (bytes 42..45 when it has them), so frames of one
// flow differ and a reordering shows.
inline std::vector<uint8_t> numbered_frame(uint32_t len, uint32_t flow, uint32_t seq) {
  std::vector<uint8_t> p = udp_frame(len, flow, uint8_t(seq));
  for (size_t i = 0; i < 4 && 42 + i < p.size(); ++i) p[42 + i] = uint8_t(seq >> (24 - 8 * i));
  return p;
}

// IMIX: 64, 570 and 1518-byte frames 7:4:1, in an order shuffled by `seed`.
inline std::vector<std::vector<uint8_t>> imix_frames(size_t n, uint32_t seed = 12) {
  std::vector<uint32_t> lens;
  for (size_t i = 0; i < n; ++i) {
    const size_t k = i % 12;
    lens.push_back(k < 7 ? 64 : k < 11 ? 570 : 1518);
  }
  std::mt19937 rng(seed);
  std::shuffle(lens.begin(), lens.end(), rng);
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < n; ++i) frames.push_back(numbered_frame(lens[i], uint32_t(i % 13), uint32_t(i)));
  return frames;
}

// One group fed by ingress 0 with a single member: every frame of ingress 0 leaves on
// `out_port`.
inline v1::Config one_path_config(uint32_t out_port, uint64_t speed_mbps = 100000,
                                  uint32_t window_us = 1000) {
  return parse(fmt::format(
      "name: \"one-path\" utilization_window_us: {}\n"
      "egress_ports {{ port: {} speed_mbps: {} }}\n"
      "groups {{ name: \"g\" ingress_ports: [0] members: [{}] hash: HASH_CRC32 symmetric: true "
      "tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] mode: MODE_STATIC }}\n",
      window_us, out_port, speed_mbps, out_port));
}

// Every ingress port into one group whose only member is `out_port` (mode "MODE_STATIC" or
// "MODE_DYNAMIC"): a fan-in of eight links onto one tool port.
inline v1::Config fan_in_config(uint32_t out_port, const char* mode) {
  return parse(fmt::format(
      "name: \"fan-in\" egress_ports {{ port: {} }}\n"
      "groups {{ name: \"g\" ingress_ports: [0, 1, 2, 3, 4, 5, 6, 7] members: [{}] "
      "hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP] mode: {} }}\n",
      out_port, out_port, mode));
}

// Which sent frame each decided frame is. The core decides frames in the order their headers
// reach its shared tasks: each ingress port's frames in the order sent, the ports interleaved
// (two lanes run side by side, and each lane's arbiter serves its ports in turn).
// sent_port[i]: the ingress port of the i-th frame sent.
inline std::vector<size_t> sent_index_of(const std::vector<cards::VerilatorCard::DecidedFrame>& decided,
                                         const std::vector<uint8_t>& sent_port) {
  std::map<int, std::deque<size_t>> of_port;
  for (size_t i = 0; i < sent_port.size(); ++i) of_port[sent_port[i]].push_back(i);
  std::vector<size_t> out;
  for (const auto& d : decided) {
    auto& q = of_port[int(d.trace.decision.in_port.to_uint())];
    EXPECT_FALSE(q.empty()) << "a decision for a frame never sent";
    out.push_back(q.empty() ? ~size_t(0) : q.front());
    if (!q.empty()) q.pop_front();
  }
  return out;
}

// What left each egress port (got) is exactly the sent frames expected there (expect_out: sent
// indices in decision order), whole and byte for byte, in order per lane: a port's two lane
// queues take turns as their frames are stored whole, so the lanes interleave by the frames'
// lengths, while each lane (so each ingress port and session direction) keeps its order.
// Sent frames must differ from each other (numbered_frame).
inline void expect_port_output(const std::map<int, std::vector<size_t>>& expect_out,
                               const std::map<int, std::vector<std::vector<uint8_t>>>& got,
                               const std::vector<std::vector<uint8_t>>& sent,
                               const std::vector<uint8_t>& sent_port) {
  std::map<std::vector<uint8_t>, size_t> index_of;
  for (size_t i = 0; i < sent.size(); ++i) index_of[sent[i]] = i;
  std::set<int> ports;
  for (const auto& [p, v] : expect_out) ports.insert(p);
  for (const auto& [p, v] : got) ports.insert(p);
  for (int p : ports) {
    const auto e = expect_out.count(p) ? expect_out.at(p) : std::vector<size_t>{};
    const auto g = got.count(p) ? got.at(p) : std::vector<std::vector<uint8_t>>{};
    EXPECT_EQ(g.size(), e.size()) << "frames out of port " << p;
    for (int lane = 0; lane < core::kLanes; ++lane) {
      std::vector<size_t> want, have;
      for (size_t i : e)
        if (core::lane_of(sent_port[i]) == lane) want.push_back(i);
      for (const auto& f : g) {
        const auto it = index_of.find(f);
        if (it == index_of.end()) {
          ADD_FAILURE() << "port " << p << " sent a frame of " << f.size() << " bytes that was never sent (truncated?)";
          return;
        }
        if (core::lane_of(sent_port[it->second]) == lane) have.push_back(it->second);
      }
      EXPECT_EQ(have, want) << "port " << p << ", lane " << lane << ": frames out of order or missing";
    }
  }
}

// A card whose ingress ports each run as an independent link (IngressMode::kPerPort).
inline cards::VerilatorCard::Options per_port_links() {
  cards::VerilatorCard::Options o;
  o.ingress = cards::VerilatorCard::IngressMode::kPerPort;
  return o;
}

}  // namespace broker::simtb
