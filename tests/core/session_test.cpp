// Session preservation (DESIGN.md "Selection"): every packet of a session, both directions,
// and every fragment of an IP datagram leaves on one tool port; nothing is dropped; the
// counters add up. Run over every shared capture in static mode, dynamic mode with calm
// utilization, and dynamic mode with utilization that forces new buckets away from busy ports.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core_test_util.h"
#include "testdata.h"

namespace {

using namespace broker::coretest;

using Ip = std::array<uint8_t, 16>;
using Endpoint = std::pair<Ip, uint16_t>;

Ip ip_of(const uint8_t a[16]) {
  Ip ip;
  memcpy(ip.data(), a, 16);
  return ip;
}

// ---- Finding the fragment identification in the frame bytes ----------------------------
// The parser does not export the IP ID, so the test finds the outer IP header by the
// addresses the parser reported and reads the identification itself.

std::optional<uint32_t> ipv4_id(const std::vector<uint8_t>& d, const PacketFields& f) {
  for (size_t o = 14; o + 20 <= d.size() && o < kParseBytes; ++o) {
    if ((d[o] >> 4) != 4 || (d[o] & 0x0F) < 5) continue;
    if (memcmp(&d[o + 12], f.src_ip + 12, 4) == 0 && memcmp(&d[o + 16], f.dst_ip + 12, 4) == 0)
      return uint32_t(d[o + 4] << 8 | d[o + 5]);
  }
  return std::nullopt;
}

std::optional<uint32_t> ipv6_frag_id(const std::vector<uint8_t>& d, const PacketFields& f) {
  for (size_t o = 14; o + 40 <= d.size() && o < kParseBytes; ++o) {
    if ((d[o] >> 4) != 6) continue;
    if (memcmp(&d[o + 8], f.src_ip, 16) != 0 || memcmp(&d[o + 24], f.dst_ip, 16) != 0) continue;
    uint8_t nh = d[o + 6];
    size_t p = o + 40;
    for (int hops = 0; hops < 16 && p + 8 <= d.size(); ++hops) {
      if (nh == 44)
        return uint32_t(d[p + 4]) << 24 | uint32_t(d[p + 5]) << 16 | uint32_t(d[p + 6]) << 8 | d[p + 7];
      if (nh == 0 || nh == 43 || nh == 60) {
        const size_t len = (size_t(d[p + 1]) + 1) * 8;
        nh = d[p];
        p += len;
      } else if (nh == 51) {  // AH
        const size_t len = (size_t(d[p + 1]) + 2) * 4;
        nh = d[p];
        p += len;
      } else {
        break;
      }
    }
  }
  return std::nullopt;
}

// ---- Grouping -------------------------------------------------------------------------

// A bidirectional session, or one IP datagram's fragments, or a non-IP MAC pair.
struct GroupKey {
  int kind;  // 0 session, 1 fragments, 2 non-IP
  uint8_t version, proto;
  Endpoint a, b;
  uint32_t ident;
  bool ident_known;
  auto tie() const { return std::tie(kind, version, proto, a, b, ident, ident_known); }
  bool operator<(const GroupKey& o) const { return tie() < o.tie(); }
};

GroupKey group_of(const std::vector<uint8_t>& data, const PacketFields& f) {
  GroupKey k{};
  if (f.ip_version == 0) {
    k.kind = 2;
    Ip s{}, d{};
    memcpy(s.data(), f.src_mac, 6);
    memcpy(d.data(), f.dst_mac, 6);
    k.a = {s, 0};
    k.b = {d, 0};
    if (k.b < k.a) std::swap(k.a, k.b);
    return k;
  }
  k.version = f.ip_version;
  k.proto = f.l4_proto;
  if (f.fragment) {
    k.kind = 1;
    k.a = {ip_of(f.src_ip), 0};
    k.b = {ip_of(f.dst_ip), 0};
    const auto id = f.ip_version == 4 ? ipv4_id(data, f) : ipv6_frag_id(data, f);
    k.ident_known = id.has_value();
    k.ident = id.value_or(0);
    return k;
  }
  k.kind = 0;
  k.a = {ip_of(f.src_ip), f.src_port};
  k.b = {ip_of(f.dst_ip), f.dst_port};
  if (k.b < k.a) std::swap(k.a, k.b);
  return k;
}

// ---- Runs -----------------------------------------------------------------------------

enum class Run { kStatic, kDynamicCalm, kDynamicBusy };

const char* run_name(Run r) {
  switch (r) {
    case Run::kStatic: return "static";
    case Run::kDynamicCalm: return "dynamic-calm";
    case Run::kDynamicBusy: return "dynamic-busy";
  }
  return "?";
}

// Busy run: the utilization pattern changes every few frames, so that at any time one or two
// members sit at or above the threshold and new buckets mapped there must move away.
constexpr uint16_t kBusyThreshold = 5000;
void busy_util(uint64_t frame_index, int members, uint16_t util[kOutPorts]) {
  const uint64_t phase = frame_index / 5;
  for (int p = 0; p < kOutPorts; ++p) util[p] = 0;
  for (int p = 0; p < members; ++p) {
    if (uint64_t(p) == phase % members)
      util[p] = kBusyThreshold;                                           // exactly at
    else if (uint64_t(p) == (phase * 3 + 1) % members)
      util[p] = uint16_t(kBusyThreshold + 1 + (phase * 37 + p * 11) % 4000);  // above
    else
      util[p] = uint16_t((phase * 131 + p * 977) % kBusyThreshold);       // below
  }
}

struct Totals {
  uint64_t frames = 0, groups_multi = 0, sessions = 0, datagrams = 0, nonip_pairs = 0;
  uint64_t violations = 0, drops = 0, avoids = 0, new_flows = 0, bad_avoid_choice = 0;
  uint64_t captures = 0, datagrams_without_id = 0, bad_dynamic_choice = 0;
};

void run_capture(const Capture& cap, int members, Run run, Totals& t) {
  SCOPED_TRACE(cap.name + " / " + run_name(run) + " / " + std::to_string(members) + " members");
  auto cfg = make_config(members, run == Run::kStatic ? kModeStatic : kModeDynamic);
  GroupConfig& g = cfg->group[0];
  if (run == Run::kDynamicCalm) {
    g.threshold_bp = 10000;  // never reached
    g.idle_us = 0xFFFFFFFFu;
  } else if (run == Run::kDynamicBusy) {
    g.threshold_bp = kBusyThreshold;
    g.idle_us = 0xFFFFFFFFu;
  }
  TestCore core(*cfg);
  uint16_t util[kOutPorts] = {};

  struct Seen {
    std::set<uint8_t> ports;
    uint64_t frames = 0;
    uint64_t first_frame = 0;
  };
  std::map<GroupKey, Seen> groups;
  std::map<uint16_t, int> bucket_port;  // dynamic: the member each bucket was given
  std::map<uint16_t, uint64_t> bucket_seen_us;  // dynamic: when each bucket last had a packet
  uint64_t in_bytes = 0, index = 0;
  FrameResult r;
  for (const auto& fr : cap.frames) {
    ++index;
    if (run == Run::kDynamicBusy) busy_util(index, members, util);
    const uint32_t len = uint32_t(fr.data.size());
    const uint64_t now_us = fr.ts_ns / 1000;
    r = core.forward(fr.data, 0, now_us, util);
    in_bytes += len;
    const Decision& d = r.decision;
    if (d.out_port == kNoPort) {
      ++t.drops;
      ADD_FAILURE() << "frame " << index << " dropped";
      continue;
    }
    EXPECT_LT(d.out_port, members) << "frame " << index << " left on a port outside the group";
    if (run != Run::kStatic && !d.frag_follow) {
      // (A later fragment that follows its first fragment touches no bucket.)
      // The dynamic rule (DESIGN.md): an assigned bucket keeps its member until unseen for
      // longer than the idle timeout (some captures jump years between frames; a time before
      // the last sighting counts as no silence); a free bucket gets the static choice
      // (round-robin table: slot bucket % members on port slot), unless that member is at or
      // above the threshold, then the least-utilized live member.
      auto held = bucket_port.find(d.bucket);
      if (held != bucket_port.end()) {
        const uint64_t last = bucket_seen_us[d.bucket];
        if (now_us > last && now_us - last > g.idle_us) {
          bucket_port.erase(held);
          held = bucket_port.end();
        }
      }
      if (bucket_seen_us[d.bucket] < now_us) bucket_seen_us[d.bucket] = now_us;
      int want;
      if (held != bucket_port.end()) {
        EXPECT_FALSE(d.new_flow) << "frame " << index << ": bucket " << d.bucket
                                 << " was assigned and never idle, yet counted as a new flow";
        want = held->second;
      } else {
        EXPECT_TRUE(d.new_flow) << "frame " << index << ": first packet of bucket " << d.bucket;
        want = d.bucket % members;
        if (util[want] >= g.threshold_bp) {
          int best = 0;
          for (int p = 1; p < members; ++p)
            if (util[p] < util[best]) best = p;
          want = best;
        }
        bucket_port[d.bucket] = want;
      }
      if (d.out_port != want) {
        ++t.bad_dynamic_choice;
        ADD_FAILURE() << "frame " << index << " bucket " << d.bucket << ": out port "
                      << int(d.out_port) << ", the dynamic rule gives " << want;
      }
    }
    if (d.avoided) {
      ++t.avoids;
      // The replacement is the least-utilized live member (lowest slot on a tie).
      int best = 0;
      for (int p = 1; p < members; ++p)
        if (util[p] < util[best]) best = p;
      if (d.out_port != best) {
        ++t.bad_avoid_choice;
        ADD_FAILURE() << "frame " << index << ": avoided to port " << int(d.out_port)
                      << " but the least utilized member is port " << best;
      }
    }
    if (d.new_flow) ++t.new_flows;
    Seen& s = groups[group_of(fr.data, r.fields)];
    if (s.frames == 0) s.first_frame = index;
    ++s.frames;
    s.ports.insert(d.out_port);
  }

  for (const auto& [k, s] : groups) {
    if (s.frames < 2) continue;
    ++t.groups_multi;
    if (k.kind == 0) ++t.sessions;
    if (k.kind == 1) ++t.datagrams;
    if (k.kind == 1 && !k.ident_known) ++t.datagrams_without_id;
    if (k.kind == 2) ++t.nonip_pairs;
    if (s.ports.size() != 1) {
      ++t.violations;
      std::string ports;
      for (auto p : s.ports) ports += " " + std::to_string(p);
      ADD_FAILURE() << (k.kind == 0 ? "session" : k.kind == 1 ? "fragmented datagram" : "MAC pair")
                    << " first seen at frame " << s.first_frame << " (" << s.frames
                    << " frames) left on ports" << ports;
    }
  }

  // Nothing dropped, and the counters add up.
  const CoreCounters c = core.counters();
  uint64_t tx_pkts = 0, tx_bytes = 0, rx_pkts = 0, rx_bytes = 0;
  for (int p = 0; p < kOutPorts; ++p) tx_pkts += c.tx_pkts[p], tx_bytes += c.tx_bytes[p];
  for (int p = 0; p < kInPorts; ++p) rx_pkts += c.rx_pkts[p], rx_bytes += c.rx_bytes[p];
  EXPECT_EQ(rx_pkts, cap.frames.size());
  EXPECT_EQ(c.rx_pkts[0], cap.frames.size());
  EXPECT_EQ(rx_bytes, in_bytes);
  EXPECT_EQ(c.unmapped_drops, 0u);
  EXPECT_EQ(tx_pkts, rx_pkts - c.unmapped_drops) << "sum tx_pkts != sum rx_pkts - unmapped_drops";
  EXPECT_EQ(tx_pkts, cap.frames.size()) << "packets in != packets out";
  EXPECT_EQ(tx_bytes, in_bytes) << "bytes in != bytes out";
  EXPECT_EQ(c.grp_pkts[0], cap.frames.size());
  if (run == Run::kStatic) {
    EXPECT_EQ(c.grp_new_flows[0], 0u) << "static mode creates no flows";
    EXPECT_EQ(c.threshold_avoids, 0u);
  } else {
    // Calm/busy: the flow table never expires, so one new flow per distinct bucket.
    EXPECT_GT(c.grp_new_flows[0], 0u);
    EXPECT_LE(c.grp_new_flows[0], uint64_t(kBuckets));
    if (run == Run::kDynamicCalm) {
      EXPECT_EQ(c.threshold_avoids, 0u);
    }
  }
  t.frames += cap.frames.size();
  ++t.captures;
}

void run_all(Run run) {
  Totals t;
  for (const auto& path : broker::testing::shared_captures()) {
    const Capture cap = load_capture(path);
    if (!cap.error.empty()) {
      printf("[ note ] %s refused by PcapSource: %s\n", cap.name.c_str(), cap.error.c_str());
      continue;
    }
    for (int members : {4, 8}) run_capture(cap, members, run, t);
  }
  printf("[ info ] %s: %llu capture runs, %llu frames, %llu multi-frame groups checked "
         "(%llu sessions, %llu fragmented datagrams [%llu without a readable IP ID], %llu non-IP "
         "MAC pairs), %llu violations, "
         "%llu drops, %llu new flows, %llu threshold avoidances\n",
         run_name(run), (unsigned long long)t.captures, (unsigned long long)t.frames,
         (unsigned long long)t.groups_multi, (unsigned long long)t.sessions,
         (unsigned long long)t.datagrams, (unsigned long long)t.datagrams_without_id,
         (unsigned long long)t.nonip_pairs,
         (unsigned long long)t.violations, (unsigned long long)t.drops,
         (unsigned long long)t.new_flows, (unsigned long long)t.avoids);
  ::testing::Test::RecordProperty("frames", int(t.frames));
  ::testing::Test::RecordProperty("sessions", int(t.sessions));
  ::testing::Test::RecordProperty("datagrams", int(t.datagrams));
  EXPECT_GT(t.sessions, 50u) << "suspiciously few multi-frame sessions";
  EXPECT_GT(t.datagrams, 3u) << "suspiciously few fragmented datagrams";
  EXPECT_EQ(t.violations, 0u);
  EXPECT_EQ(t.drops, 0u);
  EXPECT_EQ(t.bad_dynamic_choice, 0u);
  EXPECT_EQ(t.bad_avoid_choice, 0u);
  if (run == Run::kDynamicBusy) {
    EXPECT_GT(t.avoids, 0u) << "the busy run must force some new buckets away from busy ports";
  }
}

TEST(CoreSession, StaticModeKeepsSessionsTogether) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  run_all(Run::kStatic);
}

TEST(CoreSession, DynamicModeCalmKeepsSessionsTogether) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  run_all(Run::kDynamicCalm);
}

TEST(CoreSession, DynamicModeBusyKeepsSessionsTogether) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  run_all(Run::kDynamicBusy);
}

// With no member busy, dynamic mode must choose exactly the static member: a free bucket gets
// "the static choice" unless that member is at or above the threshold.
TEST(CoreSession, DynamicCalmEqualsStatic) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  uint64_t frames = 0;
  for (const auto& path : broker::testing::shared_captures()) {
    const Capture cap = load_capture(path);
    if (!cap.error.empty()) continue;
    auto cs = make_config(8, kModeStatic);
    auto cd = make_config(8, kModeDynamic);
    TestCore as(*cs), ad(*cd);
    FrameResult rs, rd;
    uint64_t index = 0;
    for (const auto& fr : cap.frames) {
      ++index;
      const uint64_t now = fr.ts_ns / 1000;
      rs = as.forward(fr.data, 0, now);
      rd = ad.forward(fr.data, 0, now);
      ASSERT_EQ(rs.decision.out_port, rd.decision.out_port) << cap.name << " frame " << index;
      ASSERT_EQ(rs.decision.hash, rd.decision.hash);
      ++frames;
    }
  }
  RecordProperty("frames", int(frames));
}

}  // namespace
