#include "rates.h"

#include <gtest/gtest.h>

namespace broker::ctl {
namespace {

constexpr uint64_t kSecond = 1000000000ull;

TEST(CtlRates, PacketsAndBitsPerSecond) {
  const auto r = compute_rate({10 * kSecond, 100, 10000}, {12 * kSecond, 300, 30000});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->packets_per_s, 100.0);
  EXPECT_DOUBLE_EQ(r->bits_per_s, 80000.0);  // 20000 bytes * 8 / 2 s
}

TEST(CtlRates, SubSecondInterval) {
  const auto r = compute_rate({0, 0, 0}, {kSecond / 4, 1000, 64000});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->packets_per_s, 4000.0);
  EXPECT_DOUBLE_EQ(r->bits_per_s, 2048000.0);
}

TEST(CtlRates, IdlePortIsZeroNotUnknown) {
  const auto r = compute_rate({kSecond, 5, 500}, {2 * kSecond, 5, 500});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->packets_per_s, 0.0);
  EXPECT_EQ(r->bits_per_s, 0.0);
}

TEST(CtlRates, UnknownWhenTimeDoesNotAdvance) {
  EXPECT_FALSE(compute_rate({kSecond, 1, 1}, {kSecond, 2, 2}));
  EXPECT_FALSE(compute_rate({2 * kSecond, 1, 1}, {kSecond, 2, 2}));
}

TEST(CtlRates, UnknownAcrossAClear) {
  // Counters went backwards: cleared between the snapshots, no negative or huge rate.
  EXPECT_FALSE(compute_rate({kSecond, 1000, 64000}, {2 * kSecond, 10, 640}));
  EXPECT_FALSE(compute_rate({kSecond, 1000, 64000}, {2 * kSecond, 1000, 10}));
}

TEST(CtlRates, TrackerFirstSampleHasNoRateThenRates) {
  RateTracker t;
  using D = RateTracker::Direction;
  EXPECT_FALSE(t.update(D::kIngress, 0, {kSecond, 10, 1000}));
  auto r = t.update(D::kIngress, 0, {2 * kSecond, 20, 2000});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->packets_per_s, 10.0);
  EXPECT_DOUBLE_EQ(r->bits_per_s, 8000.0);
  r = t.update(D::kIngress, 0, {4 * kSecond, 60, 2000});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->packets_per_s, 20.0);
  EXPECT_DOUBLE_EQ(r->bits_per_s, 0.0);
}

TEST(CtlRates, TrackerKeepsDirectionsAndPortsApart) {
  RateTracker t;
  using D = RateTracker::Direction;
  EXPECT_FALSE(t.update(D::kIngress, 1, {kSecond, 100, 100}));
  EXPECT_FALSE(t.update(D::kEgress, 1, {kSecond, 0, 0}));  // same number, other direction
  EXPECT_FALSE(t.update(D::kEgress, 2, {kSecond, 0, 0}));
  const auto in = t.update(D::kIngress, 1, {2 * kSecond, 300, 100});
  const auto out = t.update(D::kEgress, 1, {2 * kSecond, 50, 100});
  ASSERT_TRUE(in && out);
  EXPECT_DOUBLE_EQ(in->packets_per_s, 200.0);
  EXPECT_DOUBLE_EQ(out->packets_per_s, 50.0);
  EXPECT_DOUBLE_EQ(out->bits_per_s, 800.0);
}

TEST(CtlRates, TrackerRecoversAfterAClear) {
  RateTracker t;
  using D = RateTracker::Direction;
  t.update(D::kEgress, 3, {kSecond, 1000, 100000});
  EXPECT_FALSE(t.update(D::kEgress, 3, {2 * kSecond, 5, 500}));  // cleared
  const auto r = t.update(D::kEgress, 3, {3 * kSecond, 15, 1500});
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->packets_per_s, 10.0);
  t.reset();
  EXPECT_FALSE(t.update(D::kEgress, 3, {4 * kSecond, 20, 2000}));
}

}  // namespace
}  // namespace broker::ctl
