// Helpers shared by the core suites: capture loading, a test-built configuration, synthetic
// frame building. Nothing here decides anything about packets: the core does.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker_regmap.h"
#include "native/frame_api.h"
#include "native/pipeline.h"
#include "pcap_source.h"

namespace broker::coretest {

using namespace broker::core;

// One capture, loaded whole (the captures are small). `error` is set when PcapSource refused
// the file (an unsupported link type is a legitimate refusal).
struct Capture {
  std::string name;
  std::vector<broker::io::Frame> frames;
  std::string error;
};

inline Capture load_capture(const std::filesystem::path& p) {
  Capture c;
  c.name = p.filename().string();
  try {
    broker::io::PcapSource src(p.string());
    broker::io::Frame f;
    while (src.next(f)) c.frames.push_back(f);
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  return c;
}

// The parser's input: the first min(len, 256) bytes, zero padded.
struct Hdr {
  uint8_t b[kParseBytes];
};
inline Hdr header_of(const std::vector<uint8_t>& data) {
  Hdr h;
  memset(h.b, 0, sizeof h.b);
  memcpy(h.b, data.data(), std::min<size_t>(data.size(), kParseBytes));
  return h;
}

inline PacketFields parse(const std::vector<uint8_t>& data) {
  const Hdr h = header_of(data);
  PacketFields f;
  memset(&f, 0xCC, sizeof f);  // the parser must set every field
  parse_frame(h.b, uint32_t(data.size()), f);
  return f;
}

constexpr uint16_t kFiveTuple =
    kTupleSrcIp | kTupleDstIp | kTupleSrcPort | kTupleDstPort | kTupleIpProto;

// A test's configuration of the core, written to it through its registers (register map
// semantics, as the driver would), so tests reach the tasks the way every card does.
enum HashKind : uint8_t { kHashCrc32 = 0, kHashXor16 = 1 };
enum SelectMode : uint8_t { kModeStatic = 0, kModeDynamic = 1 };
constexpr uint8_t kInMapValid = 0x80;

struct GroupConfig {
  bool enable;
  uint8_t hash;                  // HashKind
  bool symmetric;
  uint8_t mode;                  // SelectMode
  uint16_t tuple;                // TupleBit mask
  uint16_t threshold_bp;
  uint32_t idle_us;
  uint32_t frag_timeout_us;
  uint16_t live;                 // bit m: member slot m may receive packets
  uint8_t member_port[kMembers];
};

struct CoreConfig {
  bool enable;
  uint8_t in_map[kInPorts];      // bit 7 valid, bits 3:0 group
  GroupConfig group[kGroups];
  uint8_t ind[kGroups][kBuckets];  // static indirection: member slot of each bucket
};

// 1 group, ingress port 0 mapped, n live members on egress ports 0..n-1, round-robin static
// table, symmetric crc32 over the 5-tuple.
inline std::unique_ptr<CoreConfig> make_config(int n_members, uint8_t mode = kModeStatic) {
  auto cfg = std::make_unique<CoreConfig>();
  memset(cfg.get(), 0, sizeof(CoreConfig));
  cfg->enable = true;
  cfg->in_map[0] = kInMapValid | 0;
  GroupConfig& g = cfg->group[0];
  g.enable = true;
  g.hash = kHashCrc32;
  g.symmetric = true;
  g.mode = mode;
  g.tuple = kFiveTuple;
  g.threshold_bp = 10000;
  g.idle_us = 0xFFFFFFFFu;
  g.frag_timeout_us = 1000000;
  g.live = uint16_t((1u << n_members) - 1);
  for (int m = 0; m < kMembers; ++m) g.member_port[m] = uint8_t(m < n_members ? m : kNoPort);
  for (int b = 0; b < kBuckets; ++b) cfg->ind[0][b] = uint8_t(b % n_members);
  return cfg;
}

// The register writes that give a core this configuration.
inline void write_config(Pipeline& core, const CoreConfig& c, uint64_t now_us = 0) {
  namespace rm = broker::regmap;
  for (int p = 0; p < kInPorts; ++p)
    core.post_csr(rm::IN_MAP_at(p), (c.in_map[p] & kInMapValid ? rm::IN_MAP_VALID_MASK : 0u) |
                                        (c.in_map[p] & 0x0Fu));
  for (int g = 0; g < kGroups; ++g) {
    const GroupConfig& x = c.group[g];
    core.post_csr(rm::GRP_CTRL_at(g), (x.enable ? rm::GRP_CTRL_ENABLE_MASK : 0u) |
                                          (uint32_t(x.hash) << rm::GRP_CTRL_HASH_LSB) |
                                          (x.symmetric ? rm::GRP_CTRL_SYMMETRIC_MASK : 0u) |
                                          (uint32_t(x.mode) << rm::GRP_CTRL_MODE_LSB));
    core.post_csr(rm::GRP_TUPLE_at(g), x.tuple);
    core.post_csr(rm::GRP_THRESH_BP_at(g), x.threshold_bp);
    core.post_csr(rm::GRP_IDLE_US_at(g), x.idle_us);
    core.post_csr(rm::GRP_FRAG_TIMEOUT_US_at(g), x.frag_timeout_us);
    core.post_csr(rm::GRP_LIVE_at(g), x.live);
    for (int m = 0; m < kMembers; ++m) core.post_csr(rm::MEMBER_at(g * kMembers + m), x.member_port[m]);
    for (int w = 0; w < kBuckets / 8; ++w) {
      uint32_t v = 0;
      for (int n = 0; n < 8; ++n) v |= uint32_t(c.ind[g][w * 8 + n] & 0xF) << (4 * n);
      core.post_csr(rm::IND_at(g * (kBuckets / 8) + w), v);
    }
  }
  core.post_csr(rm::CTRL, c.enable ? rm::CTRL_ENABLE_MASK : 0u);
  core.flush_csr(now_us);
}

// The core's counters, read through its counter registers.
struct CoreCounters {
  uint64_t rx_pkts[kInPorts], rx_bytes[kInPorts];
  uint64_t tx_pkts[kOutPorts], tx_bytes[kOutPorts];
  uint64_t grp_pkts[kGroups], grp_new_flows[kGroups];
  uint64_t malformed, fragments, depth_exceeded, unmapped_drops, threshold_avoids;
  uint64_t frag_follows, frag_misses;
};

inline CoreCounters read_counters(Pipeline& core) {
  namespace rm = broker::regmap;
  auto rd = [&](uint32_t lo) {
    const uint64_t l = core.read_counter(lo);
    return l | uint64_t(core.read_counter(lo + 4)) << 32;
  };
  CoreCounters c{};
  for (int p = 0; p < kInPorts; ++p) {
    c.rx_pkts[p] = rd(rm::RX_PKTS_LO_at(p));
    c.rx_bytes[p] = rd(rm::RX_BYTES_LO_at(p));
  }
  for (int p = 0; p < kOutPorts; ++p) {
    c.tx_pkts[p] = rd(rm::TX_PKTS_LO_at(p));
    c.tx_bytes[p] = rd(rm::TX_BYTES_LO_at(p));
  }
  for (int g = 0; g < kGroups; ++g) {
    c.grp_pkts[g] = rd(rm::GRP_PKTS_LO_at(g));
    c.grp_new_flows[g] = rd(rm::GRP_NEW_FLOWS_LO_at(g));
  }
  c.malformed = rd(rm::MALFORMED_LO);
  c.fragments = rd(rm::FRAGMENTS_LO);
  c.depth_exceeded = rd(rm::DEPTH_EXCEEDED_LO);
  c.unmapped_drops = rd(rm::UNMAPPED_DROPS_LO);
  c.threshold_avoids = rd(rm::THRESHOLD_AVOIDS_LO);
  c.frag_follows = rd(rm::FRAG_FOLLOWS_LO);
  c.frag_misses = rd(rm::FRAG_MISSES_LO);
  return c;
}

// A core with a test configuration: frames in whole, results out.
class TestCore {
 public:
  explicit TestCore(const CoreConfig& cfg) { write_config(core_, cfg); }
  FrameResult forward(const std::vector<uint8_t>& frame, uint8_t in_port, uint64_t now_us,
                      const uint16_t* util_bp = nullptr) {
    static const uint16_t kIdle[kOutPorts] = {};
    FrameResult r;
    core_.forward(in_port, frame.data(), uint32_t(frame.size()), now_us, util_bp ? util_bp : kIdle, r);
    return r;
  }
  CoreCounters counters() { return read_counters(core_); }
  Pipeline& pipeline() { return core_; }

 private:
  Pipeline core_;
};

// Steps a core whose rx0 holds frames until `count` frames have left on tx0 (or a bound of
// steps passed): the frames as they left, and the steps taken.
struct Drained {
  std::vector<std::vector<uint8_t>> frames;
  int steps = 0;
};
inline Drained drain_lane0(Pipeline& p, size_t count) {
  const uint16_t idle[kOutPorts] = {};
  Drained d;
  std::vector<uint8_t> cur;
  for (; d.steps < 100000 && d.frames.size() < count; ++d.steps) {
    p.step(1, idle);
    while (!p.streams().tx0.empty()) {
      const AxisBeat b = p.streams().tx0.read();
      for (int i = 0; i < kBeatBytes && b.keep[i]; ++i) cur.push_back(uint8_t(b.data.range(8 * i + 7, 8 * i)));
      if (b.last) d.frames.push_back(std::move(cur)), cur.clear();
    }
  }
  return d;
}

// ---- Synthetic frames -----------------------------------------------------------------

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t at, uint16_t v) { b[at] = uint8_t(v >> 8); b[at + 1] = uint8_t(v); }
inline void app16(Bytes& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
inline void app32(Bytes& b, uint32_t v) { app16(b, uint16_t(v >> 16)); app16(b, uint16_t(v)); }
inline void app(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }

inline Bytes eth(const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype) {
  Bytes b(dst, dst + 6);
  b.insert(b.end(), src, src + 6);
  app16(b, ethertype);
  return b;
}

inline uint16_t ip_checksum(const uint8_t* p, int n) {
  uint32_t s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return uint16_t(~s);
}

inline Bytes ipv4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint16_t id,
                  const Bytes& payload, uint16_t frag_field = 0) {
  Bytes b = {0x45, 0x00};
  app16(b, uint16_t(20 + payload.size()));
  app16(b, id);
  app16(b, frag_field);
  b.push_back(64);
  b.push_back(proto);
  app16(b, 0);
  b.insert(b.end(), src, src + 4);
  b.insert(b.end(), dst, dst + 4);
  put16(b, 10, ip_checksum(b.data(), 20));
  app(b, payload);
  return b;
}

inline Bytes ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t next, const Bytes& payload) {
  Bytes b = {0x60, 0x01, 0x23, 0x45};
  app16(b, uint16_t(payload.size()));
  b.push_back(next);
  b.push_back(64);
  b.insert(b.end(), src, src + 16);
  b.insert(b.end(), dst, dst + 16);
  app(b, payload);
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  app16(b, sport);
  app16(b, dport);
  app16(b, uint16_t(8 + payload.size()));
  app16(b, 0);
  app(b, payload);
  return b;
}

inline Bytes tcp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  app16(b, sport);
  app16(b, dport);
  app32(b, 0x01020304);
  app32(b, 0);
  b.push_back(0x50);
  b.push_back(0x18);
  app16(b, 0xFFFF);
  app16(b, 0);
  app16(b, 0);
  app(b, payload);
  return b;
}

// GTPv1-U G-PDU header (no optional fields) around an inner IP packet.
inline Bytes gtpu(uint32_t teid, const Bytes& inner) {
  Bytes b = {0x30, 0xFF};
  app16(b, uint16_t(inner.size()));
  app32(b, teid);
  app(b, inner);
  return b;
}

inline Bytes payload(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 31);
  return b;
}

inline void swap_ranges_in(Bytes& b, size_t a, size_t c, size_t n) {
  for (size_t i = 0; i < n; ++i) std::swap(b.at(a + i), b.at(c + i));
}

}  // namespace broker::coretest
