// Chaos under replay: members join and leave at random, many hundreds of times, while
// traffic flows through the real soft card programmed by the real driver. Nothing may be
// lost, every packet must leave where the card's table said at that moment (a later IP
// fragment that follows its first fragment: where that one left), a session whose bucket
// kept its member must stay on one port, and the counters must add up.
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "driver_test_util.h"
#include "traffic_gen.h"

namespace broker::drvtest {
namespace {

struct ChaosResult {
  uint64_t frames = 0, out = 0, changes = 0, adds = 0, removes = 0;
  uint64_t sessions_checked = 0, sessions_moved = 0;
};

ChaosResult run_chaos(v1::SelectionMode mode, uint32_t seed) {
  ChaosResult res;
  tools::TrafficOptions topt;
  topt.seed = seed;
  topt.points = 2;
  topt.sessions = 1500;
  topt.duration_ms = 1000;
  const tools::Traffic traffic = tools::generate_traffic(topt);

  cards::SoftCard card;
  driver::Driver drv(card);
  std::vector<uint32_t> members = {0, 1, 2, 3};
  drv.apply(parse("name: \"chaos\"\n" +
                  group_text(members, mode == v1::MODE_DYNAMIC
                                          ? "mode: MODE_DYNAMIC idle_timeout_us: 50000 utilization_threshold_bp: 9000"
                                          : "mode: MODE_STATIC")));

  // Table epochs: the egress port of every bucket after each change.
  std::vector<std::vector<int>> epochs = {ports_per_bucket(card, 0)};
  std::mt19937 rng(seed);
  const uint32_t kPorts = 16;
  struct Seen {
    std::set<int> ports;
    size_t first_epoch = 0, last_epoch = 0;
    uint16_t bucket = 0;
  };
  std::map<std::pair<uint32_t, uint16_t>, Seen> sessions;  // (session, bucket)
  // The last first fragment of each (session, direction): where it left and its bucket. The
  // generator sends a datagram's fragments one after the other within its session.
  struct FirstFragment { int port = -1; uint16_t bucket = 0; };
  std::map<std::pair<uint32_t, bool>, FirstFragment> first_fragment;

  uint64_t i = 0;
  for (const auto& f : traffic.frames) {
    if (++i % 97 == 0) {
      // A change every 97 frames: remove a random member (keep at least one) or add a
      // random port that is not one.
      const bool remove = members.size() > 1 && (members.size() >= 8 || rng() % 2 == 0);
      if (remove) {
        const size_t k = rng() % members.size();
        drv.remove_member("g", members[k]);
        members.erase(members.begin() + long(k));
        ++res.removes;
      } else {
        uint32_t p;
        do p = rng() % kPorts; while (std::find(members.begin(), members.end(), p) != members.end());
        drv.add_member("g", p);
        members.push_back(p);
        ++res.adds;
      }
      ++res.changes;
      epochs.push_back(ports_per_bucket(card, 0));
    }
    const core::FrameResult& r =
        card.forward(uint8_t(f.point), f.ts_ns, f.bytes.data(), uint32_t(f.bytes.size()));
    ++res.frames;
    const core::Decision& d = r.decision;
    if (d.out_port == core::kNoPort) {
      ADD_FAILURE() << "frame " << i << " dropped";
      continue;
    }
    ++res.out;
    const size_t e = epochs.size() - 1;
    // DESIGN.md fragment rule (changed with the dataflow core: a first fragment is keyed with
    // its ports, so its bucket differs from its later fragments' fallback-key bucket): a later
    // fragment whose first fragment is remembered leaves where that one left, not where the
    // table says for its own bucket; one that overtook it (or lost it) goes by the table.
    FirstFragment& ff = first_fragment[{f.session, f.to_server}];
    if (f.fragment == 1) ff = FirstFragment{d.out_port, d.bucket};
    EXPECT_TRUE(!d.frag_follow || f.fragment > 1) << "frame " << i << " followed but is no later fragment";
    if (d.frag_follow)
      EXPECT_EQ(int(d.out_port), ff.port) << "frame " << i << " followed, but not its first fragment";
    if (mode == v1::MODE_STATIC && !d.frag_follow)
      EXPECT_EQ(int(d.out_port), epochs[e][d.bucket])
          << "frame " << i << " bucket " << d.bucket << " left where the table did not say";
    EXPECT_TRUE(std::find(members.begin(), members.end(), d.out_port) != members.end())
        << "frame " << i << " left on port " << int(d.out_port) << ", not a member";
    // A follower travels with its first fragment's bucket.
    const uint16_t bucket = d.frag_follow ? ff.bucket : d.bucket;
    Seen& s = sessions[{f.session, bucket}];
    if (s.ports.empty()) s.first_epoch = e;
    s.last_epoch = e;
    s.bucket = bucket;
    s.ports.insert(d.out_port);
  }

  if (mode == v1::MODE_STATIC) {
    for (const auto& [key, s] : sessions) {
      bool moved = false;
      for (size_t e = s.first_epoch; e <= s.last_epoch; ++e)
        moved |= epochs[e][s.bucket] != epochs[s.first_epoch][s.bucket];
      if (moved) {
        ++res.sessions_moved;
        continue;
      }
      ++res.sessions_checked;
      EXPECT_EQ(s.ports.size(), 1u) << "session " << key.first << " (bucket " << s.bucket
                                    << ") was never moved, yet left on " << s.ports.size() << " ports";
    }
  }

  // Counters add up: per-port sums equal the totals, and in == out.
  const driver::Counters c = drv.counters();
  uint64_t rx = 0, tx = 0, rx_bytes = 0, tx_bytes = 0;
  for (const auto& p : c.rx) rx += p.packets, rx_bytes += p.bytes;
  for (const auto& p : c.tx) tx += p.packets, tx_bytes += p.bytes;
  EXPECT_EQ(rx, res.frames);
  EXPECT_EQ(tx, res.frames) << "packets in == packets out";
  EXPECT_EQ(rx_bytes, tx_bytes);
  EXPECT_EQ(c.unmapped_drops, 0u);
  EXPECT_EQ(c.groups.at(0).packets, res.frames);
  return res;
}

TEST(Chaos, StaticMembershipChurnUnderReplay) {
  const ChaosResult r = run_chaos(v1::MODE_STATIC, 7);
  RecordProperty("changes", int(r.changes));
  fmt::print("[ chaos ] static: {} frames, {} membership changes ({} adds, {} removes), 0 lost; "
             "{} unmoved sessions each on one port, {} sessions whose bucket moved\n",
             r.frames, r.changes, r.adds, r.removes, r.sessions_checked, r.sessions_moved);
  EXPECT_GE(r.changes, 300u) << "many hundreds of changes";
  EXPECT_GT(r.sessions_checked, 100u);
}

TEST(Chaos, DynamicMembershipChurnUnderReplay) {
  const ChaosResult r = run_chaos(v1::MODE_DYNAMIC, 11);
  fmt::print("[ chaos ] dynamic: {} frames, {} membership changes, 0 lost\n", r.frames, r.changes);
  EXPECT_GE(r.changes, 300u);
}

}  // namespace
}  // namespace broker::drvtest
