#include "bench_common.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "broker_regmap.h"
#include "native/pipeline.h"
#include "soft_card.h"

namespace broker::bench {

v1::Config make_config(const GroupParams& p) {
  v1::Config c;
  c.set_name("bench");
  if (p.window_us) c.set_utilization_window_us(p.window_us);
  for (int i = 0; i < p.in_ports; ++i) {
    auto* in = c.add_ingress_ports();
    in->set_port(uint32_t(i));
    in->set_name(fmt::format("tap-{}", i + 1));
  }
  for (int m = 0; m < core::kOutPorts; ++m) {
    auto* e = c.add_egress_ports();
    e->set_port(uint32_t(m));
    e->set_name(fmt::format("tool-{}", m + 1));
    e->set_speed_mbps(p.speed_mbps);
  }
  auto* g = c.add_groups();
  g->set_name("g");
  for (int i = 0; i < p.in_ports; ++i) g->add_ingress_ports(uint32_t(i));
  for (int m = 0; m < p.members; ++m) g->add_members(uint32_t(m));
  g->set_hash(p.hash);
  g->set_symmetric(p.symmetric);
  for (auto t : {v1::SRC_IP, v1::DST_IP, v1::SRC_PORT, v1::DST_PORT, v1::IP_PROTO}) g->add_tuple(t);
  g->set_mode(p.mode);
  if (p.threshold_bp) g->set_utilization_threshold_bp(p.threshold_bp);
  if (p.idle_us) g->set_idle_timeout_us(p.idle_us);
  return c;
}

namespace {

// The register map's entry of a register offset (nullptr: unmapped).
const regmap::RegInfo* reg_info(uint32_t offset) {
  static const std::vector<const regmap::RegInfo*> by_word = [] {
    std::vector<const regmap::RegInfo*> v(regmap::kAperture / 4, nullptr);
    for (const auto& r : regmap::kRegisters)
      for (uint32_t i = 0; i < r.count; ++i) v[(r.offset + i * r.stride) / 4] = &r;
    return v;
  }();
  return offset % 4 == 0 && offset < regmap::kAperture ? by_word[offset / 4] : nullptr;
}

}  // namespace

MirrorBus::MirrorBus()
    : card(std::make_unique<cards::SoftCard>()), pipeline(std::make_unique<core::Pipeline>()) {
  // The register map's reset values, as the soft card gives them to its core.
  for (const auto& r : regmap::kRegisters)
    if (r.access == regmap::Access::kRW)
      for (uint32_t i = 0; i < r.count; ++i) pipeline->post_csr(r.offset + i * r.stride, r.reset);
  pipeline->flush_csr(0);
}

MirrorBus::~MirrorBus() = default;

uint32_t MirrorBus::read32(uint32_t offset) { return card->read32(offset); }

std::string MirrorBus::describe() const { return "bench mirror of " + card->describe(); }

void MirrorBus::write32(uint32_t offset, uint32_t value) {
  card->write32(offset, value);  // throws on an unmapped offset, as the card does
  const regmap::RegInfo* r = reg_info(offset);
  if (r && r->access != regmap::Access::kRO) pipeline->write_csr(offset, value, 0);
}

namespace {

void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }

// IPv4 header checksum (so the frames are valid on any tool; the core does not check it).
uint16_t ip_csum(const uint8_t* h) {
  uint32_t s = 0;
  for (int i = 0; i < 20; i += 2) s += (uint32_t(h[i]) << 8) | h[i + 1];
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return uint16_t(~s);
}

struct Tuple { uint32_t sip, dip; uint16_t sp, dp; };

std::vector<Tuple> random_tuples(uint32_t flows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tuple> t(flows);
  for (auto& x : t) {
    x.sip = 0x0A000000u | uint32_t(rng() & 0xFFFFFF);
    x.dip = 0xC0A80000u | uint32_t(rng() & 0xFFFF);
    x.sp = uint16_t(1024 + rng() % 60000);
    x.dp = uint16_t((rng() & 1) ? 443 : 1024 + rng() % 60000);
  }
  return t;
}

void fill_udp(BenchFrame& f, const Tuple& t, uint32_t len) {
  f.bytes.assign(len, 0);
  uint8_t* p = f.bytes.data();
  const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x02}, smac[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(p, dmac, 6);
  std::memcpy(p + 6, smac, 6);
  put16(p + 12, 0x0800);
  uint8_t* ip = p + 14;
  ip[0] = 0x45;
  put16(ip + 2, uint16_t(len - 14));
  ip[8] = 64;
  ip[9] = 17;
  for (int i = 0; i < 4; ++i) ip[12 + i] = uint8_t(t.sip >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) ip[16 + i] = uint8_t(t.dip >> (24 - 8 * i));
  put16(ip + 10, ip_csum(ip));
  uint8_t* udp = ip + 20;
  put16(udp, t.sp);
  put16(udp + 2, t.dp);
  put16(udp + 4, uint16_t(len - 34));
  f.len = len;
}

}  // namespace

std::vector<BenchFrame> make_udp_frames(uint32_t count, uint32_t flows, uint32_t len, uint64_t seed) {
  const auto tuples = random_tuples(flows, seed);
  std::vector<BenchFrame> v(count);
  for (uint32_t i = 0; i < count; ++i) {
    fill_udp(v[i], tuples[i % flows], len);
    v[i].in_port = uint8_t(i % 8);
    v[i].ts_ns = 1000ull * i;
  }
  return v;
}

std::vector<BenchFrame> make_imix_frames(uint32_t count, uint32_t flows, uint64_t seed) {
  static const uint32_t kPattern[12] = {60, 590, 60, 60, 1514, 60, 590, 60, 590, 60, 60, 590};
  const auto tuples = random_tuples(flows, seed);
  std::vector<BenchFrame> v(count);
  for (uint32_t i = 0; i < count; ++i) {
    fill_udp(v[i], tuples[i % flows], kPattern[i % 12]);
    v[i].in_port = uint8_t(i % 8);
    v[i].ts_ns = 1000ull * i;
  }
  return v;
}

std::vector<BenchFrame> make_generated_frames(uint32_t max_count, uint32_t sessions,
                                              const std::vector<tools::SessionKind>& kinds,
                                              uint64_t seed) {
  tools::TrafficOptions o;
  o.seed = seed;
  o.sessions = sessions;
  tools::TrafficGenerator gen(o);
  std::vector<BenchFrame> v;
  tools::GeneratedFrame g;
  while (v.size() < max_count && gen.next(g)) {
    const auto kind = gen.sessions()[g.session].kind;
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) continue;
    BenchFrame f;
    f.in_port = g.point;
    f.len = uint32_t(g.bytes.size());
    f.ts_ns = g.ts_ns;
    f.bytes = std::move(g.bytes);
    v.push_back(std::move(f));
  }
  return v;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double r = p / 100.0 * double(v.size() - 1);
  const size_t lo = size_t(r);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (r - double(lo));
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      return c == std::string::npos ? line : line.substr(c + 2);
    }
  return "unknown";
}

int cpu_count() { return int(std::thread::hardware_concurrency()); }

std::string compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace broker::bench
