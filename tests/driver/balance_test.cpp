// Issue acceptance for static balancing, with exact numbers:
//  - 10,000 random flows over 4, 8 and 16 members (static, crc32, symmetric 5-tuple) give
//    max/mean flows per member <= 1.15;
//  - adding a 9th member to 8 moves at most 1/9 + 2 % of the buckets (bucket_balancer
//    directly, and the IND registers read back over the bus around Driver::add_member);
//  - removing a member moves only its own buckets;
//  - xor16 on the same flows, with a bound measured first (see XorBalance).
// Frames are real Ethernet/IPv4 frames forwarded by the real SoftCard programmed by the
// real Driver; measured figures are printed and recorded as test properties.
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>

#include "bucket_balancer.h"
#include "driver_test_util.h"

namespace broker::drvtest {
namespace {

using driver::kUnassigned;

constexpr size_t kFlows = 10'000;
constexpr uint32_t kSeeds[] = {1, 20240601, 0xC0FFEE};
constexpr double kMaxOverMean = 1.15;

std::vector<uint32_t> ports_upto(uint32_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

struct Load {
  std::map<int, uint64_t> per_port;
  double ratio = 0;  // max / mean over the members
};

// Forwards one frame per flow (and its reverse, which must land on the same port: the group
// is symmetric) and counts flows per egress port.
Load forward_flows(cards::SoftCard& card, const std::vector<Flow>& flows, uint32_t members) {
  Load load;
  uint64_t ts = 1'000'000;
  for (const Flow& f : flows) {
    const auto fwd = make_frame(f);
    const int out = card.forward(0, ts += 1000, fwd.data(), uint32_t(fwd.size())).decision.out_port;
    const auto rev = make_frame(f.reversed());
    const int back = card.forward(1, ts += 1000, rev.data(), uint32_t(rev.size())).decision.out_port;
    EXPECT_EQ(out, back) << "symmetric group sent the two directions of a flow to different ports";
    EXPECT_LT(out, int(members)) << "flow forwarded to a port that is not a member";
    ++load.per_port[out];
  }
  uint64_t max = 0;
  for (uint32_t p = 0; p < members; ++p) max = std::max(max, load.per_port[int(p)]);
  load.ratio = double(max) / (double(flows.size()) / members);
  return load;
}

std::string describe(const Load& l) {
  std::string s;
  for (const auto& [p, n] : l.per_port) s += fmt::format(" {}:{}", p, n);
  return s;
}

// ---- balance -----------------------------------------------------------------------------

TEST(DriverBalance, Crc32SymmetricStaticWithin15PercentOverMean) {
  for (uint32_t members : {4u, 8u, 16u}) {
    for (uint32_t seed : kSeeds) {
      cards::SoftCard card;
      driver::Driver drv(card);
      drv.apply(static_config(ports_upto(members)));
      const Load l = forward_flows(card, random_flows(kFlows, seed), members);
      std::printf("[balance] crc32 symmetric static, %2u members, seed %8u: max/mean = %.4f  (%s )\n",
                  members, seed, l.ratio, describe(l).c_str());
      RecordProperty(fmt::format("crc32_m{}_seed{}", members, seed), fmt::format("{:.4f}", l.ratio));
      EXPECT_LE(l.ratio, kMaxOverMean) << members << " members, seed " << seed << ":" << describe(l);
      uint64_t total = 0;
      for (const auto& [p, n] : l.per_port) total += n;
      EXPECT_EQ(total, kFlows);
    }
  }
}

// xor16 is a much weaker mix than crc32: it is linear, so structured traffic (one server,
// clients in one subnet, sequential ports) cancels out (see StructuredTrafficReport: max/mean
// 2.0, 4.0 and 8.0 at 4, 8 and 16 members, half or more of the members get nothing). On the
// uniform random flows of this suite it spreads nearly like crc32. Measured max/mean over
// the three seeds at 4/8/16 members: xor16 1.008-1.182, crc32 1.019-1.093. The worst xor16
// figure (seed 1, 16 members: 739 flows on one member against a mean of 625) was checked
// against the XOR of the key words computed independently: it is the sample, not the hash
// (the low nibble of the fold is 0xF for 739 of those 10,000 flows). The bound 1.25 keeps
// 0.07 of margin above that worst measured case, and still catches a broken xor16 (bucket
// bits not taken from the fold, a key word left out) without claiming more uniformity than
// a linear 16-bit fold has.
constexpr double kXorMaxOverMean = 1.25;

TEST(DriverBalance, Xor16SymmetricStaticOnTheSameFlows) {
  for (uint32_t members : {4u, 8u, 16u}) {
    for (uint32_t seed : kSeeds) {
      cards::SoftCard card;
      driver::Driver drv(card);
      drv.apply(static_config(ports_upto(members)));
      v1::Config c = drv.applied();
      c.mutable_groups(0)->set_hash(v1::HASH_XOR16);
      drv.apply(c);
      ASSERT_EQ(card.read32(rm::GRP_CTRL_at(*drv.group_index("g"))) & rm::GRP_CTRL_HASH_MASK,
                rm::GRP_CTRL_HASH_XOR16 << rm::GRP_CTRL_HASH_LSB);
      const Load l = forward_flows(card, random_flows(kFlows, seed), members);
      std::printf("[balance] xor16 symmetric static, %2u members, seed %8u: max/mean = %.4f  (%s )\n",
                  members, seed, l.ratio, describe(l).c_str());
      RecordProperty(fmt::format("xor16_m{}_seed{}", members, seed), fmt::format("{:.4f}", l.ratio));
      EXPECT_LE(l.ratio, kXorMaxOverMean) << members << " members, seed " << seed << ":" << describe(l);
    }
  }
}

// Structured traffic where xor16's linearity shows: 10,000 clients in 10.1.0.0/16 with
// sequential ephemeral ports, to one server on 443. crc32 must still meet the acceptance
// bound; xor16 is reported only (it is allowed by DESIGN.md, and it is this bad by nature).
TEST(DriverBalance, StructuredTrafficReport) {
  std::vector<Flow> flows(kFlows);
  for (size_t i = 0; i < kFlows; ++i)
    flows[i] = {0x0A010000u + uint32_t(i % 4096) * 7, 0xC0A80001u, uint16_t(32768 + i), 443, kTcp};
  for (auto hash : {v1::HASH_CRC32, v1::HASH_XOR16}) {
    for (uint32_t members : {4u, 8u, 16u}) {
      cards::SoftCard card;
      driver::Driver drv(card);
      v1::Config c = static_config(ports_upto(members));
      c.mutable_groups(0)->set_hash(hash);
      drv.apply(c);
      const Load l = forward_flows(card, flows, members);
      std::printf("[balance] structured flows, %s, %2u members: max/mean = %.4f  (%s )\n",
                  hash == v1::HASH_CRC32 ? "crc32" : "xor16", members, l.ratio, describe(l).c_str());
      RecordProperty(fmt::format("structured_{}_m{}", hash == v1::HASH_CRC32 ? "crc32" : "xor16", members),
                     fmt::format("{:.4f}", l.ratio));
      if (hash == v1::HASH_CRC32) {
        EXPECT_LE(l.ratio, kMaxOverMean) << members << " members:" << describe(l);
      }
    }
  }
}

// ---- bucket moves: bucket_balancer directly ----------------------------------------------

std::vector<uint8_t> slots_upto(uint8_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t(0));
  return v;
}

void expect_balanced(const std::vector<uint8_t>& t, const std::vector<uint8_t>& live,
                     const std::string& what) {
  std::map<uint8_t, size_t> count;
  for (uint8_t s : t) ++count[s];
  size_t lo = SIZE_MAX, hi = 0;
  for (uint8_t s : live) {
    lo = std::min(lo, count[s]);
    hi = std::max(hi, count[s]);
  }
  EXPECT_LE(hi - lo, 1u) << what << ": shares not within one bucket";
  size_t on_live = 0;
  for (uint8_t s : live) on_live += count[s];
  EXPECT_EQ(on_live, t.size()) << what << ": some bucket names no live slot";
}

TEST(DriverBucketBalancer, NinthMemberMovesAtMostANinthPlusTwoPercent) {
  const std::vector<uint8_t> t8 = driver::rebalance(std::vector<uint8_t>(rm::kBuckets, kUnassigned), slots_upto(8));
  expect_balanced(t8, slots_upto(8), "8 members");
  const std::vector<uint8_t> t9 = driver::rebalance(t8, slots_upto(9));
  expect_balanced(t9, slots_upto(9), "9 members");
  const size_t moved = driver::buckets_moved(t8, t9);
  const double limit = rm::kBuckets * (1.0 / 9 + 0.02);
  std::printf("[moves] balancer 8 -> 9 members: %zu of %u buckets moved (%.2f %%, limit %.1f = 1/9 + 2 %%)\n",
              moved, rm::kBuckets, 100.0 * moved / rm::kBuckets, limit);
  RecordProperty("balancer_add_9th_moved", int(moved));
  EXPECT_LE(double(moved), limit);
  for (size_t b = 0; b < t8.size(); ++b)
    if (t8[b] != t9[b]) {
      EXPECT_EQ(t9[b], 8) << "bucket " << b << " moved between old members";
    }
}

TEST(DriverBucketBalancer, RemovingAMemberMovesOnlyItsOwnBuckets) {
  std::vector<uint8_t> t9 = driver::rebalance(std::vector<uint8_t>(rm::kBuckets, kUnassigned), slots_upto(8));
  t9 = driver::rebalance(t9, slots_upto(9));
  for (uint8_t gone = 0; gone < 9; ++gone) {
    std::vector<uint8_t> live;
    for (uint8_t s = 0; s < 9; ++s)
      if (s != gone) live.push_back(s);
    const std::vector<uint8_t> t8 = driver::rebalance(t9, live);
    size_t own = 0;
    for (size_t b = 0; b < t9.size(); ++b) {
      if (t9[b] == gone) {
        ++own;
        EXPECT_NE(t8[b], gone);
      } else {
        EXPECT_EQ(t8[b], t9[b]) << "removing slot " << int(gone) << " moved bucket " << b
                                << " of slot " << int(t9[b]);
      }
    }
    EXPECT_EQ(driver::buckets_moved(t9, t8), own);
    expect_balanced(t8, live, "after removing slot " + std::to_string(gone));
  }
}

// Every membership size and a long seeded walk of adds and removes: adds move at most
// 1/(n+1) + 2 % and only onto the new slot; removes move only the leaving slot's buckets;
// shares stay within one bucket.
TEST(DriverBucketBalancer, SeededWalkOfAddsAndRemovesKeepsMovesMinimal) {
  std::mt19937 rng(77);
  std::vector<uint8_t> live;
  std::vector<uint8_t> table(rm::kBuckets, kUnassigned);
  size_t max_add_excess = 0;
  for (int step = 0; step < 400; ++step) {
    const bool add = live.empty() || (live.size() < rm::kMembers && (rng() % 2 == 0));
    std::vector<uint8_t> next_live = live;
    uint8_t changed;
    if (add) {
      std::vector<uint8_t> free;
      for (uint8_t s = 0; s < rm::kMembers; ++s)
        if (std::find(live.begin(), live.end(), s) == live.end()) free.push_back(s);
      changed = free[rng() % free.size()];
      next_live.push_back(changed);
    } else {
      changed = live[rng() % live.size()];
      next_live.erase(std::find(next_live.begin(), next_live.end(), changed));
    }
    const std::vector<uint8_t> next = driver::rebalance(table, next_live);
    const size_t moved = driver::buckets_moved(table, next);
    if (next_live.empty()) {
      for (uint8_t s : next) EXPECT_EQ(s, kUnassigned);
    } else {
      expect_balanced(next, next_live, "step " + std::to_string(step));
    }
    if (add && !live.empty()) {
      const double limit = rm::kBuckets * (1.0 / next_live.size() + 0.02);
      EXPECT_LE(double(moved), limit) << "step " << step << ": adding to " << live.size();
      max_add_excess = std::max<size_t>(max_add_excess, moved > rm::kBuckets / next_live.size() ? moved - rm::kBuckets / next_live.size() : 0);
      for (size_t b = 0; b < table.size(); ++b)
        if (table[b] != next[b]) {
          EXPECT_EQ(next[b], changed) << "step " << step << " bucket " << b;
        }
    } else if (!add) {
      for (size_t b = 0; b < table.size(); ++b)
        if (table[b] != changed) {
          EXPECT_EQ(next[b], table[b]) << "step " << step << " bucket " << b;
        }
    }
    table = next;
    live = next_live;
  }
  std::printf("[moves] seeded walk: adds moved at most %zu bucket(s) more than floor(1024/n)\n", max_add_excess);
}

// ---- bucket moves: through the Driver, IND registers read back over the bus --------------

TEST(DriverBalanceViaDriver, AddingANinthMemberMovesAtMostANinthPlusTwoPercent) {
  cards::SoftCard card;
  driver::Driver drv(card);
  drv.apply(static_config(ports_upto(8)));
  const uint32_t hw = *drv.group_index("g");
  const std::vector<int> before = ports_per_bucket(card, hw);
  const std::vector<Flow> flows = random_flows(kFlows, kSeeds[1]);
  std::vector<int> port_before(flows.size());
  uint64_t ts = 1000;
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto fr = make_frame(flows[i]);
    port_before[i] = card.forward(0, ts += 1000, fr.data(), uint32_t(fr.size())).decision.out_port;
    EXPECT_EQ(port_before[i], before[card.explain(0, fr.data(), uint32_t(fr.size())).decision.bucket]);
  }

  drv.add_member("g", 8);
  const std::vector<int> after = ports_per_bucket(card, hw);
  size_t moved = 0;
  std::map<int, size_t> share;
  for (size_t b = 0; b < before.size(); ++b) {
    ASSERT_GE(before[b], 0);
    ASSERT_GE(after[b], 0) << "bucket " << b << " names no live member after add";
    ++share[after[b]];
    if (before[b] != after[b]) {
      ++moved;
      EXPECT_EQ(after[b], 8) << "bucket " << b << " moved from port " << before[b] << " to port "
                             << after[b] << ", not to the new member";
    }
  }
  const double limit = rm::kBuckets * (1.0 / 9 + 0.02);
  std::printf("[moves] driver add_member 8 -> 9: %zu of %u IND buckets moved (%.2f %%, limit %.1f)\n",
              moved, rm::kBuckets, 100.0 * moved / rm::kBuckets, limit);
  RecordProperty("driver_add_9th_moved", int(moved));
  EXPECT_LE(double(moved), limit);
  EXPECT_GT(moved, 0u) << "the new member got no bucket";
  size_t lo = SIZE_MAX, hi = 0;
  for (uint32_t p = 0; p < 9; ++p) {
    lo = std::min(lo, share[int(p)]);
    hi = std::max(hi, share[int(p)]);
  }
  EXPECT_LE(hi - lo, 1u);

  // The same through the data path: flows that change port go to the new member only.
  size_t flows_moved = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto fr = make_frame(flows[i]);
    const int now = card.forward(0, ts += 1000, fr.data(), uint32_t(fr.size())).decision.out_port;
    if (now != port_before[i]) {
      ++flows_moved;
      EXPECT_EQ(now, 8);
    }
  }
  std::printf("[moves] driver add_member 8 -> 9: %zu of %zu flows moved (%.2f %%)\n", flows_moved,
              flows.size(), 100.0 * flows_moved / flows.size());
  EXPECT_LE(double(flows_moved), flows.size() * (1.0 / 9 + 0.02));
}

TEST(DriverBalanceViaDriver, RemovingAMemberMovesOnlyItsOwnBuckets) {
  for (uint32_t gone : {0u, 4u, 8u}) {
    cards::SoftCard card;
    driver::Driver drv(card);
    drv.apply(static_config(ports_upto(8)));
    drv.add_member("g", 8);  // an uneven, grown table like a live system has
    const uint32_t hw = *drv.group_index("g");
    const std::vector<int> before = ports_per_bucket(card, hw);
    const std::vector<Flow> flows = random_flows(2000, kSeeds[2]);
    std::vector<int> port_before(flows.size());
    uint64_t ts = 1000;
    for (size_t i = 0; i < flows.size(); ++i) {
      const auto fr = make_frame(flows[i]);
      port_before[i] = card.forward(0, ts += 1000, fr.data(), uint32_t(fr.size())).decision.out_port;
    }

    drv.remove_member("g", gone);
    const std::vector<int> after = ports_per_bucket(card, hw);
    size_t own = 0, moved = 0;
    for (size_t b = 0; b < before.size(); ++b) {
      ASSERT_GE(after[b], 0) << "bucket " << b << " names no live member";
      EXPECT_NE(after[b], int(gone)) << "bucket " << b << " still on the removed port";
      if (before[b] == int(gone)) {
        ++own;
        continue;
      }
      EXPECT_EQ(after[b], before[b]) << "removing port " << gone << " moved bucket " << b
                                          << " of port " << before[b] << " to " << after[b];
    }
    for (size_t b = 0; b < before.size(); ++b) moved += before[b] != after[b];
    std::printf("[moves] driver remove_member port %u of 9: %zu buckets moved, it owned %zu\n", gone,
                moved, own);
    EXPECT_EQ(moved, own);
    EXPECT_EQ(__builtin_popcount(card.read32(rm::GRP_LIVE_at(hw))), 8);
    for (size_t i = 0; i < flows.size(); ++i) {
      const auto fr = make_frame(flows[i]);
      const int now = card.forward(0, ts += 1000, fr.data(), uint32_t(fr.size())).decision.out_port;
      if (port_before[i] != int(gone)) {
        EXPECT_EQ(now, port_before[i]) << "flow " << i << " moved";
      } else {
        EXPECT_NE(now, int(gone));
      }
    }
  }
}

}  // namespace
}  // namespace broker::drvtest
