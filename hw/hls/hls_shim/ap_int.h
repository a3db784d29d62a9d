// Native stand-in for AMD's ap_int.h: ap_uint<W> and ap_int<W> with the result types and
// values of AMD's headers (Xilinx/HLS_arbitrary_Precision_Types) and a subset of their API.
// What AMD's offer with results that surprise or differ from the hardware (division across
// signedness, floating point, the comma operator's concatenation, a range's reductions and
// |= &= ^=, nand_reduce, xor_reduce of an ap_int) is deleted or left out, so it fails to
// compile here instead of compiling to something else. tests/hls_shim pins the rest.
//
// A value is kept in 64-bit words, two's complement; the bits above W in the top word hold
// copies of the sign bit (ap_int) or zeros (ap_uint).
#ifndef BROKER_HLS_SHIM_AP_INT_H_
#define BROKER_HLS_SHIM_AP_INT_H_

#define BROKER_HLS_SHIM 1

#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 1024
#endif

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <type_traits>

template <int W, bool S> struct ap_int_base;
template <int W> struct ap_uint;
template <int W> struct ap_int;
template <int W, bool S> struct ap_range_ref;
template <int W, bool S> struct ap_bit_ref;

// The C integer types AMD's operators take, each with its own overload.
#define AP_SHIM_CTYPES(X)                                                                  \
  X(bool) X(char) X(signed char) X(unsigned char) X(short) X(unsigned short) X(int)        \
  X(unsigned int) X(long) X(unsigned long) X(long long) X(unsigned long long)

namespace ap_shim {

typedef uint64_t word;

constexpr int nwords(int w) { return (w + 63) / 64; }
constexpr int imax(int a, int b) { return a > b ? a : b; }
// AMD's limit: AP_INT_MAX_W rounded up to a multiple of 1024.
constexpr int max_width() { return ((AP_INT_MAX_W + 1023) / 1024) * 1024; }

inline word low_mask(int n) { return n >= 64 ? ~word(0) : (word(1) << n) - 1; }
inline word sign_extend(word x, int n) { return word(int64_t(x << (64 - n)) >> (64 - n)); }

[[noreturn]] inline void fail(const char* what, int a, int b, int w) {
  std::fprintf(stderr, "ap_int (shim): %s (%d, %d) out of range for width %d\n", what, a, b, w);
  std::abort();
}
[[noreturn]] inline void fail_string(const char* what, const char* s) {
  std::fprintf(stderr, "ap_int (shim): %s: \"%s\"\n", what, s);
  std::abort();
}

template <int W, bool S> struct make { typedef ap_uint<W> type; };
template <int W> struct make<W, true> { typedef ap_int<W> type; };

// Result types of binary operators (AMD's ap_int_base::RType).
template <int W1, bool S1, int W2, bool S2>
struct rtype {
  static constexpr int logic_w = imax(W1 + (S2 && !S1), W2 + (S1 && !S2));
  static constexpr bool sign = S1 || S2;
  typedef typename make<logic_w, sign>::type logic;
  typedef typename make<logic_w + 1, sign>::type plus;
  typedef typename make<logic_w + 1, true>::type minus;
  typedef typename make<W1 + W2, sign>::type mult;
  typedef typename make<W1, S1>::type arg1;
};

// Width and signedness AMD gives a C integer operand.
template <class T>
struct cint {
  static constexpr int w = int(sizeof(T) * CHAR_BIT);
  static constexpr bool s = T(-1) < T(0);
};
template <>
struct cint<bool> {
  static constexpr int w = 1;
  static constexpr bool s = false;
};

template <class T> struct is_ap_base : std::false_type {};
template <int W, bool S> struct is_ap_base<ap_int_base<W, S>> : std::true_type {};
template <int W> struct is_ap_base<ap_uint<W>> : std::true_type {};
template <int W> struct is_ap_base<ap_int<W>> : std::true_type {};
template <class T> struct is_ap_any : is_ap_base<T> {};
template <int W, bool S> struct is_ap_any<ap_range_ref<W, S>> : std::true_type {};
template <int W, bool S> struct is_ap_any<ap_bit_ref<W, S>> : std::true_type {};

// The word-level algorithms; a friend of every ap type.
struct ops;

}  // namespace ap_shim

// ---------------------------------------------------------------------------------------------
template <int W, bool S>
struct ap_int_base {
  static_assert(W >= 1, "ap_[u]int<W>: W must be at least 1");
  static_assert(W <= ap_shim::max_width(),
                "ap_[u]int<W>: W exceeds AP_INT_MAX_W (define AP_INT_MAX_W before ap_int.h)");
  static const int width = W;

  // Zero, where AMD's leaves the value undefined.
  ap_int_base() : w_() {}
  template <int W2, bool S2>
  ap_int_base(const ap_int_base<W2, S2>& o) { assign(o); }
  template <int W2, bool S2>
  ap_int_base(const ap_range_ref<W2, S2>& r) : w_() { r.read_into(w_, N); fix(); }
  template <int W2, bool S2>
  ap_int_base(const ap_bit_ref<W2, S2>& b) : w_() { w_[0] = bool(b); fix(); }
#define AP_SHIM_CTOR(T) \
  ap_int_base(T v) { set_c(v); }
  AP_SHIM_CTYPES(AP_SHIM_CTOR)
#undef AP_SHIM_CTOR
  ap_int_base(float) = delete;
  ap_int_base(double) = delete;
  ap_int_base(const char* s, signed char radix = 0) { from_string(s, radix); }

  ap_int_base& operator=(const ap_int_base&) = default;
  template <int W2, bool S2>
  ap_int_base& operator=(const ap_int_base<W2, S2>& o) { assign(o); return *this; }
  template <int W2, bool S2>
  ap_int_base& operator=(const ap_range_ref<W2, S2>& r) { return *this = ap_int_base(r); }
  template <int W2, bool S2>
  ap_int_base& operator=(const ap_bit_ref<W2, S2>& b) { return *this = ap_int_base(bool(b)); }
#define AP_SHIM_ASSIGN(T) \
  ap_int_base& operator=(T v) { set_c(v); return *this; }
  AP_SHIM_CTYPES(AP_SHIM_ASSIGN)
#undef AP_SHIM_ASSIGN

  // AMD's only implicit conversion: the low 64 bits, sign-extended for ap_int.
  typedef typename std::conditional<S, long long, unsigned long long>::type RetType;
  operator RetType() const { return RetType(w_[0]); }

  // Like AMD's, to_bool() looks at the low 64 bits only.
  bool to_bool() const { return w_[0] != 0; }
  int to_int() const { return int(w_[0]); }
  unsigned to_uint() const { return unsigned(w_[0]); }
  long to_long() const { return long(w_[0]); }
  unsigned long to_ulong() const { return (unsigned long)(w_[0]); }
  long long to_int64() const { return (long long)(w_[0]); }
  unsigned long long to_uint64() const { return (unsigned long long)(w_[0]); }

  int length() const { return W; }
  bool iszero() const { return zero(); }
  bool is_zero() const { return zero(); }
  bool test(int i) const { check_bit(i); return get_bit(i); }

  bool and_reduce() const {
    for (int i = 0; i < N - 1; ++i)
      if (w_[i] != ~ap_shim::word(0)) return false;
    const ap_shim::word m = ap_shim::low_mask(W - 64 * (N - 1));
    return (w_[N - 1] & m) == m;
  }
  bool or_reduce() const { return !zero(); }
  bool nor_reduce() const { return zero(); }
  // Not on ap_int: AMD's counts the sign extension of a negative value of odd width up to 64
  // bits. No nand_reduce(): above 64 bits AMD's returns whether the value is zero.
  template <bool S2 = S, typename std::enable_if<!S2, int>::type = 0>
  bool xor_reduce() const {
    ap_shim::word x = w_[N - 1];
    for (int i = 0; i < N - 1; ++i) x ^= w_[i];
    return __builtin_parityll(x);
  }
  template <bool S2 = S, typename std::enable_if<!S2, int>::type = 0>
  bool xnor_reduce() const { return !xor_reduce(); }

  // Bits and ranges. Bounds outside [0, W) abort, as AMD's do in a debug build.
  ap_bit_ref<W, S> operator[](int i) { check_bit(i); return ap_bit_ref<W, S>(this, i); }
  bool operator[](int i) const { check_bit(i); return get_bit(i); }
  template <int W2, bool S2>
  ap_bit_ref<W, S> operator[](const ap_int_base<W2, S2>& i) { return (*this)[i.to_int()]; }
  template <int W2, bool S2>
  bool operator[](const ap_int_base<W2, S2>& i) const { return (*this)[i.to_int()]; }
  ap_bit_ref<W, S> bit(int i) { return (*this)[i]; }
  bool bit(int i) const { return (*this)[i]; }
  template <int W2, bool S2>
  ap_bit_ref<W, S> bit(const ap_int_base<W2, S2>& i) { return (*this)[i.to_int()]; }
  template <int W2, bool S2>
  bool bit(const ap_int_base<W2, S2>& i) const { return (*this)[i.to_int()]; }

  // range(hi, lo) with hi < lo reads and writes the bits in reverse order, as AMD's does. The
  // const forms return a writable reference too, as AMD's do.
  ap_range_ref<W, S> range(int hi, int lo) const {
    check_range(hi, lo);
    return ap_range_ref<W, S>(const_cast<ap_int_base*>(this), hi, lo);
  }
  template <int W2, bool S2, int W3, bool S3>
  ap_range_ref<W, S> range(const ap_int_base<W2, S2>& hi, const ap_int_base<W3, S3>& lo) const {
    return range(hi.to_int(), lo.to_int());
  }
  ap_range_ref<W, S> range() const { return range(W - 1, 0); }
  ap_range_ref<W, S> operator()(int hi, int lo) const { return range(hi, lo); }
  template <int W2, bool S2, int W3, bool S3>
  ap_range_ref<W, S> operator()(const ap_int_base<W2, S2>& hi,
                                const ap_int_base<W3, S3>& lo) const {
    return range(hi.to_int(), lo.to_int());
  }

  // Unary operators.
  typename ap_shim::make<W, S>::type operator+() const { return *this; }
  typename ap_shim::rtype<1, false, W, S>::minus operator-() const {
    return ap_int_base<1, false>(0) - *this;
  }
  bool operator!() const { return zero(); }
  typename ap_shim::make<W, S>::type operator~() const {
    typename ap_shim::make<W, S>::type r;
    for (int i = 0; i < N; ++i) r.w_[i] = ~w_[i];
    r.fix();
    return r;
  }
  ap_int_base& operator++() { return *this += ap_int_base<1, false>(1); }
  ap_int_base& operator--() { return *this -= ap_int_base<1, false>(1); }
  const typename ap_shim::make<W, S>::type operator++(int) {
    typename ap_shim::make<W, S>::type t(*this);
    ++*this;
    return t;
  }
  const typename ap_shim::make<W, S>::type operator--(int) {
    typename ap_shim::make<W, S>::type t(*this);
    --*this;
    return t;
  }

  // Compound assignment: the result modulo 2^W.
  template <int W2, bool S2>
  ap_int_base& operator+=(const ap_int_base<W2, S2>& b) { add_to(w_, N, *this, b); fix(); return *this; }
  template <int W2, bool S2>
  ap_int_base& operator-=(const ap_int_base<W2, S2>& b) { sub_to(w_, N, *this, b); fix(); return *this; }
  template <int W2, bool S2>
  ap_int_base& operator*=(const ap_int_base<W2, S2>& b) {
    ap_int_base t;
    mul_to(t.w_, N, *this, b);
    t.fix();
    return *this = t;
  }
  template <int W2, bool S2>
  ap_int_base& operator&=(const ap_int_base<W2, S2>& b) {
    for (int i = 0; i < N; ++i) w_[i] &= b.word_at(i);
    fix();
    return *this;
  }
  template <int W2, bool S2>
  ap_int_base& operator|=(const ap_int_base<W2, S2>& b) {
    for (int i = 0; i < N; ++i) w_[i] |= b.word_at(i);
    fix();
    return *this;
  }
  template <int W2, bool S2>
  ap_int_base& operator^=(const ap_int_base<W2, S2>& b) {
    for (int i = 0; i < N; ++i) w_[i] ^= b.word_at(i);
    fix();
    return *this;
  }

  // Shifts keep the left operand's type. An unsigned amount counts its low 32 bits; a
  // negative signed amount shifts the other way; shifting by W or more gives 0 (or -1 when
  // an ap_int shifted right is negative).
  template <int W2>
  typename ap_shim::make<W, S>::type operator<<(const ap_int_base<W2, false>& b) const {
    typename ap_shim::make<W, S>::type r;
    shl_to(r, *this, b.to_uint());
    return r;
  }
  template <int W2>
  typename ap_shim::make<W, S>::type operator<<(const ap_int_base<W2, true>& b) const {
    if (b.negative()) return *this >> ap_int_base<W2, false>(-b);
    return *this << ap_int_base<W2, false>(b);
  }
  template <int W2>
  typename ap_shim::make<W, S>::type operator>>(const ap_int_base<W2, false>& b) const {
    typename ap_shim::make<W, S>::type r;
    shr_to(r, *this, b.to_uint());
    return r;
  }
  template <int W2>
  typename ap_shim::make<W, S>::type operator>>(const ap_int_base<W2, true>& b) const {
    if (b.negative()) return *this << ap_int_base<W2, false>(-b);
    return *this >> ap_int_base<W2, false>(b);
  }
  template <int W2>
  ap_int_base& operator<<=(const ap_int_base<W2, false>& b) { shl_to(*this, *this, b.to_uint()); return *this; }
  template <int W2>
  ap_int_base& operator<<=(const ap_int_base<W2, true>& b) {
    if (b.negative()) return *this >>= ap_int_base<W2, false>(-b);
    return *this <<= ap_int_base<W2, false>(b);
  }
  template <int W2>
  ap_int_base& operator>>=(const ap_int_base<W2, false>& b) { shr_to(*this, *this, b.to_uint()); return *this; }
  template <int W2>
  ap_int_base& operator>>=(const ap_int_base<W2, true>& b) {
    if (b.negative()) return *this <<= ap_int_base<W2, false>(-b);
    return *this >>= ap_int_base<W2, false>(b);
  }

  // Comparisons: see ap_shim::ops::less and ops::equal for AMD's rules across signedness.
  template <int W2, bool S2>
  bool operator==(const ap_int_base<W2, S2>& b) const { return equal(*this, b); }
  template <int W2, bool S2>
  bool operator!=(const ap_int_base<W2, S2>& b) const { return !equal(*this, b); }
  template <int W2, bool S2>
  bool operator<(const ap_int_base<W2, S2>& b) const { return less(*this, b); }
  template <int W2, bool S2>
  bool operator>(const ap_int_base<W2, S2>& b) const { return less(b, *this); }
  template <int W2, bool S2>
  bool operator<=(const ap_int_base<W2, S2>& b) const { return !less(b, *this); }
  template <int W2, bool S2>
  bool operator>=(const ap_int_base<W2, S2>& b) const { return !less(*this, b); }

 private:
  template <int, bool> friend struct ap_int_base;
  template <int, bool> friend struct ap_range_ref;
  template <int, bool> friend struct ap_bit_ref;
  friend struct ap_shim::ops;
  typedef ap_shim::word word;
  static constexpr int N = ap_shim::nwords(W);

  word w_[N];

  // Word i of the value extended without end (sign or zeros).
  word ext() const { return S ? word(int64_t(w_[N - 1]) >> 63) : 0; }
  word word_at(int i) const { return i < N ? w_[i] : ext(); }
  bool negative() const { return S && int64_t(w_[N - 1]) < 0; }
  bool zero() const {
    for (int i = 0; i < N; ++i)
      if (w_[i]) return false;
    return true;
  }
  bool get_bit(int i) const { return (w_[i >> 6] >> (i & 63)) & 1; }
  void put_bit(int i, bool v) {
    const word m = word(1) << (i & 63);
    w_[i >> 6] = v ? (w_[i >> 6] | m) : (w_[i >> 6] & ~m);
    fix();
  }
  static void check_bit(int i) {
    if (i < 0 || i >= W) ap_shim::fail("bit index", i, i, W);
  }
  static void check_range(int hi, int lo) {
    if (hi < 0 || lo < 0 || hi >= W || lo >= W) ap_shim::fail("range", hi, lo, W);
  }
  // Restores the representation's top bits after any change to the top word.
  void fix() {
    if (W % 64 != 0) {  // a constant: the branch folds away
      w_[N - 1] = S ? ap_shim::sign_extend(w_[N - 1], W % 64) : (w_[N - 1] & ap_shim::low_mask(W % 64));
    }
  }
  template <int W2, bool S2>
  void assign(const ap_int_base<W2, S2>& o) {
    for (int i = 0; i < N; ++i) w_[i] = o.word_at(i);
    fix();
  }
  template <class T>
  void set_c(T v) {
    const bool neg = std::is_signed<T>::value && v < T(0);
    w_[0] = std::is_signed<T>::value ? word(int64_t(v)) : word(v);
    for (int i = 1; i < N; ++i) w_[i] = neg ? ~word(0) : 0;
    fix();
  }
  void from_string(const char* s, int radix);

  template <int W1, bool S1, int W2, bool S2>
  static void add_to(word* r, int n, const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    word c = 0;
    for (int i = 0; i < n; ++i) {
      const word x = a.word_at(i), y = b.word_at(i);
      const word s = x + y;
      const word t = s + c;
      c = (s < x) | (t < s);
      r[i] = t;
    }
  }
  template <int W1, bool S1, int W2, bool S2>
  static void sub_to(word* r, int n, const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    word c = 0;
    for (int i = 0; i < n; ++i) {
      const word x = a.word_at(i), y = b.word_at(i);
      const word d = x - y;
      const word t = d - c;
      c = (x < y) | (d < c);
      r[i] = t;
    }
  }
  // r must not be a or b.
  template <int W1, bool S1, int W2, bool S2>
  static void mul_to(word* r, int n, const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    if (n == 1) {
      r[0] = a.word_at(0) * b.word_at(0);
      return;
    }
    for (int i = 0; i < n; ++i) r[i] = 0;
    for (int i = 0; i < n; ++i) {
      const word x = a.word_at(i);
      if (!x) continue;
      unsigned __int128 carry = 0;
      for (int j = 0; i + j < n; ++j) {
        const unsigned __int128 t = (unsigned __int128)x * b.word_at(j) + r[i + j] + carry;
        r[i + j] = word(t);
        carry = t >> 64;
      }
    }
  }
  // r may be a.
  template <int W1, bool S1>
  static void shl_to(ap_int_base<W1, S1>& r, const ap_int_base<W1, S1>& a, unsigned long long s) {
    constexpr int n = ap_int_base<W1, S1>::N;
    if (s >= (unsigned long long)W1) {
      for (int i = 0; i < n; ++i) r.w_[i] = 0;
      return;
    }
    const int q = int(s >> 6), b = int(s & 63);
    if (b == 0) {
      for (int i = n - 1; i >= q; --i) r.w_[i] = a.w_[i - q];
    } else {
      for (int i = n - 1; i > q; --i) r.w_[i] = (a.w_[i - q] << b) | (a.w_[i - q - 1] >> (64 - b));
      r.w_[q] = a.w_[0] << b;
    }
    for (int i = q - 1; i >= 0; --i) r.w_[i] = 0;
    r.fix();
  }
  template <int W1, bool S1>
  static void shr_to(ap_int_base<W1, S1>& r, const ap_int_base<W1, S1>& a, unsigned long long s) {
    constexpr int n = ap_int_base<W1, S1>::N;
    const word e = a.ext();
    if (s >= (unsigned long long)W1) {
      for (int i = 0; i < n; ++i) r.w_[i] = e;
      return;
    }
    const int q = int(s >> 6), b = int(s & 63);
    const int m = n - q;  // words taken from a
    if (b == 0) {
      for (int i = 0; i < m; ++i) r.w_[i] = a.w_[i + q];
    } else {
      for (int i = 0; i < m - 1; ++i) r.w_[i] = (a.w_[i + q] >> b) | (a.w_[i + q + 1] << (64 - b));
      r.w_[m - 1] = (a.w_[n - 1] >> b) | (e << (64 - b));
    }
    for (int i = m; i < n; ++i) r.w_[i] = e;
    r.fix();
  }

  // AMD compares across signedness like this: mathematically when both sides have the same
  // signedness or both are narrower than 32 bits; otherwise, when the unsigned side is at
  // least as wide as the signed side, a negative signed value counts as larger than any
  // unsigned one (as in C); otherwise mathematically.
  template <int W1, bool S1, int W2, bool S2>
  static bool less(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    if (S1 != S2 && !(W1 < 32 && W2 < 32) && (S1 ? W2 >= W1 : W1 >= W2)) {
      if (a.negative()) return false;
      if (b.negative()) return true;
    }
    const bool na = a.negative(), nb = b.negative();
    if (na != nb) return na;
    for (int i = ap_shim::imax(ap_int_base<W1, S1>::N, ap_int_base<W2, S2>::N) - 1; i >= 0; --i) {
      const word x = a.word_at(i), y = b.word_at(i);
      if (x != y) return x < y;
    }
    return false;
  }
  // Equal in value when both have the same signedness. Otherwise AMD compares the low M bits,
  // M = max(W, 64) for equal widths and max(W1, W2, 32) for different widths, so that
  // ap_uint<32>(0xFFFFFFFF) != ap_int<32>(-1) but ap_uint<64>(~0) == -1.
  template <int W1, bool S1, int W2, bool S2>
  static bool equal(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    constexpr int n = ap_shim::imax(ap_int_base<W1, S1>::N, ap_int_base<W2, S2>::N);
    if (S1 == S2) {
      for (int i = 0; i < n; ++i)
        if (a.word_at(i) != b.word_at(i)) return false;
      return true;
    }
    constexpr int m = W1 == W2 ? ap_shim::imax(W1, 64) : ap_shim::imax(ap_shim::imax(W1, W2), 32);
    for (int i = 0; i < m / 64; ++i)
      if (a.word_at(i) != b.word_at(i)) return false;
    if (m % 64) return ((a.word_at(m / 64) ^ b.word_at(m / 64)) & ap_shim::low_mask(m % 64)) == 0;
    return true;
  }
};

// ---------------------------------------------------------------------------------------------
template <int W>
struct ap_uint : ap_int_base<W, false> {
  ap_uint() {}
  ap_uint(const ap_uint&) = default;
  template <int W2, bool S2>
  ap_uint(const ap_int_base<W2, S2>& o) : ap_int_base<W, false>(o) {}
  template <int W2, bool S2>
  ap_uint(const ap_range_ref<W2, S2>& r) : ap_int_base<W, false>(r) {}
  template <int W2, bool S2>
  ap_uint(const ap_bit_ref<W2, S2>& b) : ap_int_base<W, false>(b) {}
#define AP_SHIM_CTOR(T) \
  ap_uint(T v) : ap_int_base<W, false>(v) {}
  AP_SHIM_CTYPES(AP_SHIM_CTOR)
#undef AP_SHIM_CTOR
  ap_uint(float) = delete;
  ap_uint(double) = delete;
  ap_uint(const char* s) : ap_int_base<W, false>(s) {}
  ap_uint(const char* s, signed char radix) : ap_int_base<W, false>(s, radix) {}
  ap_uint& operator=(const ap_uint&) = default;
};

template <int W>
struct ap_int : ap_int_base<W, true> {
  ap_int() {}
  ap_int(const ap_int&) = default;
  template <int W2, bool S2>
  ap_int(const ap_int_base<W2, S2>& o) : ap_int_base<W, true>(o) {}
  template <int W2, bool S2>
  ap_int(const ap_range_ref<W2, S2>& r) : ap_int_base<W, true>(r) {}
  template <int W2, bool S2>
  ap_int(const ap_bit_ref<W2, S2>& b) : ap_int_base<W, true>(b) {}
#define AP_SHIM_CTOR(T) \
  ap_int(T v) : ap_int_base<W, true>(v) {}
  AP_SHIM_CTYPES(AP_SHIM_CTOR)
#undef AP_SHIM_CTOR
  ap_int(float) = delete;
  ap_int(double) = delete;
  ap_int(const char* s) : ap_int_base<W, true>(s) {}
  ap_int(const char* s, signed char radix) : ap_int_base<W, true>(s, radix) {}
  ap_int& operator=(const ap_int&) = default;
};

// ---------------------------------------------------------------------------------------------
// x.range(hi, lo): reads as an unsigned number of x's full width W (so x.range(7, 0) + 1 is
// as wide as x + 1), or as unsigned long long; writes the low bits of what it is assigned.
template <int W, bool S>
struct ap_range_ref {
  ap_range_ref(const ap_range_ref&) = default;

  operator ap_int_base<W, false>() const { return ap_int_base<W, false>(*this); }
  operator unsigned long long() const { return to_uint64(); }

  ap_range_ref& operator=(const ap_range_ref& v) { return *this = ap_int_base<W, false>(v); }
  template <int W2, bool S2>
  ap_range_ref& operator=(const ap_range_ref<W2, S2>& v) { return *this = ap_int_base<W2, false>(v); }
  template <int W2, bool S2>
  ap_range_ref& operator=(const ap_int_base<W2, S2>& v) {
    write(v);
    return *this;
  }
  template <int W2, bool S2>
  ap_range_ref& operator=(const ap_bit_ref<W2, S2>& v) { return *this = (unsigned long long)bool(v); }
#define AP_SHIM_ASSIGN(T) \
  ap_range_ref& operator=(T v) { return *this = ap_int_base<W, false>(v); }
  AP_SHIM_CTYPES(AP_SHIM_ASSIGN)
#undef AP_SHIM_ASSIGN
  ap_range_ref& operator=(const char* s) { return *this = ap_int_base<W, false>(s); }

  template <int W2, bool S2>
  bool operator==(const ap_range_ref<W2, S2>& o) { return ap_int_base<W, false>(*this) == ap_int_base<W2, false>(o); }
  template <int W2, bool S2>
  bool operator!=(const ap_range_ref<W2, S2>& o) { return !(*this == o); }
  template <int W2, bool S2>
  bool operator<(const ap_range_ref<W2, S2>& o) { return ap_int_base<W, false>(*this) < ap_int_base<W2, false>(o); }
  template <int W2, bool S2>
  bool operator<=(const ap_range_ref<W2, S2>& o) { return ap_int_base<W, false>(*this) <= ap_int_base<W2, false>(o); }
  template <int W2, bool S2>
  bool operator>(const ap_range_ref<W2, S2>& o) { return !(*this <= o); }
  template <int W2, bool S2>
  bool operator>=(const ap_range_ref<W2, S2>& o) { return !(*this < o); }

  int length() const { return h_ >= l_ ? h_ - l_ + 1 : l_ - h_ + 1; }
  int to_int() const { return int(low64()); }
  unsigned to_uint() const { return unsigned(low64()); }
  long to_long() const { return long(low64()); }
  unsigned long to_ulong() const { return (unsigned long)(low64()); }
  long long to_int64() const { return (long long)(low64()); }
  unsigned long long to_uint64() const { return low64(); }

 private:
  template <int, bool> friend struct ap_int_base;
  typedef ap_shim::word word;
  ap_range_ref(ap_int_base<W, S>* d, int hi, int lo) : d_(*d), l_(lo), h_(hi) {}

  ap_int_base<W, S>& d_;
  int l_, h_;

  // The low 64 bits of the range's value.
  word low64() const {
    if (h_ < l_) return reversed();
    const int q = l_ >> 6, b = l_ & 63;
    word v = d_.w_[q] >> b;
    if (b && q + 1 < ap_int_base<W, S>::N) v |= d_.w_[q + 1] << (64 - b);
    return v & ap_shim::low_mask(h_ - l_ + 1);
  }
  word reversed() const {
    word v = 0;
    for (int i = 0; i <= l_ - h_ && i < 64; ++i) v |= word(d_.get_bit(l_ - i)) << i;
    return v;
  }
  // The range's value modulo 2^(64 n), into out[0..n).
  void read_into(word* out, int n) const {
    if (h_ < l_) {
      for (int i = 0; i < n; ++i) out[i] = 0;
      for (int i = 0; i <= l_ - h_ && i < 64 * n; ++i)
        out[i >> 6] |= word(d_.get_bit(l_ - i)) << (i & 63);
      return;
    }
    const int len = h_ - l_ + 1, q = l_ >> 6, b = l_ & 63;
    constexpr int sn = ap_int_base<W, S>::N;
    for (int i = 0; i < n; ++i) {
      const int rem = len - 64 * i;
      if (rem <= 0) {
        out[i] = 0;
        continue;
      }
      const int j = q + i;
      word v = d_.w_[j] >> b;
      if (b && j + 1 < sn) v |= d_.w_[j + 1] << (64 - b);
      out[i] = v & ap_shim::low_mask(rem);
    }
  }
  template <int W2, bool S2>
  void write(const ap_int_base<W2, S2>& v) {
    if (h_ < l_) {
      for (int i = 0; i <= l_ - h_; ++i) d_.put_bit(l_ - i, (v.word_at(i >> 6) >> (i & 63)) & 1);
      return;
    }
    const int len = h_ - l_ + 1, q = l_ >> 6, b = l_ & 63;
    for (int k = 0; 64 * k < len; ++k) {
      const int n = len - 64 * k < 64 ? len - 64 * k : 64;
      const word m = ap_shim::low_mask(n), x = v.word_at(k) & m;
      word& lo = d_.w_[q + k];
      lo = (lo & ~(m << b)) | (x << b);
      if (b && b + n > 64) {
        word& hi = d_.w_[q + k + 1];
        hi = (hi & ~(m >> (64 - b))) | (x >> (64 - b));
      }
    }
    d_.fix();
  }
};

// x[i]: reads as bool; assigning stores whether the value is non-zero.
template <int W, bool S>
struct ap_bit_ref {
  ap_bit_ref(const ap_bit_ref&) = default;

  operator bool() const { return d_.get_bit(i_); }
  bool to_bool() const { return d_.get_bit(i_); }
  bool operator~() const { return !d_.get_bit(i_); }
  int length() const { return 1; }

  ap_bit_ref& operator=(const ap_bit_ref& v) { return *this = bool(v); }
  template <int W2, bool S2>
  ap_bit_ref& operator=(const ap_bit_ref<W2, S2>& v) { return *this = bool(v); }
  template <int W2, bool S2>
  ap_bit_ref& operator=(const ap_int_base<W2, S2>& v) { return *this = !v.zero(); }
  template <int W2, bool S2>
  ap_bit_ref& operator=(const ap_range_ref<W2, S2>& v) { return *this = ap_int_base<W2, false>(v); }
#define AP_SHIM_ASSIGN(T)                  \
  ap_bit_ref& operator=(T v) {             \
    d_.put_bit(i_, v != static_cast<T>(0)); \
    return *this;                          \
  }
  AP_SHIM_CTYPES(AP_SHIM_ASSIGN)
#undef AP_SHIM_ASSIGN

  template <int W2, bool S2>
  bool operator==(const ap_bit_ref<W2, S2>& o) { return bool(*this) == bool(o); }
  template <int W2, bool S2>
  bool operator!=(const ap_bit_ref<W2, S2>& o) { return bool(*this) != bool(o); }

 private:
  template <int, bool> friend struct ap_int_base;
  ap_bit_ref(ap_int_base<W, S>* d, int i) : d_(*d), i_(i) {}
  ap_int_base<W, S>& d_;
  int i_;
};

// ---------------------------------------------------------------------------------------------
namespace ap_shim {
template <class R> struct base_of;
template <int W> struct base_of<ap_uint<W>> { typedef ap_int_base<W, false> type; };
template <int W> struct base_of<ap_int<W>> { typedef ap_int_base<W, true> type; };

struct ops {
  template <class R, int W1, bool S1, int W2, bool S2>
  static R add(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    R r;
    base_of<R>::type::add_to(r.w_, base_of<R>::type::N, a, b);
    r.fix();
    return r;
  }
  template <class R, int W1, bool S1, int W2, bool S2>
  static R sub(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    R r;
    base_of<R>::type::sub_to(r.w_, base_of<R>::type::N, a, b);
    r.fix();
    return r;
  }
  template <class R, int W1, bool S1, int W2, bool S2>
  static R mul(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
    R r;
    base_of<R>::type::mul_to(r.w_, base_of<R>::type::N, a, b);
    r.fix();
    return r;
  }
  template <class R, class F, int W1, bool S1, int W2, bool S2>
  static R logic(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b, F f) {
    R r;
    for (int i = 0; i < base_of<R>::type::N; ++i) r.w_[i] = f(a.word_at(i), b.word_at(i));
    r.fix();
    return r;
  }
  template <int W, bool S>
  static bool negative(const ap_int_base<W, S>& a) { return a.negative(); }
  template <int W, bool S>
  static const word* words(const ap_int_base<W, S>& a) { return a.w_; }
};
}  // namespace ap_shim

// ---------------------------------------------------------------------------------------------
// Binary operators between ap types: both operands widened to the result type first.
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::plus operator+(const ap_int_base<W1, S1>& a,
                                                                const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::add<typename ap_shim::rtype<W1, S1, W2, S2>::plus>(a, b);
}
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::minus operator-(const ap_int_base<W1, S1>& a,
                                                                 const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::sub<typename ap_shim::rtype<W1, S1, W2, S2>::minus>(a, b);
}
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::mult operator*(const ap_int_base<W1, S1>& a,
                                                                const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::mul<typename ap_shim::rtype<W1, S1, W2, S2>::mult>(a, b);
}
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::logic operator&(const ap_int_base<W1, S1>& a,
                                                                 const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::logic<typename ap_shim::rtype<W1, S1, W2, S2>::logic>(
      a, b, [](ap_shim::word x, ap_shim::word y) { return x & y; });
}
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::logic operator|(const ap_int_base<W1, S1>& a,
                                                                 const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::logic<typename ap_shim::rtype<W1, S1, W2, S2>::logic>(
      a, b, [](ap_shim::word x, ap_shim::word y) { return x | y; });
}
template <int W1, bool S1, int W2, bool S2>
inline typename ap_shim::rtype<W1, S1, W2, S2>::logic operator^(const ap_int_base<W1, S1>& a,
                                                                 const ap_int_base<W2, S2>& b) {
  return ap_shim::ops::logic<typename ap_shim::rtype<W1, S1, W2, S2>::logic>(
      a, b, [](ap_shim::word x, ap_shim::word y) { return x ^ y; });
}

// With a C integer: the integer becomes an ap type of its own width and signedness (int is
// ap_int<32>, bool ap_uint<1>), so ap_uint<8>(255) + 1 is ap_int<33>(256).
#define AP_SHIM_CW(T) ap_shim::cint<T>::w
#define AP_SHIM_CS(T) ap_shim::cint<T>::s
#define AP_SHIM_BIN_C(OP, RT, T)                                                                 \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::rtype<W, S, AP_SHIM_CW(T), AP_SHIM_CS(T)>::RT operator OP(            \
      const ap_int_base<W, S>& a, T b) {                                                         \
    return a OP ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(b);                                    \
  }                                                                                              \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::rtype<W, S, AP_SHIM_CW(T), AP_SHIM_CS(T)>::RT operator OP(            \
      T a, const ap_int_base<W, S>& b) {                                                         \
    return ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(a) OP b;                                    \
  }
#define AP_SHIM_SHIFT_C(T)                                                                       \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::make<W, S>::type operator<<(const ap_int_base<W, S>& a, T b) {        \
    if (ap_shim::negative(b)) return a >> ap_shim::shift_amount(0ull - (unsigned long long)b);   \
    return a << ap_shim::shift_amount((unsigned long long)b);                                    \
  }                                                                                              \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::make<W, S>::type operator>>(const ap_int_base<W, S>& a, T b) {        \
    if (ap_shim::negative(b)) return a << ap_shim::shift_amount(0ull - (unsigned long long)b);   \
    return a >> ap_shim::shift_amount((unsigned long long)b);                                    \
  }
#define AP_SHIM_ASSIGN_C(OP, T)                                                                  \
  template <int W, bool S>                                                                       \
  inline ap_int_base<W, S>& operator OP(ap_int_base<W, S>& a, T b) {                             \
    return a OP ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(b);                                    \
  }
#define AP_SHIM_REL_C(OP, T)                                                                     \
  template <int W, bool S>                                                                       \
  inline bool operator OP(const ap_int_base<W, S>& a, T b) {                                     \
    return a OP ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(b);                                    \
  }                                                                                              \
  template <int W, bool S>                                                                       \
  inline bool operator OP(T a, const ap_int_base<W, S>& b) {                                     \
    return ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(a) OP b;                                    \
  }

namespace ap_shim {
// A C shift amount as AMD applies it: amounts of W or more give 0 whatever their width.
inline ap_int_base<64, false> shift_amount(unsigned long long s) {
  return ap_int_base<64, false>(s > 0xFFFFFFFFull ? 0xFFFFFFFFull : s);
}
template <class T>
inline bool negative(T b, std::true_type /*signed*/) { return b < 0; }
template <class T>
inline bool negative(T, std::false_type /*unsigned*/) { return false; }
template <class T>
inline bool negative(T b) { return negative(b, std::is_signed<T>()); }
}  // namespace ap_shim

#define AP_SHIM_ALL_C(T)                                                                         \
  AP_SHIM_BIN_C(+, plus, T)                                                                      \
  AP_SHIM_BIN_C(-, minus, T)                                                                     \
  AP_SHIM_BIN_C(*, mult, T)                                                                      \
  AP_SHIM_BIN_C(&, logic, T)                                                                     \
  AP_SHIM_BIN_C(|, logic, T)                                                                     \
  AP_SHIM_BIN_C(^, logic, T)                                                                     \
  AP_SHIM_SHIFT_C(T)                                                                             \
  AP_SHIM_ASSIGN_C(+=, T)                                                                        \
  AP_SHIM_ASSIGN_C(-=, T)                                                                        \
  AP_SHIM_ASSIGN_C(*=, T)                                                                        \
  AP_SHIM_ASSIGN_C(&=, T)                                                                        \
  AP_SHIM_ASSIGN_C(|=, T)                                                                        \
  AP_SHIM_ASSIGN_C(^=, T)                                                                        \
  AP_SHIM_ASSIGN_C(<<=, T)                                                                       \
  AP_SHIM_ASSIGN_C(>>=, T)                                                                       \
  AP_SHIM_REL_C(==, T)                                                                           \
  AP_SHIM_REL_C(!=, T)                                                                           \
  AP_SHIM_REL_C(<, T)                                                                            \
  AP_SHIM_REL_C(<=, T)                                                                           \
  AP_SHIM_REL_C(>, T)                                                                            \
  AP_SHIM_REL_C(>=, T)
AP_SHIM_CTYPES(AP_SHIM_ALL_C)
#undef AP_SHIM_ALL_C
#undef AP_SHIM_BIN_C
#undef AP_SHIM_SHIFT_C
#undef AP_SHIM_ASSIGN_C
#undef AP_SHIM_REL_C

// With a range: the range reads as ap_uint of its owner's width; the result has the type AMD
// declares (which takes the owner's signedness when the range is on the left).
#define AP_SHIM_BIN_RANGE(OP, RT)                                                                \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline typename ap_shim::rtype<W1, S1, W2, S2>::RT operator OP(const ap_range_ref<W1, S1>& a,  \
                                                                  const ap_int_base<W2, S2>& b) { \
    return ap_int_base<W1, false>(a) OP b;                                                       \
  }                                                                                              \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline typename ap_shim::rtype<W1, S1, W2, S2>::RT operator OP(const ap_int_base<W1, S1>& a,   \
                                                                  const ap_range_ref<W2, S2>& b) { \
    return a OP ap_int_base<W2, false>(b);                                                       \
  }                                                                                              \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline typename ap_shim::rtype<W1, false, W2, false>::RT operator OP(                          \
      const ap_range_ref<W1, S1>& a, const ap_range_ref<W2, S2>& b) {                            \
    return ap_int_base<W1, false>(a) OP ap_int_base<W2, false>(b);                               \
  }
AP_SHIM_BIN_RANGE(+, plus)
AP_SHIM_BIN_RANGE(-, minus)
AP_SHIM_BIN_RANGE(*, mult)
AP_SHIM_BIN_RANGE(&, logic)
AP_SHIM_BIN_RANGE(|, logic)
AP_SHIM_BIN_RANGE(^, logic)
AP_SHIM_BIN_RANGE(<<, arg1)
AP_SHIM_BIN_RANGE(>>, arg1)
#undef AP_SHIM_BIN_RANGE

#define AP_SHIM_REL_RANGE(OP)                                                                    \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline bool operator OP(const ap_range_ref<W1, S1>& a, const ap_int_base<W2, S2>& b) {         \
    return ap_int_base<W1, false>(a) OP b;                                                       \
  }                                                                                              \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline bool operator OP(const ap_int_base<W1, S1>& a, const ap_range_ref<W2, S2>& b) {         \
    return a OP ap_int_base<W2, false>(b);                                                       \
  }
AP_SHIM_REL_RANGE(==)
AP_SHIM_REL_RANGE(!=)
AP_SHIM_REL_RANGE(<)
AP_SHIM_REL_RANGE(<=)
AP_SHIM_REL_RANGE(>)
AP_SHIM_REL_RANGE(>=)
#undef AP_SHIM_REL_RANGE

// a op= r for a named range r (AMD takes it by non-const reference).
#define AP_SHIM_ASSIGN_RANGE(OP)                                                                 \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline ap_int_base<W1, S1>& operator OP(ap_int_base<W1, S1>& a, ap_range_ref<W2, S2>& b) {     \
    return a OP ap_int_base<W2, false>(b);                                                       \
  }
AP_SHIM_ASSIGN_RANGE(+=)
AP_SHIM_ASSIGN_RANGE(-=)
AP_SHIM_ASSIGN_RANGE(*=)
AP_SHIM_ASSIGN_RANGE(&=)
AP_SHIM_ASSIGN_RANGE(|=)
AP_SHIM_ASSIGN_RANGE(^=)
AP_SHIM_ASSIGN_RANGE(<<=)
AP_SHIM_ASSIGN_RANGE(>>=)
#undef AP_SHIM_ASSIGN_RANGE

// A range with a C integer on its right (relational) or either side (arithmetic, bitwise).
#define AP_SHIM_RANGE_C(T)                                                                       \
  AP_SHIM_RANGE_REL_C(==, T)                                                                     \
  AP_SHIM_RANGE_REL_C(!=, T)                                                                     \
  AP_SHIM_RANGE_REL_C(<, T)                                                                      \
  AP_SHIM_RANGE_REL_C(<=, T)                                                                     \
  AP_SHIM_RANGE_REL_C(>, T)                                                                      \
  AP_SHIM_RANGE_REL_C(>=, T)                                                                     \
  AP_SHIM_RANGE_BIN_C(+, plus, T)                                                                \
  AP_SHIM_RANGE_BIN_C(-, minus, T)                                                               \
  AP_SHIM_RANGE_BIN_C(*, mult, T)                                                                \
  AP_SHIM_RANGE_BIN_C(&, logic, T)                                                               \
  AP_SHIM_RANGE_BIN_C(|, logic, T)                                                               \
  AP_SHIM_RANGE_BIN_C(^, logic, T)                                                               \
  AP_SHIM_RANGE_BIN_C(<<, arg1, T)                                                               \
  AP_SHIM_RANGE_BIN_C(>>, arg1, T)
#define AP_SHIM_RANGE_REL_C(OP, T)                                                               \
  template <int W, bool S>                                                                       \
  inline bool operator OP(const ap_range_ref<W, S>& a, T b) {                                    \
    return ap_int_base<W, false>(a) OP ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(b);             \
  }
#define AP_SHIM_RANGE_BIN_C(OP, RT, T)                                                           \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::rtype<W, false, AP_SHIM_CW(T), AP_SHIM_CS(T)>::RT operator OP(        \
      const ap_range_ref<W, S>& a, T b) {                                                        \
    return ap_int_base<W, false>(a) OP ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(b);             \
  }                                                                                              \
  template <int W, bool S>                                                                       \
  inline typename ap_shim::rtype<AP_SHIM_CW(T), AP_SHIM_CS(T), W, false>::RT operator OP(        \
      T a, const ap_range_ref<W, S>& b) {                                                        \
    return ap_int_base<AP_SHIM_CW(T), AP_SHIM_CS(T)>(a) OP ap_int_base<W, false>(b);             \
  }
AP_SHIM_CTYPES(AP_SHIM_RANGE_C)
#undef AP_SHIM_RANGE_C
#undef AP_SHIM_RANGE_REL_C
#undef AP_SHIM_RANGE_BIN_C

// With a bit: the bit reads as ap_uint<1>; with a C integer it reads as bool.
#define AP_SHIM_BIN_BIT(OP, RT)                                                                  \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline typename ap_shim::rtype<W1, S1, 1, false>::RT operator OP(const ap_int_base<W1, S1>& a, \
                                                                    const ap_bit_ref<W2, S2>& b) { \
    return a OP ap_int_base<1, false>(b);                                                        \
  }                                                                                              \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline typename ap_shim::rtype<1, false, W2, S2>::RT operator OP(const ap_bit_ref<W1, S1>& a,  \
                                                                    const ap_int_base<W2, S2>& b) { \
    return ap_int_base<1, false>(a) OP b;                                                        \
  }
AP_SHIM_BIN_BIT(+, plus)
AP_SHIM_BIN_BIT(-, minus)
AP_SHIM_BIN_BIT(*, mult)
AP_SHIM_BIN_BIT(&, logic)
AP_SHIM_BIN_BIT(|, logic)
AP_SHIM_BIN_BIT(^, logic)
AP_SHIM_BIN_BIT(<<, arg1)
AP_SHIM_BIN_BIT(>>, arg1)
#undef AP_SHIM_BIN_BIT

#define AP_SHIM_REL_BIT(OP)                                                                      \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline bool operator OP(const ap_int_base<W1, S1>& a, const ap_bit_ref<W2, S2>& b) {           \
    return a OP ap_int_base<1, false>(b);                                                        \
  }                                                                                              \
  template <int W1, bool S1, int W2, bool S2>                                                    \
  inline bool operator OP(const ap_bit_ref<W1, S1>& a, const ap_int_base<W2, S2>& b) {           \
    return ap_int_base<1, false>(a) OP b;                                                        \
  }
AP_SHIM_REL_BIT(==)
AP_SHIM_REL_BIT(!=)
AP_SHIM_REL_BIT(<)
AP_SHIM_REL_BIT(<=)
AP_SHIM_REL_BIT(>)
AP_SHIM_REL_BIT(>=)
#undef AP_SHIM_REL_BIT

#define AP_SHIM_BIT_C(T)                                                                         \
  AP_SHIM_BIT_REL_C(==, T)                                                                       \
  AP_SHIM_BIT_REL_C(!=, T)                                                                       \
  AP_SHIM_BIT_REL_C(<, T)                                                                        \
  AP_SHIM_BIT_REL_C(<=, T)                                                                       \
  AP_SHIM_BIT_REL_C(>, T)                                                                        \
  AP_SHIM_BIT_REL_C(>=, T)
#define AP_SHIM_BIT_REL_C(OP, T)                                                                 \
  template <int W, bool S>                                                                       \
  inline bool operator OP(const ap_bit_ref<W, S>& a, T b) { return bool(a) OP b; }              \
  template <int W, bool S>                                                                       \
  inline bool operator OP(T a, const ap_bit_ref<W, S>& b) { return a OP bool(b); }
AP_SHIM_CTYPES(AP_SHIM_BIT_C)
#undef AP_SHIM_BIT_C
#undef AP_SHIM_BIT_REL_C
#undef AP_SHIM_CW
#undef AP_SHIM_CS

// Offered by AMD with results that surprise (division and remainder in mixed signedness,
// floating point through the low 64 bits, the comma operator building a concatenation):
// not offered here, and without these the built-in operators would take them silently.
template <class A, class B,
          typename std::enable_if<ap_shim::is_ap_any<A>::value || ap_shim::is_ap_any<B>::value,
                                  int>::type = 0>
void operator/(const A&, const B&) = delete;
template <class A, class B,
          typename std::enable_if<ap_shim::is_ap_any<A>::value || ap_shim::is_ap_any<B>::value,
                                  int>::type = 0>
void operator%(const A&, const B&) = delete;
template <class A, class B,
          typename std::enable_if<ap_shim::is_ap_any<A>::value || ap_shim::is_ap_any<B>::value,
                                  int>::type = 0>
void operator,(const A&, const B&) = delete;
#define AP_SHIM_NO_FLOAT(OP)                                                                     \
  template <class A, class F,                                                                    \
            typename std::enable_if<ap_shim::is_ap_base<A>::value &&                             \
                                        std::is_floating_point<F>::value,                        \
                                    int>::type = 0>                                              \
  void operator OP(const A&, F) = delete;                                                        \
  template <class A, class F,                                                                    \
            typename std::enable_if<ap_shim::is_ap_base<A>::value &&                             \
                                        std::is_floating_point<F>::value,                        \
                                    int>::type = 0>                                              \
  void operator OP(F, const A&) = delete;
AP_SHIM_NO_FLOAT(+)
AP_SHIM_NO_FLOAT(-)
AP_SHIM_NO_FLOAT(*)
AP_SHIM_NO_FLOAT(==)
AP_SHIM_NO_FLOAT(!=)
AP_SHIM_NO_FLOAT(<)
AP_SHIM_NO_FLOAT(<=)
AP_SHIM_NO_FLOAT(>)
AP_SHIM_NO_FLOAT(>=)
#undef AP_SHIM_NO_FLOAT

// ---------------------------------------------------------------------------------------------
// Strings: "-" then an optional 0b/0o/0x/0d prefix (which also picks the radix when none is
// given; 10 otherwise), digits, the value taken modulo 2^W. Up to 64 bits, radix 8, 10 and 16
// stop at the first non-digit and saturate at 2^64 - 1 like sscanf; radix 2 wraps.
template <int W, bool S>
void ap_int_base<W, S>::from_string(const char* s, int radix) {
  const char* p = s;
  if (*p == '-' || *p == '+') ++p;
  const auto prefix = [](const char* q) -> int {
    if (q[0] != '0') return 0;
    switch (q[1]) {
      case 'b': case 'B': return 2;
      case 'o': case 'O': return 8;
      case 'x': case 'X': return 16;
      case 'd': case 'D': return 10;
      default: return 0;
    }
  };
  if (radix == 0) radix = prefix(p) ? prefix(p) : 10;
  if (radix != 2 && radix != 8 && radix != 10 && radix != 16)
    ap_shim::fail_string("radix must be 2, 8, 10 or 16", s);
  const bool neg = *s == '-';
  if (prefix(p)) p += 2;
  const auto digit = [radix](char c) -> int {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    return d < radix ? d : -1;
  };
  for (int i = 0; i < N; ++i) w_[i] = 0;
  if (W <= 64) {
    word v = 0;
    bool saturated = false;
    for (; *p; ++p) {
      const int d = digit(*p);
      if (d < 0) {
        if (radix == 2) ap_shim::fail_string("not a binary digit string", s);
        break;
      }
      if (radix == 2) {
        v = (v << 1) | word(d);
      } else if (!saturated) {
        const unsigned __int128 t = (unsigned __int128)v * radix + word(d);
        if (t >> 64) saturated = true;
        v = saturated ? ~word(0) : word(t);
      }
    }
    w_[0] = neg ? word(0) - v : v;
  } else {
    while (p[0] == '0' && p[1]) ++p;
    for (; *p; ++p) {
      const int d = digit(*p);
      if (d < 0) ap_shim::fail_string("not a digit string for the radix", s);
      unsigned __int128 carry = word(d);
      for (int i = 0; i < N; ++i) {
        const unsigned __int128 t = (unsigned __int128)w_[i] * radix + carry;
        w_[i] = word(t);
        carry = t >> 64;
      }
    }
    if (neg) {
      word c = 1;
      for (int i = 0; i < N; ++i) {
        w_[i] = ~w_[i] + c;
        c = c && w_[i] == 0;
      }
    }
  }
  fix();
}

// ---------------------------------------------------------------------------------------------
// Printing as AMD's operator<< does: decimal, or (when std::cout, not the stream, is in hex
// or oct mode) "0x"/"0o" digits: lowercase, "0x0" for zero and a leading 0 before a top digit
// with its high bit set up to 64 bits; uppercase, "0" for zero and a leading 0 whenever the
// digits cover fewer than W bits above 64. A negative ap_int prints "-" and its magnitude.
namespace ap_shim {
template <int W, bool S>
inline std::string to_text(const ap_int_base<W, S>& x) {
  constexpr int n = nwords(W);
  word m[n];
  const bool neg = ops::negative(x);
  {
    const word* w = ops::words(x);
    word c = 1;
    for (int i = 0; i < n; ++i) {
      m[i] = neg ? ~w[i] + c : w[i];
      if (neg) c = c && m[i] == 0;
    }
    if (W % 64) m[n - 1] &= low_mask(W % 64);
  }
  const std::ios_base::fmtflags f = std::cout.flags();
  const int shift = (f & std::ios_base::hex) ? 4 : (f & std::ios_base::oct) ? 3 : 0;
  bool is_zero = true;
  for (int i = 0; i < n; ++i) is_zero = is_zero && m[i] == 0;
  std::string digits;
  if (shift == 0) {
    if (is_zero) return "0";
    word t[n];
    for (int i = 0; i < n; ++i) t[i] = m[i];
    for (;;) {
      bool any = false;
      for (int i = 0; i < n; ++i) any = any || t[i];
      if (!any) break;
      unsigned __int128 r = 0;
      for (int i = n - 1; i >= 0; --i) {
        const unsigned __int128 cur = (r << 64) | t[i];
        t[i] = word(cur / 10000000000000000000ull);
        r = cur % 10000000000000000000ull;
      }
      word chunk = word(r);
      bool more = false;
      for (int i = 0; i < n; ++i) more = more || t[i];
      for (int k = 0; k < 19 && (more || chunk); ++k) {
        digits.insert(digits.begin(), char('0' + chunk % 10));
        chunk /= 10;
      }
    }
    return (neg ? "-" : "") + digits;
  }
  if (is_zero) return W <= 64 ? (shift == 4 ? "0x0" : "0o0") : "0";
  const char* lower = "0123456789abcdef";
  const char* upper = "0123456789ABCDEF";
  int bits = 0;
  bool msb = false;
  for (int pos = 0; pos < W; pos += shift) {
    bool rest = false;
    for (int i = pos >> 6; i < n; ++i) rest = rest || (i == (pos >> 6) ? (m[i] >> (pos & 63)) : m[i]);
    if (!rest) break;
    unsigned d = unsigned(m[pos >> 6] >> (pos & 63));
    if ((pos & 63) + shift > 64 && (pos >> 6) + 1 < n) d |= unsigned(m[(pos >> 6) + 1] << (64 - (pos & 63)));
    d &= (1u << shift) - 1;
    digits.insert(digits.begin(), (W <= 64 ? lower : upper)[d]);
    bits += shift;
    msb = (d >> (shift - 1)) == 1;
  }
  if (bits < W && !neg && (W > 64 || msb)) digits.insert(digits.begin(), '0');
  return std::string(neg ? "-" : "") + (shift == 4 ? "0x" : "0o") + digits;
}
}  // namespace ap_shim

template <int W, bool S>
inline std::ostream& operator<<(std::ostream& os, const ap_int_base<W, S>& x) {
  return os << ap_shim::to_text(x);
}
template <int W, bool S>
inline std::ostream& operator<<(std::ostream& os, const ap_range_ref<W, S>& r) {
  return os << ap_shim::to_text(ap_int_base<W, false>(r));
}

#undef AP_SHIM_CTYPES

#endif  // BROKER_HLS_SHIM_AP_INT_H_
