// Pins the semantics of AMD's ap_int.h / hls_stream.h for everything hls_shim/ offers. The
// same file passes against the shim (default build) and against AMD's headers
// (-DBROKER_HLS_INCLUDE=DIR), so every expectation here is AMD's behaviour.
//
// Expected values come from a per-bit reference model (Ref) of two's complement numbers, plus
// explicit constants for AMD's own rules: result widths (RType), comparisons across
// signedness, shift amounts, ranges that read as wide as their owner.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "hls_compat.h"

namespace {

// ---- reference model ----------------------------------------------------------------------
constexpr int kRefBits = 4352;  // more than any product tested (4096 bits)

template <class T>
constexpr bool kSigned = std::is_base_of<ap_int_base<T::width, true>, T>::value;

// A two's complement number of kRefBits bits, bit by bit.
struct Ref {
  std::vector<uint8_t> b = std::vector<uint8_t>(kRefBits, 0);

  static Ref of_int(long long v) {
    Ref r;
    for (int i = 0; i < kRefBits; ++i) r.b[i] = i < 63 ? (v >> i) & 1 : v < 0;
    return r;
  }
  static Ref of_uint(unsigned long long v) {
    Ref r;
    for (int i = 0; i < 64; ++i) r.b[i] = (v >> i) & 1;
    return r;
  }
  template <class T>
  static Ref of(const T& x) {
    const T& c = x;
    Ref r;
    for (int i = 0; i < T::width; ++i) r.b[i] = bool(c[i]);
    for (int i = T::width; i < kRefBits; ++i) r.b[i] = kSigned<T> ? r.b[T::width - 1] : 0;
    return r;
  }
  // The value as an ap type of width w and signedness s would hold it.
  Ref as(int w, bool s) const {
    Ref r = *this;
    for (int i = w; i < kRefBits; ++i) r.b[i] = s ? b[w - 1] : 0;
    return r;
  }
  bool neg() const { return b[kRefBits - 1]; }
  Ref operator~() const {
    Ref r;
    for (int i = 0; i < kRefBits; ++i) r.b[i] = !b[i];
    return r;
  }
  Ref operator+(const Ref& o) const {
    Ref r;
    int c = 0;
    for (int i = 0; i < kRefBits; ++i) {
      const int s = b[i] + o.b[i] + c;
      r.b[i] = s & 1;
      c = s >> 1;
    }
    return r;
  }
  Ref operator-() const { return ~*this + of_int(1); }
  Ref operator-(const Ref& o) const { return *this + -o; }
  Ref operator&(const Ref& o) const { Ref r; for (int i = 0; i < kRefBits; ++i) r.b[i] = b[i] & o.b[i]; return r; }
  Ref operator|(const Ref& o) const { Ref r; for (int i = 0; i < kRefBits; ++i) r.b[i] = b[i] | o.b[i]; return r; }
  Ref operator^(const Ref& o) const { Ref r; for (int i = 0; i < kRefBits; ++i) r.b[i] = b[i] ^ o.b[i]; return r; }
  Ref shl(long long k) const {
    Ref r;
    for (long long i = k; i < kRefBits; ++i) r.b[i] = b[i - k];
    return r;
  }
  Ref shr(long long k) const {  // arithmetic: the sign comes in
    Ref r;
    for (int i = 0; i < kRefBits; ++i) r.b[i] = i + k < kRefBits ? b[i + k] : neg();
    return r;
  }
  // The low `bits` bits of the product (enough for a result of that width).
  Ref mul(const Ref& o, int bits) const {
    Ref r;
    for (int i = 0; i < bits; ++i)
      if (o.b[i]) {
        int c = 0;
        for (int j = i; j < bits; ++j) {
          const int s = r.b[j] + b[j - i] + c;
          r.b[j] = s & 1;
          c = s >> 1;
        }
      }
    return r;
  }
  // Mathematical comparison.
  int cmp(const Ref& o) const {
    if (neg() != o.neg()) return neg() ? -1 : 1;
    for (int i = kRefBits - 1; i >= 0; --i)
      if (b[i] != o.b[i]) return b[i] ? 1 : -1;
    return 0;
  }
  bool low_equal(const Ref& o, int m) const {
    for (int i = 0; i < m; ++i)
      if (b[i] != o.b[i]) return false;
    return true;
  }
  unsigned long long low64() const {
    unsigned long long v = 0;
    for (int i = 0; i < 64; ++i) v |= (unsigned long long)b[i] << i;
    return v;
  }
};

// x holds r (its low T::width bits).
template <class T>
::testing::AssertionResult Same(const T& x, const Ref& r) {
  const T& c = x;
  for (int i = 0; i < T::width; ++i)
    if (bool(c[i]) != bool(r.b[i]))
      return ::testing::AssertionFailure() << "bit " << i << " of " << (kSigned<T> ? "ap_int<" : "ap_uint<")
                                           << int(T::width) << "> is " << bool(c[i]) << ", expected " << int(r.b[i]);
  return ::testing::AssertionSuccess();
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int below(int n) { return int(next() % uint64_t(n)); }
};

template <class T>
T random_value(Rng& rng) {
  T x = 0;
  for (int i = 0; i < T::width; i += 64) {
    const int hi = i + 63 < T::width ? i + 63 : T::width - 1;
    x.range(hi, i) = (unsigned long long)rng.next();
  }
  return x;
}

// AMD's rules across signedness (ap_private's operator< and operator==; see hls_shim/ap_int.h).
bool amd_less(const Ref& a, int wa, bool sa, const Ref& b, int wb, bool sb) {
  if (sa != sb && !(wa < 32 && wb < 32) && (sa ? wb >= wa : wa >= wb)) {
    if (sa && a.neg()) return false;
    if (sb && b.neg()) return true;
  }
  return a.cmp(b) < 0;
}
bool amd_equal(const Ref& a, int wa, bool sa, const Ref& b, int wb, bool sb) {
  if (sa == sb) return a.cmp(b) == 0;
  const int m = wa == wb ? std::max(wa, 64) : std::max(std::max(wa, wb), 32);
  return a.low_equal(b, m);
}

constexpr int logic_w(int w1, bool s1, int w2, bool s2) {
  return std::max(w1 + (s2 && !s1), w2 + (s1 && !s2));
}

// ---- every width, both signednesses -------------------------------------------------------
template <class T>
class hls_shim_widths : public ::testing::Test {};
using ApTypes = ::testing::Types<
    ap_uint<1>, ap_int<1>, ap_uint<7>, ap_int<7>, ap_uint<8>, ap_int<8>, ap_uint<9>, ap_int<9>,
    ap_uint<16>, ap_int<16>, ap_uint<31>, ap_int<31>, ap_uint<32>, ap_int<32>, ap_uint<33>,
    ap_int<33>, ap_uint<63>, ap_int<63>, ap_uint<64>, ap_int<64>, ap_uint<65>, ap_int<65>,
    ap_uint<128>, ap_int<128>, ap_uint<512>, ap_int<512>, ap_uint<768>, ap_int<768>,
    ap_uint<2048>, ap_int<2048>>;
struct ApName {
  template <class T>
  static std::string GetName(int) {
    return std::string(kSigned<T> ? "ap_int_" : "ap_uint_") + std::to_string(T::width);
  }
};
TYPED_TEST_SUITE(hls_shim_widths, ApTypes, ApName);

TYPED_TEST(hls_shim_widths, ConstructsFromCIntegersAndOtherWidthsModulo2W) {
  using T = TypeParam;
  const long long ints[] = {0, 1, -1, 5, -5, 127, -128, 255, 0x7fffffff, -0x80000000LL,
                            0x123456789abcdefLL, LLONG_MIN, LLONG_MAX};
  for (long long v : ints) {
    EXPECT_TRUE(Same(T(v), Ref::of_int(v))) << v;
    EXPECT_TRUE(Same(T(int(v)), Ref::of_int(int(v)))) << v;
    EXPECT_TRUE(Same(T(short(v)), Ref::of_int(short(v)))) << v;
    EXPECT_TRUE(Same(T((signed char)v), Ref::of_int((signed char)v))) << v;
    EXPECT_TRUE(Same(T((unsigned char)v), Ref::of_uint((unsigned char)v))) << v;
    EXPECT_TRUE(Same(T(unsigned(v)), Ref::of_uint(unsigned(v)))) << v;
    EXPECT_TRUE(Same(T((unsigned long long)v), Ref::of_uint((unsigned long long)v))) << v;
    EXPECT_TRUE(Same(T(long(v)), Ref::of_int(long(v)))) << v;
    T assigned;
    assigned = v;  // implicit, like AMD's
    EXPECT_TRUE(Same(assigned, Ref::of_int(v))) << v;
  }
  EXPECT_TRUE(Same(T(true), Ref::of_int(1)));
  EXPECT_TRUE(Same(T('A'), Ref::of_int('A')));
  // From other widths: extended by the source's signedness, then truncated.
  EXPECT_TRUE(Same(T(ap_int<5>(-3)), Ref::of_int(-3)));
  EXPECT_TRUE(Same(T(ap_uint<5>(29)), Ref::of_int(29)));
  Rng rng(T::width * 2 + kSigned<T>);
  const ap_uint<2048> wide_u = random_value<ap_uint<2048>>(rng);
  const ap_int<2048> wide_s = random_value<ap_int<2048>>(rng);
  EXPECT_TRUE(Same(T(wide_u), Ref::of(wide_u)));
  EXPECT_TRUE(Same(T(wide_s), Ref::of(wide_s)));
  const T x = random_value<T>(rng);
  const ap_int<T::width + 7> up = x;  // implicit widening keeps the value
  EXPECT_TRUE(Same(up, Ref::of(x)));
  const ap_uint<T::width + 7> up_u = x;
  EXPECT_TRUE(Same(up_u, Ref::of(x)));
}

TYPED_TEST(hls_shim_widths, ShiftsKeepTheTypeAndWrapAtTheWidth) {
  using T = TypeParam;
  constexpr int W = T::width;
  Rng rng(W * 3 + kSigned<T>);
  for (int trial = 0; trial < 3; ++trial) {
    const T x = trial == 0 ? T(-1) : random_value<T>(rng);
    const Ref rx = Ref::of(x);
    static_assert(std::is_same<decltype(x << 1), T>::value, "x << int keeps x's type");
    static_assert(std::is_same<decltype(x >> ap_uint<5>(1)), T>::value, "x >> ap keeps x's type");
    const int ks[] = {0, 1, 3, 7, 8, W / 2, W - 1, W, W + 1, W + 64, 2 * W + 5, rng.below(W)};
    for (int k : ks) {
      SCOPED_TRACE(k);
      const Ref left = rx.shl(k), right = rx.shr(k);
      EXPECT_TRUE(Same(x << k, left));
      EXPECT_TRUE(Same(x >> k, right));
      EXPECT_TRUE(Same(x << (unsigned)k, left));
      EXPECT_TRUE(Same(x >> (unsigned long)k, right));
      EXPECT_TRUE(Same(x << (long long)k, left));
      EXPECT_TRUE(Same(x << ap_uint<13>(k), left));
      EXPECT_TRUE(Same(x >> ap_uint<13>(k), right));
      // A negative amount shifts the other way (C int or ap_int).
      EXPECT_TRUE(Same(x << -k, right));
      EXPECT_TRUE(Same(x >> -k, left));
      EXPECT_TRUE(Same(x << ap_int<14>(-k), right));
      EXPECT_TRUE(Same(x >> ap_int<14>(-k), left));
      T c = x;
      c <<= k;
      EXPECT_TRUE(Same(c, left));
      c = x;
      c >>= k;
      EXPECT_TRUE(Same(c, right));
      c = x;
      c <<= ap_uint<13>(k);
      EXPECT_TRUE(Same(c, left));
      c = x;
      c >>= ap_int<14>(-k);
      EXPECT_TRUE(Same(c, left));
    }
  }
}

TYPED_TEST(hls_shim_widths, ArithmeticWrapsAtTheResultWidth) {
  using T = TypeParam;
  constexpr int W = T::width;
  constexpr bool S = kSigned<T>;
  Rng rng(W * 5 + S);
  for (int trial = 0; trial < 3; ++trial) {
    const T x = trial == 0 ? T(-1) : random_value<T>(rng);
    const T y = trial == 0 ? T(-1) : random_value<T>(rng);
    const Ref rx = Ref::of(x), ry = Ref::of(y);

    const auto sum = x + y;
    static_assert(decltype(sum)::width == W + 1 && kSigned<decltype(sum)> == S, "x + y");
    EXPECT_TRUE(Same(sum, rx + ry));
    const auto diff = x - y;
    static_assert(std::is_same<decltype(diff), const ap_int<W + 1>>::value, "x - y is signed");
    EXPECT_TRUE(Same(diff, rx - ry));
    const auto prod = x * y;
    static_assert(decltype(prod)::width == 2 * W && kSigned<decltype(prod)> == S, "x * y");
    EXPECT_TRUE(Same(prod, rx.mul(ry, 2 * W)));
    const auto bits = (x & y) | (x ^ ~y);
    static_assert(std::is_same<decltype(bits), const T>::value, "& | ^ ~ keep the type");
    EXPECT_TRUE(Same(bits, (rx & ry) | (rx ^ ~ry)));
    const auto neg = -x;
    static_assert(std::is_same<decltype(neg), const ap_int<(W > 1 + S ? W : 1 + S) + 1>>::value,
                  "-x is ap_int one bit wider");
    EXPECT_TRUE(Same(neg, -rx));
    EXPECT_TRUE(Same(+x, rx));
    EXPECT_EQ(!x, rx.cmp(Ref::of_int(0)) == 0);

    // Mixed widths and C integers: both widened to the result type first.
    const ap_uint<8> u8 = ap_uint<8>(rng.next());
    const ap_int<8> s8 = ap_int<8>(rng.next());
    const Ref ru8 = Ref::of(u8), rs8 = Ref::of(s8);
    const auto a1 = x + u8;
    static_assert(decltype(a1)::width == logic_w(W, S, 8, false) + 1, "x + ap_uint<8>");
    EXPECT_TRUE(Same(a1, rx + ru8));
    const auto a2 = x - s8;
    static_assert(decltype(a2)::width == logic_w(W, S, 8, true) + 1 && kSigned<decltype(a2)>, "x - ap_int<8>");
    EXPECT_TRUE(Same(a2, rx - rs8));
    const auto a3 = s8 * x;
    static_assert(decltype(a3)::width == W + 8 && kSigned<decltype(a3)>, "ap_int<8> * x");
    EXPECT_TRUE(Same(a3, rs8.mul(rx, W + 8)));
    const auto a4 = x & s8;
    static_assert(decltype(a4)::width == logic_w(W, S, 8, true) && kSigned<decltype(a4)>, "x & ap_int<8>");
    EXPECT_TRUE(Same(a4, rx & rs8));
    const auto c1 = x + 1;
    static_assert(decltype(c1)::width == logic_w(W, S, 32, true) + 1 && kSigned<decltype(c1)>, "x + int");
    EXPECT_TRUE(Same(c1, rx + Ref::of_int(1)));
    const auto c2 = -5 - x;
    EXPECT_TRUE(Same(c2, Ref::of_int(-5) - rx));
    const auto c3 = x * 3u;
    static_assert(decltype(c3)::width == W + 32 && kSigned<decltype(c3)> == S, "x * unsigned");
    EXPECT_TRUE(Same(c3, rx.mul(Ref::of_uint(3), W + 32)));
    const auto c4 = x ^ (unsigned long long)0xF0F0F0F0F0F0F0F0ull;
    EXPECT_TRUE(Same(c4, rx ^ Ref::of_uint(0xF0F0F0F0F0F0F0F0ull)));
    const auto c5 = x | -2;
    EXPECT_TRUE(Same(c5, rx | Ref::of_int(-2)));
  }
}

TYPED_TEST(hls_shim_widths, CompoundAssignmentsWrapAtTheWidth) {
  using T = TypeParam;
  constexpr int W = T::width;
  constexpr bool S = kSigned<T>;
  Rng rng(W * 7 + S);
  const T x = random_value<T>(rng), y = random_value<T>(rng);
  const ap_int<13> z = ap_int<13>(rng.next());
  const Ref rx = Ref::of(x), ry = Ref::of(y), rz = Ref::of(z);
  T c = x;
  c += y;
  EXPECT_TRUE(Same(c, rx + ry));
  c = x;
  c -= z;
  EXPECT_TRUE(Same(c, rx - rz));
  c = x;
  c *= y;
  EXPECT_TRUE(Same(c, rx.mul(ry, W)));
  c = x;
  c &= z;  // the narrower operand is extended by its own signedness
  EXPECT_TRUE(Same(c, rx & rz));
  c = x;
  c |= z;
  EXPECT_TRUE(Same(c, rx | rz));
  c = x;
  c ^= y;
  EXPECT_TRUE(Same(c, rx ^ ry));
  c = x;
  c += -7;
  EXPECT_TRUE(Same(c, rx + Ref::of_int(-7)));
  c = x;
  c -= 1000000007u;
  EXPECT_TRUE(Same(c, rx - Ref::of_uint(1000000007u)));
  c = x;
  c *= -3;
  EXPECT_TRUE(Same(c, rx.mul(Ref::of_int(-3), W)));
  c = x;
  c ^= 0x5a5a5a5a5a5a5a5aull;
  EXPECT_TRUE(Same(c, rx ^ Ref::of_uint(0x5a5a5a5a5a5a5a5aull)));
  c = x;
  EXPECT_TRUE(Same(++c, rx + Ref::of_int(1)));
  EXPECT_TRUE(Same(c++, rx + Ref::of_int(1)));
  EXPECT_TRUE(Same(c, rx + Ref::of_int(2)));
  EXPECT_TRUE(Same(--c, rx + Ref::of_int(1)));
  EXPECT_TRUE(Same(c--, rx + Ref::of_int(1)));
  EXPECT_TRUE(Same(c, rx));
  T m = T(-1);
  ++m;  // all ones + 1 wraps to 0
  EXPECT_TRUE(Same(m, Ref::of_int(0)));
  // Compound assignments return a reference to the left operand.
  c = x;
  (c += 1) = 3;
  EXPECT_TRUE(Same(c, Ref::of_int(3)));
}

TYPED_TEST(hls_shim_widths, RangesReadAndWriteWithVariableBounds) {
  using T = TypeParam;
  constexpr int W = T::width;
  Rng rng(W * 11 + kSigned<T>);
  for (int trial = 0; trial < 12; ++trial) {
    const T x = random_value<T>(rng);
    const Ref rx = Ref::of(x);
    int lo = rng.below(W), hi = lo + rng.below(W - lo);
    if (trial == 0) lo = 0, hi = W - 1;
    if (trial == 1) lo = hi = W - 1;
    SCOPED_TRACE(std::to_string(hi) + ":" + std::to_string(lo));
    const int len = hi - lo + 1;
    Ref want;  // the range's value, unsigned
    for (int i = 0; i < len; ++i) want.b[i] = rx.b[lo + i];

    EXPECT_TRUE(Same(ap_uint<W>(x.range(hi, lo)), want));
    EXPECT_TRUE(Same(ap_uint<8>(x.range(hi, lo)), want));
    EXPECT_TRUE(Same(ap_int<W>(x(hi, lo)), want));
    EXPECT_EQ(x.range(hi, lo).to_uint64(), want.low64());
    EXPECT_EQ((unsigned long long)x.range(hi, lo), want.low64());
    EXPECT_EQ(x.range(hi, lo).to_uint(), unsigned(want.low64()));
    EXPECT_EQ(x.range(hi, lo).length(), len);
    EXPECT_TRUE(Same(ap_uint<W>(x.range(ap_uint<12>(hi), ap_uint<12>(lo))), want));

    // Reversed bounds read bit i from bit hi - i.
    Ref rev;
    for (int i = 0; i < len; ++i) rev.b[i] = rx.b[hi - i];
    EXPECT_TRUE(Same(ap_uint<W>(x.range(lo, hi)), rev));

    // Writes replace bits lo..hi with the low bits of the value assigned.
    const ap_int<2048> v = random_value<ap_int<2048>>(rng);
    const Ref rv = Ref::of(v);
    Ref put = rx;
    for (int i = 0; i < len; ++i) put.b[lo + i] = rv.b[i];
    T c = x;
    c.range(hi, lo) = v;
    EXPECT_TRUE(Same(c, put));
    c = x;
    c(hi, lo) = -1;
    Ref ones = rx;
    for (int i = 0; i < len; ++i) ones.b[lo + i] = 1;
    EXPECT_TRUE(Same(c, ones));
    c = x;
    c.range(hi, lo) = (unsigned long long)v.range(63, 0);
    Ref put64 = rx;
    for (int i = 0; i < len; ++i) put64.b[lo + i] = i < 64 ? rv.b[i] : 0;
    EXPECT_TRUE(Same(c, put64));
    c = x;
    c.range(hi, lo) = v.range(2047, 2048 - len);  // a range of another value
    Ref putr = rx;
    for (int i = 0; i < len; ++i) putr.b[lo + i] = rv.b[2048 - len + i];
    EXPECT_TRUE(Same(c, putr));
    c = x;
    c.range(lo, hi) = v;  // reversed: bit i of the value goes to bit hi - i
    Ref putrev = rx;
    for (int i = 0; i < len; ++i) putrev.b[hi - i] = rv.b[i];
    EXPECT_TRUE(Same(c, putrev));
  }
  // Byte lanes at constant offsets, as the parser reads them.
  if (W >= 8) {
    const T x = random_value<T>(rng);
    const Ref rx = Ref::of(x);
    for (int i = 0; i < W / 8; ++i) {
      unsigned want = 0;
      for (int k = 0; k < 8; ++k) want |= unsigned(rx.b[8 * i + k]) << k;
      EXPECT_EQ(x.range(8 * i + 7, 8 * i).to_uint(), want);
      EXPECT_EQ(uint8_t(x.range(8 * i + 7, 8 * i)), want);
      const ap_uint<8> byte = x.range(8 * i + 7, 8 * i);
      EXPECT_EQ(byte, want);
    }
  }
}

TYPED_TEST(hls_shim_widths, BitReferences) {
  using T = TypeParam;
  constexpr int W = T::width;
  Rng rng(W * 13 + kSigned<T>);
  const T x = random_value<T>(rng);
  const Ref rx = Ref::of(x);
  for (int t = 0; t < 6; ++t) {
    const int i = t == 0 ? W - 1 : rng.below(W);
    T c = x;
    EXPECT_EQ(bool(c[i]), bool(rx.b[i]));
    EXPECT_EQ(c.bit(i), bool(rx.b[i]));
    EXPECT_EQ(c[ap_uint<12>(i)], bool(rx.b[i]));
    EXPECT_EQ(~c[i], !rx.b[i]);
    EXPECT_EQ(c.test(i), bool(rx.b[i]));
    Ref r = rx;
    c[i] = 1;
    r.b[i] = 1;
    EXPECT_TRUE(Same(c, r));
    c.bit(i) = 0;
    r.b[i] = 0;
    EXPECT_TRUE(Same(c, r));
    c[i] = 2;  // any non-zero value sets the bit
    r.b[i] = 1;
    EXPECT_TRUE(Same(c, r));
    c[i] = ap_uint<16>(0x100);
    EXPECT_TRUE(Same(c, r));
    c[ap_uint<12>(i)] = ap_uint<4>(0);
    r.b[i] = 0;
    EXPECT_TRUE(Same(c, r));
    c[i] = x.range(W - 1, 0);  // non-zero unless x is zero
    r.b[i] = rx.as(W, false).cmp(Ref::of_int(0)) != 0;
    EXPECT_TRUE(Same(c, r));
  }
  if (kSigned<T>) {
    T c = 0;
    c[W - 1] = 1;  // the sign bit
    EXPECT_TRUE(c < 0);
  }
}

TYPED_TEST(hls_shim_widths, ComparisonsFollowAmdRulesAcrossWidthsAndSignedness) {
  using T = TypeParam;
  constexpr int W = T::width;
  constexpr bool S = kSigned<T>;
  Rng rng(W * 17 + S);
  for (int trial = 0; trial < 4; ++trial) {
    const T x = trial == 0 ? T(-1) : trial == 1 ? T(0) : random_value<T>(rng);
    const Ref rx = Ref::of(x);
#define CHECK_CMP(Y, WY, SY)                                                               \
  do {                                                                                     \
    const auto y_ = (Y);                                                                   \
    const Ref ry = Ref::of(y_);                                                            \
    EXPECT_EQ(x == y_, amd_equal(rx, W, S, ry, WY, SY)) << #Y;                             \
    EXPECT_EQ(x != y_, !amd_equal(rx, W, S, ry, WY, SY)) << #Y;                            \
    EXPECT_EQ(x < y_, amd_less(rx, W, S, ry, WY, SY)) << #Y;                               \
    EXPECT_EQ(x > y_, amd_less(ry, WY, SY, rx, W, S)) << #Y;                               \
    EXPECT_EQ(x <= y_, !amd_less(ry, WY, SY, rx, W, S)) << #Y;                             \
    EXPECT_EQ(x >= y_, !amd_less(rx, W, S, ry, WY, SY)) << #Y;                             \
  } while (0)
    CHECK_CMP(ap_uint<8>(200), 8, false);
    CHECK_CMP(ap_int<8>(-100), 8, true);
    CHECK_CMP(ap_uint<32>(0xFFFFFFFFu), 32, false);
    CHECK_CMP(ap_int<32>(-1), 32, true);
    CHECK_CMP(ap_uint<64>(~0ull), 64, false);
    CHECK_CMP(ap_int<W>(x), W, true);
    CHECK_CMP(ap_uint<W>(x), W, false);
    CHECK_CMP(ap_int<W + 1>(x), W + 1, true);
    CHECK_CMP(ap_uint<W + 1>(x), W + 1, false);
    CHECK_CMP(random_value<ap_int<W>>(rng), W, true);
    CHECK_CMP(random_value<ap_uint<100>>(rng), 100, false);
#undef CHECK_CMP
    // C integers compare as ap types of their own width and signedness.
    const long long cs[] = {0, 1, -1, 200, -200, INT_MIN};
    for (long long c : cs) {
      const Ref ri = Ref::of_int(int(c)), rl = Ref::of_int(c);
      EXPECT_EQ(x == int(c), amd_equal(rx, W, S, ri, 32, true)) << c;
      EXPECT_EQ(x < int(c), amd_less(rx, W, S, ri, 32, true)) << c;
      EXPECT_EQ(int(c) < x, amd_less(ri, 32, true, rx, W, S)) << c;
      EXPECT_EQ(x >= c, !amd_less(rx, W, S, rl, 64, true)) << c;
      const Ref ru = Ref::of_uint(unsigned(c)), rull = Ref::of_uint((unsigned long long)c);
      EXPECT_EQ(x == unsigned(c), amd_equal(rx, W, S, ru, 32, false)) << c;
      EXPECT_EQ(x > unsigned(c), amd_less(ru, 32, false, rx, W, S)) << c;
      EXPECT_EQ(x <= (unsigned long long)c, !amd_less(rull, 64, false, rx, W, S)) << c;
      EXPECT_EQ((unsigned long long)c != x, !amd_equal(rx, W, S, rull, 64, false)) << c;
    }
  }
}

TYPED_TEST(hls_shim_widths, ReductionsAndConversions) {
  using T = TypeParam;
  constexpr int W = T::width;
  constexpr bool S = kSigned<T>;
  Rng rng(W * 19 + S);
  for (int trial = 0; trial < 5; ++trial) {
    T x = trial == 0 ? T(0) : trial == 1 ? T(-1) : trial == 2 ? T(1) : random_value<T>(rng);
    const Ref rx = Ref::of(x);
    int ones = 0;
    for (int i = 0; i < W; ++i) ones += rx.b[i];
    EXPECT_EQ(x.and_reduce(), ones == W);
    EXPECT_EQ(x.or_reduce(), ones != 0);
    EXPECT_EQ(x.nor_reduce(), ones == 0);
    if constexpr (!S) {
      EXPECT_EQ(x.xor_reduce(), ones % 2 == 1);
      EXPECT_EQ(x.xnor_reduce(), ones % 2 == 0);
    }
    EXPECT_EQ(x.iszero(), ones == 0);
    EXPECT_EQ(x.length(), W);
    // The C conversions take the low bits of the value extended by its signedness.
    const unsigned long long low = rx.low64();
    EXPECT_EQ(x.to_uint64(), low);
    EXPECT_EQ((unsigned long long)x.to_int64(), low);
    EXPECT_EQ(x.to_uint(), unsigned(low));
    EXPECT_EQ(x.to_int(), int(unsigned(low)));
    EXPECT_EQ(x.to_ulong(), (unsigned long)low);
    EXPECT_EQ((unsigned long)x.to_long(), (unsigned long)low);
    // The one implicit conversion: to unsigned long long (ap_uint) or long long (ap_int).
    using Ret = typename std::conditional<S, long long, unsigned long long>::type;
    const Ret implicit = x;
    EXPECT_EQ((unsigned long long)implicit, low);
    const uint8_t narrow = uint8_t(x);
    EXPECT_EQ(narrow, uint8_t(low));
    EXPECT_EQ(x.to_bool(), low != 0);  // the low 64 bits only, like AMD's
    EXPECT_EQ(bool(x), low != 0);
  }
}

// ---- AMD's rules, case by case --------------------------------------------------------------
TEST(hls_shim, IssueExamples) {
  EXPECT_EQ(ap_uint<8>(0x80) << 1, 0);  // wraps; the shim used to give 256
  EXPECT_EQ(ap_uint<8>(0x80) << 1, ap_uint<8>(0));
  EXPECT_EQ(~ap_uint<8>(0), 255);
  EXPECT_EQ(~ap_uint<8>(0x0F), 0xF0);
  EXPECT_EQ(~ap_int<8>(0), -1);
  EXPECT_EQ(~ap_uint<2048>(0), ap_uint<2048>(-1));

  const auto d = ap_uint<8>(1) - ap_uint<8>(2);
  static_assert(std::is_same<decltype(d), const ap_int<9>>::value, "difference is ap_int<9>");
  EXPECT_EQ(d, -1);
  EXPECT_TRUE(d < 0);
  const ap_uint<8> d8 = d;
  const ap_uint<16> d16 = d;
  const int di = d;
  EXPECT_EQ(d8, 255);
  EXPECT_EQ(d16, 65535);
  EXPECT_EQ(di, -1);
  EXPECT_TRUE(ap_uint<8>(1) - ap_uint<8>(2) < 0);
  EXPECT_TRUE(ap_uint<8>(1) - 2 < 0);

  const auto n = -ap_uint<8>(1);
  static_assert(std::is_same<decltype(n), const ap_int<9>>::value, "-ap_uint<8> is ap_int<9>");
  EXPECT_EQ(n, -1);
  static_assert(std::is_same<decltype(-ap_uint<1>(1)), ap_int<2>>::value, "-ap_uint<1>");
  static_assert(std::is_same<decltype(-ap_int<1>(-1)), ap_int<3>>::value, "-ap_int<1>");
  EXPECT_EQ(-ap_int<1>(-1), 1);
  EXPECT_EQ(-ap_int<8>(-128), 128);  // no overflow: the result is one bit wider
}

TEST(hls_shim, ResultTypes) {
  const ap_uint<8> u8 = 0;
  const ap_int<8> s8 = 0;
  const ap_uint<16> u16 = 0;
  const ap_int<16> s16 = 0;
  static_assert(std::is_same<decltype(u8 + u8), ap_uint<9>>::value, "");
  static_assert(std::is_same<decltype(u8 + s8), ap_int<10>>::value, "unsigned side gains a bit");
  static_assert(std::is_same<decltype(u8 + s16), ap_int<17>>::value, "");
  static_assert(std::is_same<decltype(u16 - u8), ap_int<17>>::value, "");
  static_assert(std::is_same<decltype(u8 * s8), ap_int<16>>::value, "");
  static_assert(std::is_same<decltype(u8 & s8), ap_int<9>>::value, "");
  static_assert(std::is_same<decltype(u8 | u16), ap_uint<16>>::value, "");
  static_assert(std::is_same<decltype(u8 + 1), ap_int<33>>::value, "int is ap_int<32>");
  static_assert(std::is_same<decltype(1 + u8), ap_int<33>>::value, "");
  static_assert(std::is_same<decltype(u8 + 1u), ap_uint<33>>::value, "unsigned is ap_uint<32>");
  static_assert(std::is_same<decltype(u8 + true), ap_uint<9>>::value, "bool is ap_uint<1>");
  static_assert(std::is_same<decltype(u8 + 'a'), ap_int<10>>::value, "char is ap_int<8>");
  static_assert(std::is_same<decltype(u8 * 1ull), ap_uint<72>>::value, "");
  static_assert(std::is_same<decltype(u8 - 1ll), ap_int<65>>::value, "");
  static_assert(std::is_same<decltype(u8 << 3), ap_uint<8>>::value, "");
  static_assert(std::is_same<decltype(s8 >> u16), ap_int<8>>::value, "");
  static_assert(std::is_same<decltype(~s8), ap_int<8>>::value, "");
  static_assert(std::is_same<decltype(u8 == 1), bool>::value, "");
  // A range reads as an unsigned number as wide as its owner.
  static_assert(std::is_same<decltype(u16.range(3, 0) + 1), ap_int<33>>::value, "");
  static_assert(std::is_same<decltype(u16.range(3, 0) << 1), ap_uint<16>>::value, "");
  static_assert(std::is_same<decltype(u16.range(3, 0) & u8), ap_uint<16>>::value, "");
  static_assert(std::is_same<decltype(u8 - u16.range(3, 0)), ap_int<17>>::value, "");
  static_assert(std::is_same<decltype(u16.range(3, 0) * u8.range(1, 0)), ap_uint<24>>::value, "");
  // ... whose type on the left takes the owner's signedness (the value is computed unsigned).
  static_assert(std::is_same<decltype(s16.range(3, 0) + u8), ap_int<17>>::value, "");
  // A bit reads as ap_uint<1> against ap types, as bool against C integers.
  ap_uint<8> v = 0;
  static_assert(std::is_same<decltype(v[3] + u8), ap_uint<9>>::value, "");
  static_assert(std::is_same<decltype(u8 - v[3]), ap_int<9>>::value, "");
  static_assert(std::is_same<decltype(v[3] + 1), int>::value, "built-in");
  static_assert(std::is_same<decltype(~v[3]), bool>::value, "");
  static_assert(std::is_same<decltype(u8[3]), bool>::value, "const: a bool");
  // Compound assignments and prefix ++ return the base class by reference.
  static_assert(std::is_same<decltype(v += 1), ap_int_base<8, false>&>::value, "");
  static_assert(std::is_same<decltype(++v), ap_int_base<8, false>&>::value, "");
  static_assert(std::is_same<decltype(v++), const ap_uint<8>>::value, "");
}

TEST(hls_shim, MixedWithCIntegers) {
  EXPECT_EQ(ap_uint<8>(255) + 1, 256);
  EXPECT_EQ(ap_uint<8>(255) + 1u, 256u);
  EXPECT_EQ(ap_uint<8>(0) - 1, -1);
  EXPECT_EQ(ap_uint<8>(0) - 1u, -1);            // ap_int<33>(-1): a difference is signed
  EXPECT_EQ((ap_uint<8>(3) * -2).to_int(), -6);
  EXPECT_EQ(ap_uint<8>(0xF0) & -16, 0xF0);      // ap_int<32>: -16 is 0xFFFFFFF0
  EXPECT_EQ(ap_uint<64>(~0ull) + 1ull, ap_uint<65>(1) << 64);
  const uint64_t big = 0x8000000000000000ull;
  EXPECT_TRUE(ap_uint<64>(big) == big);
  EXPECT_TRUE(ap_uint<65>(big) * 2 == ap_uint<66>(1) << 64);
  ap_uint<8> a = 250;
  a += 10;  // wraps at 8 bits
  EXPECT_EQ(a, 4);
  a -= 5;
  EXPECT_EQ(a, 255);
  ap_int<8> s = 127;
  s += 1;
  EXPECT_EQ(s, -128);
  s *= -1;
  EXPECT_EQ(s, -128);
}

TEST(hls_shim, ComparisonsAcrossSignedness) {
  // Same signedness or both narrower than 32 bits: by value.
  EXPECT_TRUE(ap_int<8>(-1) < ap_uint<8>(1));
  EXPECT_TRUE(ap_int<16>(-1) < ap_uint<31>(0));
  // The unsigned side at least as wide as the signed side (and 32 or more): as in C, a
  // negative value is larger than every unsigned one.
  EXPECT_FALSE(ap_int<32>(-1) < ap_uint<32>(1));
  EXPECT_TRUE(ap_int<8>(-1) > ap_uint<32>(7));
  EXPECT_FALSE(ap_uint<32>(5) > -1);
  EXPECT_TRUE(ap_uint<64>(5) < -1);
  EXPECT_FALSE(ap_int<8>(-1) < (uint64_t)0);
  // The signed side wider: by value.
  EXPECT_TRUE(ap_uint<8>(5) > -1);
  EXPECT_TRUE(ap_uint<31>(5) > -1);
  EXPECT_TRUE(ap_int<65>(-1) < ap_uint<64>(0));
  // Equality across signedness compares the low max(W, 64) bits for equal widths, else the low
  // max(W1, W2, 32) bits.
  EXPECT_FALSE(ap_uint<32>(0xFFFFFFFFu) == -1);
  EXPECT_FALSE(ap_uint<32>(0xFFFFFFFFu) == ap_int<32>(-1));
  EXPECT_TRUE(ap_uint<64>(~0ull) == ap_int<64>(-1));
  EXPECT_TRUE(ap_uint<64>(~0ull) == -1);
  EXPECT_FALSE(ap_uint<8>(255) == -1);
  EXPECT_TRUE(ap_int<8>(-1) == ap_uint<32>(0xFFFFFFFFu));
  EXPECT_FALSE(ap_int<8>(-1) == ap_uint<16>(0xFFFF));
  EXPECT_TRUE(ap_int<8>(-1) == -1);
  EXPECT_TRUE(ap_int<100>(-1) == ap_uint<100>(ap_int<100>(-1)));
  EXPECT_TRUE(-1 == ap_int<3>(7));
}

TEST(hls_shim, ShiftAmounts) {
  const ap_uint<16> x = 0x1234;
  EXPECT_EQ(x << 4, 0x2340);
  EXPECT_EQ(x >> 4, 0x0123);
  EXPECT_EQ(x << 16, 0);
  EXPECT_EQ(x << 1000, 0);
  EXPECT_EQ(x << -4, 0x0123);  // a negative amount shifts the other way
  EXPECT_EQ(x >> ap_int<8>(-4), 0x2340);
  // An ap amount counts its low 32 bits only.
  EXPECT_EQ(x << ap_uint<40>((1ull << 32) + 4), 0x2340);
  // An ap_int shifted right brings its sign in, also past its width.
  EXPECT_EQ(ap_int<16>(-32768) >> 15, -1);
  EXPECT_EQ(ap_int<16>(-32768) >> 99, -1);
  EXPECT_EQ(ap_int<16>(16384) >> 99, 0);
  EXPECT_EQ(ap_int<16>(1) << 15, -32768);
  // Wide windows shift by whole bytes at run time.
  ap_uint<2048> w = 0;
  w.range(2047, 2040) = 0xAB;
  for (int k = 0; k < 256; ++k) EXPECT_EQ((w >> (8 * k)).range(2047 - 8 * k, 2040 - 8 * k), 0xAB) << k;
  EXPECT_EQ(w >> 2048, 0);
  ap_uint<12> bits = 255;
  bits <<= 3;
  EXPECT_EQ((w >> bits).range(7, 0), 0xAB);
}

TEST(hls_shim, RangesReadAsWideAsTheirOwner) {
  ap_uint<16> x = 0xFF00;
  EXPECT_EQ(x.range(15, 8) + 1, 256);               // not 0: the sum is ap_int<33>
  EXPECT_EQ(x.range(15, 8) << 4, 0xFF0);            // wraps at 16 bits, not 8
  EXPECT_EQ(ap_uint<8>(x.range(15, 8)) << 4, 0xF0); // as ap_uint<8> first, it wraps at 8
  EXPECT_EQ(~x.range(15, 8), ~0xFFull);             // the built-in ~ of unsigned long long
  EXPECT_TRUE(x.range(15, 8) == 0xFF);
  EXPECT_FALSE(x.range(15, 8) == -1);               // ap_uint<16>(255) vs ap_int<32>(-1)
  EXPECT_TRUE(x.range(15, 8) > x.range(7, 0));
  EXPECT_TRUE(x.range(11, 8) == x.range(15, 12));
  EXPECT_EQ(x.range(15, 8) - x.range(7, 0), 255);
  ap_uint<32> y = 0;
  y.range(7, 0) = x.range(15, 8);
  y.range(31, 24) = 0x1FF;                          // only the low 8 bits are written
  EXPECT_EQ(y, 0xFF0000FFu);
  auto r = x.range(15, 8);  // a reference: sees later writes
  x = 0x1200;
  EXPECT_EQ(r.to_uint(), 0x12u);
  ap_uint<64> acc = 100;
  acc += r;  // a named range is read as ap_uint<16>
  EXPECT_EQ(acc, 118);
  const ap_uint<16> c = 0xABCD;
  EXPECT_EQ(c.range(7, 4), 0xC);
  EXPECT_EQ(c(15, 12), 0xA);
  EXPECT_EQ(c.range(), 0xABCD);
}

TEST(hls_shim, ImplicitConversionReadsTheLow64Bits) {
  ap_uint<128> x = 1;
  x <<= 64;  // only bit 64 set
  EXPECT_FALSE(x.to_bool());
  EXPECT_FALSE(bool(x));
  EXPECT_FALSE(!x);  // operator! looks at every bit
  EXPECT_TRUE(x.or_reduce());
  EXPECT_TRUE(x != 0);
  const unsigned long long low = x;
  EXPECT_EQ(low, 0ull);
  const int i = ap_int<8>(-3);
  EXPECT_EQ(i, -3);
  const unsigned u = ap_uint<40>(0x123456789ull);
  EXPECT_EQ(u, 0x23456789u);
}

TEST(hls_shim, StringConstructors) {
  EXPECT_EQ(ap_uint<8>("12"), 12);
  EXPECT_EQ(ap_uint<8>("0x1F"), 31);
  EXPECT_EQ(ap_uint<8>("0b1011"), 11);
  EXPECT_EQ(ap_uint<8>("0o17"), 15);
  EXPECT_EQ(ap_uint<8>("-1"), 255);
  EXPECT_EQ(ap_uint<8>("256"), 0);
  EXPECT_EQ(ap_int<8>("-12"), -12);
  EXPECT_EQ(ap_uint<8>("ff", 16), 255);
  EXPECT_EQ(ap_int<32>("-ff", 16), -255);
  EXPECT_EQ(ap_uint<8>("1011", 2), 11);
  EXPECT_EQ(ap_uint<8>("12z", 10), 12);  // up to 64 bits, parsing stops at a non-digit
  EXPECT_EQ(ap_uint<64>("123456789012345678901234567890"), ~0ull);  // saturates like sscanf
  ap_uint<128> big("0x123456789abcdef0123456789abcdef");
  EXPECT_EQ(big.range(127, 64).to_uint64(), 0x123456789abcdefull);
  EXPECT_EQ(big.range(63, 0).to_uint64(), 0x0123456789abcdefull);
  EXPECT_EQ(ap_uint<128>("123456789012345678901234567890").range(127, 64).to_uint64(), 0x18ee90ff6ull);
  EXPECT_EQ(ap_int<130>("-1"), -1);
  const ap_uint<16> implicit = "0x100";
  EXPECT_EQ(implicit, 256);
}

TEST(hls_shim, PrintsLikeAmd) {
  const auto text = [](const auto& v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  EXPECT_EQ(text(ap_uint<8>(200)), "200");
  EXPECT_EQ(text(ap_int<8>(-56)), "-56");
  EXPECT_EQ(text(ap_uint<128>(1) << 100), "1267650600228229401496703205376");
  EXPECT_EQ(text(ap_int<100>(-1)), "-1");
  EXPECT_EQ(text(ap_uint<16>(0xABCD).range(15, 8)), "171");
  // The radix follows std::cout's flags, not the stream's.
  std::ostringstream s;
  s << std::hex << ap_uint<8>(200);
  EXPECT_EQ(s.str(), "200");
  const std::ios_base::fmtflags saved = std::cout.flags();
  std::cout << std::hex;
  EXPECT_EQ(text(ap_uint<8>(0x80)), "0x80");
  EXPECT_EQ(text(ap_uint<12>(0x800)), "0x800");
  EXPECT_EQ(text(ap_uint<16>(0x8ab)), "0x08ab");  // a 0 before a top digit with its high bit set
  EXPECT_EQ(text(ap_uint<8>(0)), "0x0");
  EXPECT_EQ(text(ap_int<8>(-128)), "-0x80");
  EXPECT_EQ(text(ap_uint<128>(0xabc)), "0x0ABC");  // above 64 bits: uppercase, leading 0
  EXPECT_EQ(text(ap_uint<128>(0)), "0");
  std::cout << std::oct;
  EXPECT_EQ(text(ap_uint<8>(8)), "0o10");
  std::cout.flags(saved);
}

TEST(hls_shim, XorReductionOfAMaskedWideKey) {
  // The CRC matrix's row parity: (key & row).xor_reduce() over 768 bits.
  Rng rng(768);
  const ap_uint<768> key = random_value<ap_uint<768>>(rng);
  const ap_uint<768> row = random_value<ap_uint<768>>(rng);
  const Ref rk = Ref::of(key), rr = Ref::of(row);
  int ones = 0;
  for (int i = 0; i < 768; ++i) ones += rk.b[i] & rr.b[i];
  EXPECT_EQ((key & row).xor_reduce(), ones % 2 == 1);
  EXPECT_TRUE(ap_uint<8>(0x80).xor_reduce());
  EXPECT_FALSE(ap_uint<7>(0x7E).xor_reduce());
}

// ---- hls::stream ----------------------------------------------------------------------------
struct Item {
  ap_uint<512> data;
  ap_uint<9> len;
  bool last;
};

TEST(hls_shim, StreamsAreUnboundedFifos) {
  hls::stream<Item> s("items");
  EXPECT_TRUE(s.empty());
  EXPECT_FALSE(s.full());
  EXPECT_EQ(s.size(), 0u);
  Item a;
  a.data = 1;
  a.data <<= 500;
  a.len = 300;
  a.last = true;
  s.write(a);
  s << a;
  EXPECT_TRUE(s.write_nb(a));
  EXPECT_EQ(s.size(), 3u);
  Item b = s.read();
  EXPECT_EQ(b.data, a.data);
  EXPECT_EQ(b.len, 300);
  EXPECT_TRUE(b.last);
  Item c;
  s >> c;
  EXPECT_EQ(c.data, a.data);
  s.read(c);
  EXPECT_TRUE(s.empty());
  // read_nb on an empty stream: false, and the item becomes T() (an int: 0; AMD's ap types
  // leave T() undefined).
  int v = 7;
  hls::stream<int> q;
  EXPECT_FALSE(q.read_nb(v));
  EXPECT_EQ(v, 0);
  q.write(42);
  EXPECT_TRUE(q.read_nb(v));
  EXPECT_EQ(v, 42);
  // A blocking read of an empty stream returns T() (after a warning), as AMD's model does.
  EXPECT_EQ(q.read(), 0);
}

TEST(hls_shim, AxisBeatHasAmdFieldNames) {
  typedef ap_axiu<512, 0, 8, 8> Beat;
  Beat b;
  b.data = 0;
  b.data.range(7, 0) = 0x5A;
  b.keep = ~0ull;
  b.strb = b.keep;
  b.last = 1;
  b.id = 3;
  b.dest = 200;
  static_assert(decltype(b.data)::width == 512 && decltype(b.keep)::width == 64 &&
                    decltype(b.strb)::width == 64 && decltype(b.last)::width == 1 &&
                    decltype(b.id)::width == 8 && decltype(b.dest)::width == 8,
                "AMD's field widths");
  EXPECT_EQ(b.dest, 200);
  // A zero-width side channel is disabled: nothing can be assigned to it.
  static_assert(!std::is_assignable<decltype((b.user)), int>::value, "TUSER of width 0");
  hls::stream<Beat> s;
  s.write(b);
  EXPECT_EQ(s.read().data.range(7, 0), 0x5A);
}

TEST(hls_shim, ReportsTheHeadersInUse) {
  std::printf("HLS headers: %s\n", BROKER_HLS_HEADERS);
#ifdef BROKER_HLS_SHIM
  EXPECT_STREQ(BROKER_HLS_HEADERS, "hls_shim");
#else
  EXPECT_STREQ(BROKER_HLS_HEADERS, "AMD");
#endif
}

}  // namespace
