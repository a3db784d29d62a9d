// Distribution quality: how evenly a group spreads load over its members, through the soft
// card (the native core + TX meter, packet timestamps as the clock), with the driver
// programming it exactly as brokerd does.
//   balance.tsv     max/mean per-member load for crc32 vs xor16 (static), crc32 dynamic, and
//                   the ideal (sessions packed largest-first onto the least-loaded member: the
//                   best any balancer that keeps a hash key together can do), on the real
//                   captures and synthetic mixes
//   elephant_{static,dynamic}.tsv  per-member utilization over time, a mix where a few
//                   sessions carry most bytes
//   membership.tsv  per-member utilization over time while a member joins, then one leaves
//   summary.tsv     the headline numbers
//
//   bench_dist --out DIR [--captures DIR] [--quick]
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "bench_common.h"
#include "pcap_source.h"
#include "soft_card.h"

namespace bb = broker::bench;
namespace core = broker::core;
namespace v1 = broker::v1;
namespace fs = std::filesystem;

namespace {

using FrameFn = std::function<void(uint8_t port, uint64_t ts_ns, const uint8_t* data, uint32_t len)>;

// A traffic set, replayable any number of times with identical frames.
struct Source {
  std::string name;
  enum Kind { kGen, kUniform, kPcaps } kind = kGen;
  uint32_t sessions = 0;  // kGen: sessions; kUniform: flows
  uint64_t seed = 1;
  uint64_t duration_ms = 2000;
  std::vector<std::string> pcaps;

  void each(const FrameFn& fn) const {
    if (kind == kGen) {
      broker::tools::TrafficOptions o;
      o.seed = seed;
      o.sessions = sessions;
      o.duration_ms = duration_ms;
      broker::tools::TrafficGenerator gen(o);
      broker::tools::GeneratedFrame g;
      while (gen.next(g)) fn(g.point, g.ts_ns, g.bytes.data(), uint32_t(g.bytes.size()));
    } else if (kind == kUniform) {
      // Every flow the same: 16 frames of 64 bytes each, flows interleaved, 1 Mpps.
      const auto frames = bb::make_udp_frames(sessions * 16, sessions, 60, seed);
      for (const auto& f : frames) fn(f.in_port, f.ts_ns, f.data(), f.len);
    } else {
      uint64_t base = 0;  // captures one after another on one clock, 1 ms apart
      for (const auto& p : pcaps) {
        broker::io::PcapSource src(p);
        broker::io::FrameView v;
        uint64_t first = 0, last = 0;
        bool any = false;
        while (src.next(v)) {
          if (!any) first = v.ts_ns, any = true;
          const uint64_t t = base + (v.ts_ns >= first ? v.ts_ns - first : 0);
          last = std::max(last, t);
          fn(0, t, v.data.data(), uint32_t(v.data.size()));
        }
        base = last + 1000000;
      }
    }
  }
};

struct Load {
  std::vector<uint64_t> pkts, bytes;  // per member slot
};

double max_over_mean(const std::vector<uint64_t>& v) {
  double sum = 0, mx = 0;
  for (auto x : v) sum += double(x), mx = std::max(mx, double(x));
  return sum > 0 ? mx / (sum / double(v.size())) : 0;
}

// The scenario runner: a SoftCard + Driver, one group over ports 0..members-1.
struct Run {
  const bb::GroupParams params;
  broker::cards::SoftCard card;
  broker::driver::Driver driver;
  uint64_t bin_ns;
  uint64_t t0 = 0;
  bool started = false;
  std::vector<std::array<uint64_t, core::kOutPorts>> bins;  // wire bytes per port per bin
  std::array<uint64_t, core::kOutPorts> pkts{}, bytes{};
  // per hash key: the last member and whether it ever changed
  struct KeyInfo { uint8_t port; bool moved; uint64_t bytes, pkts; };
  std::unordered_map<std::string, KeyInfo> keys;
  uint64_t frames = 0, dropped = 0;
  std::function<void(Run&, uint64_t ts)> on_frame;  // membership changes

  Run(const bb::GroupParams& p, uint64_t bin) : params(p), driver(card), bin_ns(bin) {
    driver.apply(bb::make_config(p));
  }
  const core::FrameResult& feed(uint8_t port, uint64_t ts, const uint8_t* data, uint32_t len) {
    if (!started) t0 = ts, started = true;
    if (on_frame) on_frame(*this, ts);
    const auto& r = card.forward(port, ts, data, len);
    ++frames;
    const uint8_t out = r.decision.out_port;
    if (out == core::kNoPort) {
      ++dropped;
      return r;
    }
    ++pkts[out];
    bytes[out] += len;
    const uint64_t b = ts >= t0 ? (ts - t0) / bin_ns : 0;
    if (b < 100000) {
      if (bins.size() <= b) bins.resize(b + 1, {});
      bins[b][out] += len + 20 + 4;  // + FCS, preamble and gap: bytes on the wire
    }
    std::string k(reinterpret_cast<const char*>(r.key), core::kKeyBytes);
    auto [it, fresh] = keys.try_emplace(std::move(k), KeyInfo{out, false, 0, 0});
    if (!fresh && it->second.port != out) it->second.moved = true, it->second.port = out;
    it->second.bytes += len;
    ++it->second.pkts;
    return r;
  }
  void run(const Source& s) {
    s.each([this](uint8_t p, uint64_t ts, const uint8_t* d, uint32_t l) { feed(p, ts, d, l); });
  }
  Load load(int members) const {
    Load l;
    for (int m = 0; m < members; ++m) l.pkts.push_back(pkts[m]), l.bytes.push_back(bytes[m]);
    return l;
  }
  uint64_t moved_keys() const {
    uint64_t n = 0;
    for (const auto& [k, v] : keys) n += v.moved;
    return n;
  }
  // Utilization in percent of the port speed per bin.
  double util_pct(size_t bin, int port) const {
    const double bits = double(bins[bin][port]) * 8;
    return 100.0 * bits / (double(params.speed_mbps) * 1e6 * double(bin_ns) / 1e9);
  }
};

// Largest first onto the least-loaded member.
double ideal_max_over_mean(std::vector<uint64_t> units, int members) {
  std::sort(units.rbegin(), units.rend());
  std::vector<uint64_t> load(size_t(members), 0);
  for (auto u : units) *std::min_element(load.begin(), load.end()) += u;
  return max_over_mean(load);
}

// Offered load of a source: the 95th percentile of its wire rate over 10 ms bins (the mean
// would leave busy stretches far above any threshold set from it).
double offered_mbps(const Source& s) {
  std::vector<double> bins;
  uint64_t t0 = 0;
  bool started = false;
  s.each([&](uint8_t, uint64_t ts, const uint8_t*, uint32_t len) {
    if (!started) t0 = ts, started = true;
    const size_t b = ts >= t0 ? size_t((ts - t0) / 10'000'000) : 0;
    if (b >= 100000) return;
    if (bins.size() <= b) bins.resize(b + 1, 0);
    bins[b] += double(len + 24) * 8 / 0.01 / 1e6;
  });
  return bb::percentile(bins, 95);
}

// Dynamic-mode parameters for a source: member speed such that, at the source's p95 rate,
// the mean member is at 50%;
// threshold at that mean, buckets free after 1 ms idle, 1 ms utilization windows.
bb::GroupParams dynamic_params(double offered, int members) {
  bb::GroupParams p;
  p.mode = v1::MODE_DYNAMIC;
  p.members = members;
  p.speed_mbps = std::max<uint64_t>(1, uint64_t(offered / members / 0.5));
  p.threshold_bp = 5000;
  p.idle_us = 1000;
  p.window_us = 1000;
  return p;
}

void write_bins(const std::string& path, const Run& r, int ports, uint64_t every = 1) {
  FILE* f = std::fopen(path.c_str(), "w");
  std::fprintf(f, "time_ms");
  for (int p = 0; p < ports; ++p) std::fprintf(f, "\ttool-%d", p + 1);
  std::fprintf(f, "\n");
  for (size_t b = 0; b < r.bins.size(); b += every) {
    std::fprintf(f, "%.1f", double(b * r.bin_ns) / 1e6);
    for (int p = 0; p < ports; ++p) std::fprintf(f, "\t%.2f", r.util_pct(b, p));
    std::fprintf(f, "\n");
  }
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, captures;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out_dir = argv[++i];
    else if (a == "--captures" && i + 1 < argc) captures = argv[++i];
    else if (a == "--quick") quick = true;
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "usage: bench_dist --out DIR [--captures DIR] [--quick]\n");
    return 2;
  }
  fs::create_directories(out_dir);
  FILE* summary = std::fopen((out_dir + "/summary.tsv").c_str(), "w");
  std::fprintf(summary, "metric\tvalue\n");
  constexpr int kMembers = 4;

  // ---- 1. balance by hash function --------------------------------------------------
  std::vector<Source> sources;
  if (!captures.empty() && fs::is_directory(captures)) {
    Source s;
    s.name = "real captures (all, merged)";
    s.kind = Source::kPcaps;
    for (const auto& e : fs::directory_iterator(captures)) {
      const auto ext = e.path().extension().string();
      if (ext == ".pcap" || ext == ".pcapng") s.pcaps.push_back(e.path().string());
    }
    std::sort(s.pcaps.begin(), s.pcaps.end());
    // Keep only the captures the reader accepts (a few use link types the broker refuses).
    std::vector<std::string> ok;
    for (const auto& p : s.pcaps) {
      try {
        broker::io::PcapSource src(p);
        broker::io::FrameView v;
        while (src.next(v)) {}
        ok.push_back(p);
      } catch (const std::exception&) {
      }
    }
    s.pcaps = ok;
    if (!s.pcaps.empty()) sources.push_back(s);
    std::fprintf(summary, "real_captures_used\t%zu\n", ok.size());
  }
  for (uint32_t n : {100u, 1000u, 10000u}) {
    Source u;
    u.name = fmt::format("uniform, {} flows", n);
    u.kind = Source::kUniform;
    u.sessions = n;
    u.seed = 11;
    sources.push_back(u);
  }
  for (uint32_t n : quick ? std::vector<uint32_t>{1000u} : std::vector<uint32_t>{1000u, 10000u}) {
    Source g;
    g.name = fmt::format("generated mix, {} sessions", n);
    g.kind = Source::kGen;
    g.sessions = n;
    g.seed = 5;
    g.duration_ms = 2000;
    sources.push_back(g);
  }

  FILE* bal = std::fopen((out_dir + "/balance.tsv").c_str(), "w");
  std::fprintf(bal, "traffic\tframes\tkeys\tcrc32_static\txor16_static\tcrc32_dynamic\tideal\t"
                    "crc32_static_pkts\txor16_static_pkts\tcrc32_dynamic_pkts\tideal_pkts\t"
                    "dynamic_moved_keys\n");
  for (const auto& s : sources) {
    std::fprintf(stderr, "bench_dist: balance: %s\n", s.name.c_str());
    bb::GroupParams pc, px;
    pc.members = px.members = kMembers;
    px.hash = v1::HASH_XOR16;
    Run rc(pc, 10'000'000), rx(px, 10'000'000);
    rc.run(s);
    rx.run(s);
    std::vector<uint64_t> ub, up;
    for (const auto& [k, v] : rc.keys) ub.push_back(v.bytes), up.push_back(v.pkts);
    std::string dyn = "", dyn_p = "", moved = "";
    double dyn_v = 0;
    if (s.kind != Source::kPcaps) {
      const double offered = offered_mbps(s);
      Run rd(dynamic_params(offered, kMembers), 10'000'000);
      rd.run(s);
      dyn_v = max_over_mean(rd.load(kMembers).bytes);
      dyn = fmt::format("{:.3f}", dyn_v);
      dyn_p = fmt::format("{:.3f}", max_over_mean(rd.load(kMembers).pkts));
      moved = fmt::format("{}", rd.moved_keys());
    } else {
      dyn = dyn_p = moved = "n/a";
    }
    const Load lc = rc.load(kMembers), lx = rx.load(kMembers);
    std::fprintf(bal, "%s\t%llu\t%zu\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%s\t%.3f\t%s\n", s.name.c_str(),
                 (unsigned long long)rc.frames, rc.keys.size(), max_over_mean(lc.bytes),
                 max_over_mean(lx.bytes), dyn.c_str(), ideal_max_over_mean(ub, kMembers),
                 max_over_mean(lc.pkts), max_over_mean(lx.pkts), dyn_p.c_str(),
                 ideal_max_over_mean(up, kMembers), moved.c_str());
    std::fflush(bal);
  }
  std::fclose(bal);

  // ---- 2. elephants: static vs dynamic, utilization over time ------------------------
  {
    Source s;
    s.name = "elephant mix";
    s.kind = Source::kGen;
    s.sessions = 2000;
    s.seed = 9;
    s.duration_ms = 1000;
    const double offered = offered_mbps(s);
    bb::GroupParams ps = dynamic_params(offered, kMembers);
    ps.mode = v1::MODE_STATIC;
    bb::GroupParams pd = dynamic_params(offered, kMembers);
    Run rs(ps, 10'000'000), rd(pd, 10'000'000);
    std::fprintf(stderr, "bench_dist: elephants (offered %.0f Mbit/s, members at %llu Mbit/s)\n",
                 offered, (unsigned long long)ps.speed_mbps);
    rs.run(s);
    rd.run(s);
    write_bins(out_dir + "/elephant_static.tsv", rs, kMembers);
    write_bins(out_dir + "/elephant_dynamic.tsv", rd, kMembers);
    // Elephant share of bytes: the top 1% of keys.
    std::vector<uint64_t> kb;
    uint64_t total = 0;
    for (const auto& [k, v] : rs.keys) kb.push_back(v.bytes), total += v.bytes;
    std::sort(kb.rbegin(), kb.rend());
    uint64_t top = 0;
    const size_t ntop = std::max<size_t>(1, kb.size() / 100);
    for (size_t i = 0; i < ntop; ++i) top += kb[i];
    auto peak = [&](const Run& r) {
      double pk = 0;
      // skip the ramp-up and the tail: bins where the total is under half of its mean
      for (size_t b = 0; b < r.bins.size(); ++b)
        for (int m = 0; m < kMembers; ++m) pk = std::max(pk, r.util_pct(b, m));
      return pk;
    };
    auto mean_max_over_mean = [&](const Run& r) {
      double acc = 0;
      int n = 0;
      for (size_t b = 0; b < r.bins.size(); ++b) {
        std::vector<uint64_t> v(r.bins[b].begin(), r.bins[b].begin() + kMembers);
        uint64_t t = 0;
        for (auto x : v) t += x;
        if (t == 0) continue;
        acc += max_over_mean(v);
        ++n;
      }
      return n ? acc / n : 0;
    };
    std::fprintf(summary, "elephant_offered_mbps\t%.0f\n", offered);
    std::fprintf(summary, "elephant_member_speed_mbps\t%llu\n", (unsigned long long)ps.speed_mbps);
    std::fprintf(summary, "elephant_keys\t%zu\n", kb.size());
    std::fprintf(summary, "elephant_top1pct_keys_byte_share\t%.3f\n", double(top) / double(total));
    std::fprintf(summary, "elephant_static_peak_util_pct\t%.1f\n", peak(rs));
    std::fprintf(summary, "elephant_dynamic_peak_util_pct\t%.1f\n", peak(rd));
    std::fprintf(summary, "elephant_static_max_mean_bytes\t%.3f\n", max_over_mean(rs.load(kMembers).bytes));
    std::fprintf(summary, "elephant_dynamic_max_mean_bytes\t%.3f\n", max_over_mean(rd.load(kMembers).bytes));
    std::fprintf(summary, "elephant_static_mean_bin_max_mean\t%.3f\n", mean_max_over_mean(rs));
    std::fprintf(summary, "elephant_dynamic_mean_bin_max_mean\t%.3f\n", mean_max_over_mean(rd));
    std::fprintf(summary, "elephant_dynamic_moved_keys\t%llu\n", (unsigned long long)rd.moved_keys());
    std::fprintf(summary, "elephant_dynamic_threshold_avoids\t%llu\n",
                 (unsigned long long)rd.driver.counters().threshold_avoids);
  }

  // ---- 3. membership change: add a member at 1/3, remove one at 2/3 -------------------
  {
    Source s;
    s.name = "membership";
    s.kind = Source::kUniform;
    s.sessions = 20000;  // 320k frames, 1 Mpps: 320 ms
    s.seed = 13;
    bb::GroupParams p;
    p.members = kMembers;
    p.speed_mbps = 1000;  // 1 Mpps of 64-byte frames is 672 Mbit/s: ~17% of 4 members
    Run r(p, 5'000'000);
    const uint64_t span = uint64_t(s.sessions) * 16 * 1000;
    // Per phase: each key's member, and bytes per port.
    struct Phase {
      std::unordered_map<std::string, uint8_t> member;
      std::array<uint64_t, core::kOutPorts> bytes{};
    };
    std::vector<Phase> phases(3);
    int phase = 0;
    r.on_frame = [&](Run& run, uint64_t ts) {
      const uint64_t rel = ts - run.t0;
      if (phase == 0 && rel >= span / 3) {
        run.driver.add_member("g", kMembers);  // tool-5 joins
        phase = 1;
      } else if (phase == 1 && rel >= 2 * span / 3) {
        run.driver.remove_member("g", 1);      // tool-2 leaves
        phase = 2;
      }
    };
    s.each([&](uint8_t port, uint64_t ts, const uint8_t* d, uint32_t l) {
      const auto& res = r.feed(port, ts, d, l);
      if (res.decision.out_port == core::kNoPort) return;
      phases[size_t(phase)].member[std::string(reinterpret_cast<const char*>(res.key), core::kKeyBytes)] =
          res.decision.out_port;
      phases[size_t(phase)].bytes[res.decision.out_port] += l;
    });
    // Keys seen on both sides of a change, and how many of them changed member.
    auto moved = [&](int a, uint64_t& both, uint64_t& changed, uint64_t& changed_not_leaving,
                     int leaving) {
      both = changed = changed_not_leaving = 0;
      for (const auto& [k, m] : phases[size_t(a)].member) {
        auto it = phases[size_t(a + 1)].member.find(k);
        if (it == phases[size_t(a + 1)].member.end()) continue;
        ++both;
        if (it->second != m) {
          ++changed;
          if (m != leaving) ++changed_not_leaving;
        }
      }
    };
    uint64_t b1, c1, n1, b2, c2, n2;
    moved(0, b1, c1, n1, -1);
    moved(1, b2, c2, n2, 1);
    std::fprintf(summary, "membership_dropped_frames\t%llu\n", (unsigned long long)r.dropped);
    std::fprintf(summary, "membership_add_keys_moved_share\t%.4f\n", b1 ? double(c1) / double(b1) : 0);
    std::fprintf(summary, "membership_remove_keys_moved_share\t%.4f\n", b2 ? double(c2) / double(b2) : 0);
    std::fprintf(summary, "membership_remove_keys_moved_not_from_leaving\t%llu\n", (unsigned long long)n2);
    FILE* sh = std::fopen((out_dir + "/membership_shares.tsv").c_str(), "w");
    std::fprintf(sh, "member\tphase1_4_members\tphase2_tool5_joined\tphase3_tool2_left\n");
    for (int m = 0; m <= kMembers; ++m) {
      std::fprintf(sh, "tool-%d", m + 1);
      for (int ph = 0; ph < 3; ++ph) {
        uint64_t t = 0;
        for (auto x : phases[size_t(ph)].bytes) t += x;
        std::fprintf(sh, "\t%.3f", t ? double(phases[size_t(ph)].bytes[size_t(m)]) / double(t) : 0);
      }
      std::fprintf(sh, "\n");
    }
    std::fclose(sh);
    write_bins(out_dir + "/membership.tsv", r, kMembers + 1);
  }
  std::fclose(summary);
  return 0;
}
