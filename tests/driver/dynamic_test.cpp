// Issue acceptance for dynamic mode, through the real Driver and SoftCard with packet-time
// utilization (the meter is clocked by frame timestamps, so every figure here is exact):
//  - an active bucket stays on its member even when that member's utilization is above the
//    threshold;
//  - a bucket is free after the idle timeout: the same session then moves away from a busy
//    static member (and not a microsecond earlier);
//  - a new bucket avoids a member at or above the threshold (threshold_avoids counts it);
//  - removing (and adding) a member in the middle of a replay loses no packet, static and
//    dynamic, on generated captures and on shared real captures.
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "decision_log.h"
#include "driver_test_util.h"
#include "replay.h"
#include "testdata.h"

namespace broker::drvtest {
namespace {

constexpr uint64_t kUs = 1000;  // ns

// Group "g" on ingress 0 and 1, members 0..3, dynamic. Port 0 is a 10 Mb/s port: with the
// 1000 us window it carries 10,000 bits (1250 bytes) per window, so a few frames make it
// busy; the others are 100 GbE and stay near 0.
v1::Config dynamic_config(uint32_t threshold_bp, uint32_t idle_us) {
  return parse("name: \"dyn\"\nutilization_window_us: 1000\n"
               "egress_ports { port: 0 name: \"slow\" speed_mbps: 10 }\n" +
               group_text({0, 1, 2, 3}, fmt::format("mode: MODE_DYNAMIC utilization_threshold_bp: {} "
                                                    "idle_timeout_us: {}",
                                                    threshold_bp, idle_us)));
}

struct Dyn {
  explicit Dyn(uint32_t threshold_bp, uint32_t idle_us) {
    drv.apply(dynamic_config(threshold_bp, idle_us));
    hw = *drv.group_index("g");
  }
  int send(const Flow& f, uint64_t ts_ns, uint32_t len, uint8_t in_port = 0) {
    const auto fr = make_frame(f, len);
    last = card.forward(in_port, ts_ns, fr.data(), uint32_t(fr.size())).decision;
    return last.out_port == core::kNoPort ? -1 : int(last.out_port);
  }
  uint16_t bucket(const Flow& f) {
    const auto fr = make_frame(f);
    return card.explain(0, fr.data(), uint32_t(fr.size())).decision.bucket;
  }
  // The static choice for a bucket (indirection table through the member registers).
  int static_port(const Flow& f) { return ports_per_bucket(card, hw)[bucket(f)]; }
  uint32_t util(uint32_t port) { return card.read32(rm::OUT_UTIL_BP_at(port)); }

  cards::SoftCard card;
  driver::Driver drv{card};
  uint32_t hw = 0;
  core::Decision last{};
};

// Flows whose static member is `port`, each in its own bucket, from a seeded stream.
std::vector<Flow> flows_on(Dyn& d, int port, size_t n, uint32_t seed, std::set<uint16_t>& used_buckets) {
  std::vector<Flow> out;
  for (const Flow& f : random_flows(5000, seed)) {
    if (out.size() == n) break;
    if (d.static_port(f) != port) continue;
    if (!used_buckets.insert(d.bucket(f)).second) continue;
    out.push_back(f);
  }
  return out;
}

TEST(DriverDynamic, ActiveBucketStaysThenIsFreeAfterIdleTimeout) {
  constexpr uint32_t kThreshold = 5000, kIdleUs = 20'000;
  Dyn d(kThreshold, kIdleUs);
  std::set<uint16_t> buckets;
  const std::vector<Flow> two = flows_on(d, 0, 2, 11, buckets);
  ASSERT_EQ(two.size(), 2u);
  const Flow s = two[0];  // the session under test
  const Flow t = two[1];  // keeps port 0 busy while s is silent

  // Both start while everything is idle: both go to their static member, port 0.
  uint64_t now = 1'000'000 * kUs;
  ASSERT_EQ(d.send(s, now, 1500), 0);
  EXPECT_TRUE(d.last.new_flow);
  ASSERT_EQ(d.send(t, now += 10 * kUs, 1500), 0);

  // 50 ms of s and t, 1500-byte frames every 250 us each: port 0 runs far above 100 % of its
  // 10 Mb/s, yet s (both directions) and t stay on it: their buckets are active.
  uint32_t max_util = 0;
  for (int i = 0; i < 200; ++i) {
    now += 250 * kUs;
    ASSERT_EQ(d.send(i % 2 ? s : s.reversed(), now, 1500, uint8_t(i % 2)), 0)
        << "active session left its member at step " << i << " (port 0 utilization " << d.util(0) << " bp)";
    EXPECT_FALSE(d.last.new_flow);
    ASSERT_EQ(d.send(t, now + 100 * kUs, 1500), 0);
    max_util = std::max(max_util, d.util(0));
  }
  std::printf("[dynamic] port 0 utilization while both sessions stay on it: %u bp (threshold %u)\n",
              max_util, kThreshold);
  EXPECT_GE(d.util(0), kThreshold) << "port 0 must be above the threshold for this test to mean anything";
  driver::Counters c = d.drv.counters();
  EXPECT_EQ(c.threshold_avoids, 0u);
  EXPECT_EQ(c.groups.at(0).new_flows, 2u);

  // s goes silent; t keeps port 0 busy. Silent for exactly the idle timeout: the bucket is not
  // free yet ("unseen for longer than the idle timeout").
  const uint64_t s_last = now;
  uint64_t t_time = now + 100 * kUs;
  auto keep_busy_until = [&](uint64_t until) {
    while (t_time + 250 * kUs < until) ASSERT_EQ(d.send(t, t_time += 250 * kUs, 1500), 0);
  };
  keep_busy_until(s_last + kIdleUs * kUs);
  ASSERT_GE(d.util(0), kThreshold);
  EXPECT_EQ(d.send(s, s_last + kIdleUs * kUs, 1500), 0)
      << "bucket silent for exactly idle_timeout_us was freed early";
  EXPECT_FALSE(d.last.new_flow);

  // Now silent for idle_timeout_us + 1 us: the bucket is free; its static member (port 0) is
  // above the threshold, so the session is reassigned to the least utilized member.
  const uint64_t s_last2 = s_last + kIdleUs * kUs;
  keep_busy_until(s_last2 + (kIdleUs + 1) * kUs);
  const uint32_t util0 = d.util(0);
  ASSERT_GE(util0, kThreshold);
  const int moved_to = d.send(s, s_last2 + (kIdleUs + 1) * kUs, 1500);
  EXPECT_NE(moved_to, 0) << "session still on port 0 (" << util0 << " bp) after its bucket went idle";
  EXPECT_GE(moved_to, 1);
  EXPECT_LE(moved_to, 3);
  EXPECT_TRUE(d.last.new_flow);
  EXPECT_TRUE(d.last.avoided);
  c = d.drv.counters();
  EXPECT_EQ(c.threshold_avoids, 1u);
  EXPECT_EQ(c.groups.at(0).new_flows, 3u);
  std::printf("[dynamic] after %u us + 1 us idle, the session moved from port 0 (%u bp) to port %d\n",
              kIdleUs, util0, moved_to);

  // And it sticks to its new member, both directions.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(d.send(i % 2 ? s : s.reversed(), s_last2 + (kIdleUs + 2 + i) * kUs, 200), moved_to);
    EXPECT_FALSE(d.last.new_flow);
  }
}

// DESIGN.md: "A bucket unseen for longer than the idle timeout is free." With a 32-bit
// microsecond time base a bucket silent for 2^32 us + 5 us (71.6 min) would look 5 us old and
// stay on a member at 486 % utilization; the core ages flows on a 64-bit time base so it
// does not.
TEST(DriverDynamic, IdleBucketIsFreeEvenAfterTheMicrosecondTimeBaseWraps) {
  constexpr uint32_t kThreshold = 5000, kIdleUs = 20'000;
  Dyn d(kThreshold, kIdleUs);
  std::set<uint16_t> buckets;
  const std::vector<Flow> two = flows_on(d, 0, 2, 11, buckets);
  ASSERT_EQ(two.size(), 2u);
  const Flow s = two[0], t = two[1];
  const uint64_t t0 = 1'000'000 * kUs;
  ASSERT_EQ(d.send(s, t0, 1500), 0);
  const uint64_t back = t0 + ((uint64_t(1) << 32) + 5) * kUs;  // silent for 2^32 + 5 us
  for (int i = 0; i < 12; ++i) ASSERT_EQ(d.send(t, back - 3000 * kUs + uint64_t(i) * 250 * kUs, 1500), 0);
  ASSERT_GE(d.util(0), kThreshold);
  const int port = d.send(s, back, 1500);
  EXPECT_TRUE(d.last.new_flow)
      << "a bucket unseen for 2^32 + 5 us (71.6 min) is taken as 5 us old and kept, although "
         "idle_timeout_us is "
      << kIdleUs << "; DESIGN.md says a bucket unseen for longer than the idle timeout is free";
  EXPECT_NE(port, 0) << "the returning session stayed on port 0 at " << d.util(0)
                     << " bp, above the threshold of " << kThreshold << " bp";
}

// A frame of 605 bytes is 625 wire bytes = 5000 bits: on a 10 Mb/s port with a 1000 us
// window, one such frame per window is a utilization of exactly 5000 bp.
constexpr uint32_t kExactFrame = 605, kExactBp = 5000;

// Drives port 0 with one kExactFrame per window, t's frames at whole windows from t0.
void exact_load(Dyn& d, const Flow& t, uint64_t t0, int windows) {
  for (int w = 0; w < windows; ++w) ASSERT_EQ(d.send(t, t0 + uint64_t(w) * 1000 * kUs, kExactFrame), 0);
}

TEST(DriverDynamic, NewBucketAvoidsAMemberAtTheThresholdButNotBelowIt) {
  for (uint32_t threshold : {kExactBp, kExactBp + 1}) {
    SCOPED_TRACE(fmt::format("threshold {} bp, port 0 at {} bp", threshold, kExactBp));
    Dyn d(threshold, 30'000'000);
    std::set<uint16_t> buckets;
    const std::vector<Flow> f = flows_on(d, 0, 2, 12, buckets);
    ASSERT_EQ(f.size(), 2u);
    const uint64_t t0 = 1'000'000 * kUs;
    exact_load(d, f[0], t0, 5);
    ASSERT_EQ(d.util(0), kExactBp);
    const int port = d.send(f[1], t0 + 4600 * kUs, 64);
    EXPECT_TRUE(d.last.new_flow);
    if (threshold == kExactBp) {
      EXPECT_NE(port, 0) << "a new bucket went to a member exactly at the threshold";
      EXPECT_TRUE(d.last.avoided);
      EXPECT_EQ(d.drv.counters().threshold_avoids, 1u);
    } else {
      EXPECT_EQ(port, 0) << "a new bucket avoided a member below the threshold";
      EXPECT_FALSE(d.last.avoided);
      EXPECT_EQ(d.drv.counters().threshold_avoids, 0u);
    }
  }
}

TEST(DriverDynamic, NewSessionsAvoidABusyMemberAndGoToTheLeastUtilized) {
  constexpr uint32_t kThreshold = 5000;
  Dyn d(kThreshold, 30'000'000);
  std::set<uint16_t> buckets;
  const std::vector<Flow> busy = flows_on(d, 0, 1, 13, buckets);
  ASSERT_EQ(busy.size(), 1u);

  // Record every new session's static member before any traffic makes port 0 busy.
  std::vector<Flow> fresh;
  std::vector<int> static_port;
  for (const Flow& f : random_flows(3000, 14)) {
    if (!buckets.insert(d.bucket(f)).second) continue;  // one session per bucket
    fresh.push_back(f);
    static_port.push_back(d.static_port(f));
    if (fresh.size() == 400) break;
  }

  const uint64_t t0 = 1'000'000 * kUs;
  exact_load(d, busy[0], t0, 2);
  size_t avoided = 0, kept = 0;
  std::map<int, size_t> avoided_to;
  for (size_t i = 0; i < fresh.size(); ++i) {
    const uint64_t w = 2 + i;  // one new session per window, half-way through it
    ASSERT_EQ(d.send(busy[0], t0 + w * 1000 * kUs, kExactFrame), 0);
    ASSERT_EQ(d.util(0), kExactBp) << "window " << w;
    uint32_t least = UINT32_MAX;
    for (uint32_t p = 0; p < 4; ++p) least = std::min(least, d.util(p));
    const int port = d.send(fresh[i], t0 + w * 1000 * kUs + 500 * kUs, 64);
    EXPECT_TRUE(d.last.new_flow) << "session " << i;
    if (static_port[i] == 0) {
      ++avoided;
      ++avoided_to[port];
      EXPECT_NE(port, 0) << "session " << i << " went to the busy member";
      EXPECT_TRUE(d.last.avoided);
      EXPECT_EQ(d.util(uint32_t(port)), least) << "session " << i << " did not go to the least utilized member";
    } else {
      ++kept;
      EXPECT_EQ(port, static_port[i]) << "session " << i << " left its idle static member";
      EXPECT_FALSE(d.last.avoided);
    }
  }
  const driver::Counters c = d.drv.counters();
  std::string to;
  for (const auto& [p, n] : avoided_to) to += fmt::format(" port {}: {}", p, n);
  std::printf("[dynamic] %zu new sessions: %zu had busy port 0 as static member and went elsewhere (%s ), "
              "%zu stayed on their static member; threshold_avoids = %llu\n",
              fresh.size(), avoided, to.c_str(), kept, (unsigned long long)c.threshold_avoids);
  EXPECT_GT(avoided, 50u);
  EXPECT_GT(kept, 200u);
  EXPECT_EQ(c.threshold_avoids, avoided);
  EXPECT_EQ(c.groups.at(0).new_flows, fresh.size() + 1);
  EXPECT_EQ(c.tx[0].packets, fresh.size() + 2) << "only the busy session's frames on port 0";
}

// ---- membership changes during a replay --------------------------------------------------

struct Generated {
  std::filesystem::path pcap;
  std::vector<size_t> session_of;  // per frame, in file order
  size_t frames = 0;
};

// 300 sessions x 10 frames (both directions, 64..1500 bytes), shuffled with a fixed seed,
// 20 us apart, written with the project's PcapSink.
Generated generate_capture(const std::filesystem::path& dir) {
  std::mt19937 rng(4242);
  const std::vector<Flow> sessions = random_flows(300, 31);
  std::vector<std::pair<size_t, bool>> order;
  for (size_t s = 0; s < sessions.size(); ++s)
    for (int k = 0; k < 10; ++k) order.push_back({s, k % 2 == 1});
  std::shuffle(order.begin(), order.end(), rng);
  Generated g;
  g.pcap = dir / "generated.pcap";
  io::PcapSink sink(g.pcap.string());
  uint64_t ts = 1'700'000'000ull * 1'000'000'000ull;
  std::uniform_int_distribution<uint32_t> len(64, 1500);
  for (const auto& [s, reverse] : order) {
    const auto fr = make_frame(reverse ? sessions[s].reversed() : sessions[s], len(rng));
    sink.write(ts += 20 * kUs, fr.data(), uint32_t(fr.size()));
    g.session_of.push_back(s);
  }
  sink.close();
  g.frames = order.size();
  return g;
}

struct LogRow {
  uint64_t frame = 0;
  int in_port = -1, out_port = -1;
};

std::vector<LogRow> read_log(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  {
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) header.push_back(col);
  }
  auto col_of = [&](const std::string& name) {
    return int(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const int c_frame = col_of("frame"), c_in = col_of("in_port"), c_out = col_of("out_port");
  std::vector<LogRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (;;) {
      const size_t tab = line.find('\t', start);
      cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    LogRow r;
    r.frame = std::stoull(cells.at(size_t(c_frame)));
    r.in_port = std::stoi(cells.at(size_t(c_in)));
    r.out_port = cells.at(size_t(c_out)).empty() ? -1 : std::stoi(cells.at(size_t(c_out)));
    rows.push_back(r);
  }
  return rows;
}

struct ReplayResult {
  replay::Summary summary;
  driver::Counters counters;
  std::vector<LogRow> log;
  uint64_t pcap_frames = 0;
  std::map<uint32_t, uint64_t> per_pcap;
};

// Runs the inputs through broker::replay::run with member port 2 removed before frame
// `remove_at`+1 and port 5 added before frame `add_at`+1 (0-based frames forwarded so far).
ReplayResult replay_with_changes(v1::Config config, const std::vector<replay::Input>& inputs,
                                 uint64_t remove_at, uint64_t add_at, const std::filesystem::path& dir) {
  cards::SoftCard card;
  driver::Driver drv(card);
  drv.apply(config);
  ReplayResult res;
  const auto log_path = dir / "decisions.tsv";
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  EXPECT_NE(log, nullptr);
  replay::Options opt;
  opt.inputs = inputs;
  opt.out_dir = dir / "out";
  opt.log = log;
  opt.before_frame = [&](uint64_t done) {
    if (done == remove_at) drv.remove_member("g", 2);
    if (done == add_at) drv.add_member("g", 5);
  };
  res.summary = replay::run(card, drv, opt);
  std::fclose(log);
  res.counters = drv.counters();
  res.log = read_log(log_path);
  for (const auto& e : std::filesystem::directory_iterator(dir / "out")) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.rfind("egress-", 0), 0u) << name;
    const uint32_t port = uint32_t(std::stoul(name.substr(7)));
    res.per_pcap[port] = count_pcap_frames(e.path().string());
    res.pcap_frames += res.per_pcap[port];
  }
  return res;
}

void expect_no_loss(const ReplayResult& r, uint64_t frames_in, const std::string& what) {
  SCOPED_TRACE(what);
  uint64_t tx = 0;
  for (const auto& t : r.counters.tx) tx += t.packets;
  uint64_t rx = 0;
  for (const auto& p : r.counters.rx) rx += p.packets;
  std::string per;
  for (const auto& [p, n] : r.per_pcap) per += fmt::format(" {}:{}", p, n);
  std::printf("[replay] %s: in %llu, out %llu, dropped %llu, TX counters %llu, pcap frames %llu (%s )\n",
              what.c_str(), (unsigned long long)r.summary.frames_in, (unsigned long long)r.summary.frames_out,
              (unsigned long long)r.summary.dropped, (unsigned long long)tx,
              (unsigned long long)r.pcap_frames, per.c_str());
  EXPECT_EQ(r.summary.frames_in, frames_in);
  EXPECT_EQ(rx, frames_in);
  EXPECT_EQ(r.summary.dropped, 0u);
  EXPECT_EQ(r.summary.frames_out, frames_in);
  EXPECT_EQ(tx, frames_in) << "packets in != sum of TX counters";
  EXPECT_EQ(r.pcap_frames, frames_in) << "packets in != frames in the per-egress captures";
  EXPECT_EQ(r.counters.unmapped_drops, 0u);
  EXPECT_EQ(r.log.size(), frames_in);
}

class DriverMembershipDuringReplay : public ::testing::TestWithParam<v1::SelectionMode> {};

TEST_P(DriverMembershipDuringReplay, RemovingAndAddingAMemberLosesNoPacket) {
  const bool dynamic = GetParam() == v1::MODE_DYNAMIC;
  const auto dir = temp_dir("member");
  const Generated g = generate_capture(dir);
  ASSERT_EQ(count_pcap_frames(g.pcap.string()), g.frames);
  const uint64_t remove_at = g.frames / 3, add_at = 2 * g.frames / 3;
  v1::Config c = static_config({0, 1, 2, 3});
  c.mutable_groups(0)->set_mode(GetParam());
  const ReplayResult r = replay_with_changes(c, {{0, g.pcap.string()}}, remove_at, add_at, dir);
  expect_no_loss(r, g.frames, dynamic ? "generated, dynamic" : "generated, static");
  EXPECT_EQ(r.per_pcap.count(5), 1u) << "the added member got no capture";
  EXPECT_GT(r.per_pcap.at(2), 0u);

  // Where each frame went, phase by phase: port 2 only before its removal, port 5 only after
  // its addition; a session changes port only when its member left (both modes) or, in static
  // mode, when its bucket moved to the new member.
  std::vector<int> session_port(300, -1);
  size_t moved_off_2 = 0, moved_to_5 = 0;
  for (size_t i = 0; i < r.log.size(); ++i) {
    const LogRow& row = r.log[i];
    ASSERT_EQ(row.frame, i + 1);
    ASSERT_GE(row.out_port, 0) << "frame " << row.frame << " dropped";
    if (i >= remove_at && i < add_at) {
      EXPECT_NE(row.out_port, 2) << "frame " << row.frame << " sent to a removed member";
    }
    if (i < add_at) {
      EXPECT_NE(row.out_port, 5) << "frame " << row.frame << " sent to a member not yet added";
    }
    int& prev = session_port[g.session_of[i]];
    if (prev >= 0 && prev != row.out_port) {
      const bool off_removed = prev == 2 && i >= remove_at;
      const bool onto_added = !dynamic && row.out_port == 5 && i >= add_at;
      EXPECT_TRUE(off_removed || onto_added)
          << "session " << g.session_of[i] << " moved from port " << prev << " to " << row.out_port
          << " at frame " << row.frame;
      moved_off_2 += off_removed;
      moved_to_5 += onto_added;
    }
    prev = row.out_port;
  }
  std::printf("[replay] %s: sessions moved off the removed port: %zu, onto the added port: %zu\n",
              dynamic ? "dynamic" : "static", moved_off_2, moved_to_5);
  EXPECT_GT(moved_off_2, 0u);
  std::filesystem::remove_all(dir);
}

TEST_P(DriverMembershipDuringReplay, SharedCapturesLoseNoPacketAcrossMembershipChanges) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  const auto dir = temp_dir("member-shared");
  // Two real captures on two ingress ports of the group; preferred names, else any two.
  std::vector<std::filesystem::path> picks;
  for (const char* name : {"zeek_http-bro.org.pcap", "tcpreplay_test.pcap"})
    if (std::filesystem::exists(broker::testing::shared_pcap_dir() / name)) picks.push_back(broker::testing::shared_pcap_dir() / name);
  for (const auto& p : broker::testing::shared_captures())
    if (picks.size() < 2 && std::find(picks.begin(), picks.end(), p) == picks.end()) picks.push_back(p);
  ASSERT_EQ(picks.size(), 2u);
  uint64_t frames = 0;
  for (const auto& p : picks) frames += count_pcap_frames(p.string());
  ASSERT_GT(frames, 10u);
  v1::Config c = static_config({0, 1, 2, 3});
  c.mutable_groups(0)->set_mode(GetParam());
  const ReplayResult r = replay_with_changes(c, {{0, picks[0].string()}, {1, picks[1].string()}},
                                             frames / 2, frames * 3 / 4, dir);
  expect_no_loss(r, frames, fmt::format("{} + {}, {}", picks[0].filename().string(), picks[1].filename().string(),
                                        GetParam() == v1::MODE_DYNAMIC ? "dynamic" : "static"));
  for (size_t i = size_t(frames / 2); i < size_t(frames * 3 / 4); ++i)
    EXPECT_NE(r.log[i].out_port, 2) << "log row " << i + 1 << " sent to the removed member";
  std::filesystem::remove_all(dir);
}

// Hitless at every step: a bus tap that, after each register write the driver makes, sends
// 256 sessions through the real card. Whatever intermediate state the writes leave, no frame
// is dropped, a session changes port only if its member is leaving (or, static, onto the
// member being added), and the leaving port gets nothing once its live bit is cleared.
class TapBus final : public driver::RegisterBus {
 public:
  explicit TapBus(cards::SoftCard& card) : card_(card) {}
  uint32_t read32(uint32_t offset) override { return card_.read32(offset); }
  void write32(uint32_t offset, uint32_t value) override {
    card_.write32(offset, value);
    if (after_write) after_write(offset, value);
  }
  std::string describe() const override { return "tap over the soft card"; }
  std::function<void(uint32_t, uint32_t)> after_write;

 private:
  cards::SoftCard& card_;
};

TEST_P(DriverMembershipDuringReplay, HitlessAtEveryRegisterWrite) {
  const bool dynamic = GetParam() == v1::MODE_DYNAMIC;
  cards::SoftCard card;
  TapBus tap(card);
  driver::Driver drv(tap);
  v1::Config c = static_config({0, 1, 2, 3});
  c.mutable_groups(0)->set_mode(GetParam());
  drv.apply(c);
  const uint32_t hw = *drv.group_index("g");
  const std::vector<Flow> sessions = random_flows(256, 57);
  std::vector<int> port(sessions.size());
  uint64_t ts = 1'000'000 * kUs;
  auto send_all = [&](std::vector<int>& out) {
    for (size_t i = 0; i < sessions.size(); ++i) {
      const auto fr = make_frame(i % 2 ? sessions[i] : sessions[i].reversed());
      const auto& d = card.forward(uint8_t(i % 2), ts += kUs, fr.data(), uint32_t(fr.size())).decision;
      out[i] = d.out_port == core::kNoPort ? -1 : int(d.out_port);
    }
  };
  send_all(port);

  int leaving_port = -1, joining_port = -1;
  bool leaving_dead = false;
  size_t writes = 0, drops = 0, bad_moves = 0, to_dead = 0;
  tap.after_write = [&](uint32_t off, uint32_t value) {
    ++writes;
    if (off == rm::GRP_LIVE_at(hw) && leaving_port >= 0) {
      const auto slots = drv.member_slots(hw);
      for (int s = 0; s < int(rm::kMembers); ++s)
        if (slots[size_t(s)] == leaving_port && !(value >> s & 1)) leaving_dead = true;
    }
    std::vector<int> now(sessions.size());
    send_all(now);
    for (size_t i = 0; i < sessions.size(); ++i) {
      if (now[i] < 0) {
        ++drops;
        ADD_FAILURE() << fmt::format("session {} dropped after write 0x{:04x} = 0x{:08x}", i, off, value);
        continue;
      }
      if (leaving_dead && now[i] == leaving_port) {
        ++to_dead;
        ADD_FAILURE() << fmt::format("session {} sent to port {} after its live bit was cleared", i, leaving_port);
      }
      if (now[i] != port[i]) {
        const bool ok = port[i] == leaving_port || (!dynamic && now[i] == joining_port);
        if (!ok) {
          ++bad_moves;
          ADD_FAILURE() << fmt::format("session {} moved {} -> {} after write 0x{:04x} = 0x{:08x}", i,
                                       port[i], now[i], off, value);
        }
        port[i] = now[i];
      }
    }
  };

  leaving_port = 2;
  drv.remove_member("g", 2);
  const size_t remove_writes = writes;
  EXPECT_TRUE(leaving_dead) << "the removed member's live bit was never cleared";
  for (int p : port) EXPECT_NE(p, 2);

  leaving_port = -1;
  leaving_dead = false;
  joining_port = 5;
  drv.add_member("g", 5);
  std::printf("[hitless] %s: remove_member took %zu register writes, add_member %zu; after each, 256 "
              "sessions forwarded: %zu drops, %zu wrong moves, %zu to a dead port\n",
              dynamic ? "dynamic" : "static", remove_writes, writes - remove_writes, drops, bad_moves, to_dead);
  EXPECT_GT(remove_writes, 0u);
  EXPECT_GT(writes, remove_writes);
  tap.after_write = nullptr;
}

INSTANTIATE_TEST_SUITE_P(Modes, DriverMembershipDuringReplay,
                         ::testing::Values(v1::MODE_STATIC, v1::MODE_DYNAMIC),
                         [](const auto& info) { return info.param == v1::MODE_DYNAMIC ? "Dynamic" : "Static"; });

}  // namespace
}  // namespace broker::drvtest
