// The meters' reciprocal (sw/driver/util_scale.h), against exact integer division: never below
// the exact floor(bits * 10000 / (speed * window)), at most 1 bp above, exact quotients exact,
// over speeds from 1 Mb/s to 800 Gb/s and windows from 1 us to 2^32 - 1 us.
#include "util_scale.h"

#include <gtest/gtest.h>

#include <random>

namespace broker::driver {
namespace {

uint64_t exact_bp(uint64_t bytes, uint64_t speed, uint64_t window) {
  const unsigned __int128 bp = (unsigned __int128)bytes * 80000 / ((unsigned __int128)speed * window);
  return bp > 0xFFFF ? 0xFFFF : uint64_t(bp);
}

TEST(DriverUtilScale, WithinOneBasisPointAboveTheExactFloor) {
  std::mt19937_64 rng(5);
  const uint64_t speeds[] = {1, 10, 1000, 10000, 25000, 40000, 100000, 400000, 800000};
  for (uint64_t speed : speeds) {
    for (uint64_t window : {1ull, 7ull, 100ull, 1000ull, 123456ull, 1000000ull, 0xFFFFFFFFull}) {
      const UtilScale s = util_scale(speed, window);
      ASSERT_GE(s.shift, 15u);
      ASSERT_LE(s.shift, 80u);
      // Bytes up to what saturates (and beyond), spread logarithmically.
      const long double full = (long double)speed * window / 8;  // bytes of a 100 % window
      for (int k = 0; k < 2000; ++k) {
        const long double f = std::ldexp(1.0L, int(rng() % 24)) / 4096.0L * (1 + (rng() % 1000) / 1000.0L);
        const uint64_t bytes = uint64_t(std::min<long double>(full * f, (long double)(1ull << 47)));
        const uint64_t want = exact_bp(bytes, speed, window);
        const uint64_t got = util_bp(bytes, s);
        ASSERT_GE(got, want) << speed << " Mb/s, " << window << " us, " << bytes << " bytes";
        ASSERT_LE(got, want + 1) << speed << " Mb/s, " << window << " us, " << bytes << " bytes";
      }
    }
  }
}

TEST(DriverUtilScale, ExactQuotientsStayExact) {
  // A full window reads 100.00 %, half 50.00 %, at the usual speeds and windows.
  for (uint64_t speed : {1000ull, 10000ull, 25000ull, 100000ull, 400000ull})
    for (uint64_t window : {1ull, 10ull, 1000ull, 1000000ull}) {
      const UtilScale s = util_scale(speed, window);
      const uint64_t full = speed * window / 8;
      if (full * 8 != speed * window || full % 2 != 0) continue;
      EXPECT_EQ(util_bp(full, s), 10000u) << speed << " Mb/s, " << window << " us";
      EXPECT_EQ(util_bp(full / 2, s), 5000u) << speed << " Mb/s, " << window << " us";
      EXPECT_EQ(util_bp(0, s), 0u);
    }
}

TEST(DriverUtilScale, ResetValuesOfTheRegisterMapFit100GbEAnd1000us) {
  const UtilScale s = util_scale(100000, 1000);
  EXPECT_EQ(s.scale, 3518437209u);  // OUT_UTIL_SCALE reset in broker.regmap.toml
  EXPECT_EQ(s.shift, 42u);          // OUT_UTIL_SHIFT reset
}

}  // namespace
}  // namespace broker::driver
