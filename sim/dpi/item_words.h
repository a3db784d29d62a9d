// Items as packed SystemVerilog vectors (the words the co-simulation's FIFOs carry): the fields
// visit() walks (core_types.h), in its order, the first at bit 0, each field's bit i at its
// offset + i. An item without a visit() list (CsrWrite, Time, ...) is one field. The vector is
// an array of 32-bit words, bit 0 of the vector in bit 0 of word 0 (svBitVecVal's layout).
// Both directions go through for_each_field, so packing and unpacking cannot disagree.
#pragma once
#include <cstdint>
#include <type_traits>
#include <utility>

#include "core_types.h"

namespace broker {
namespace sim {

template <class T>
struct FieldBits;
template <int W>
struct FieldBits<ap_uint<W>> {
  static constexpr int value = W;
};
template <>
struct FieldBits<bool> {
  static constexpr int value = 1;
};

namespace detail {

struct NoField {
  template <class U>
  void operator()(U&) const {}
};
template <class T, class = void>
struct HasVisit : std::false_type {};
template <class T>
struct HasVisit<T, std::void_t<decltype(core::visit(std::declval<T&>(), NoField{}))>> : std::true_type {};

// n <= 32 bits of v at bit `pos` of the word array, one word at a time.
inline void put_bits(uint32_t* words, int pos, uint32_t v, int n) {
  while (n > 0) {
    const int s = pos % 32, k = n < 32 - s ? n : 32 - s;
    const uint32_t m = k == 32 ? ~uint32_t(0) : (uint32_t(1) << k) - 1;
    uint32_t& w = words[pos / 32];
    w = (w & ~(m << s)) | ((v & m) << s);
    v = k == 32 ? 0 : v >> k;
    pos += k;
    n -= k;
  }
}
inline uint32_t get_bits(const uint32_t* words, int pos, int n) {
  uint32_t v = 0;
  for (int done = 0; done < n;) {
    const int s = pos % 32, k = n - done < 32 - s ? n - done : 32 - s;
    const uint32_t m = k == 32 ? ~uint32_t(0) : (uint32_t(1) << k) - 1;
    v |= ((words[pos / 32] >> s) & m) << done;
    pos += k;
    done += k;
  }
  return v;
}

// Bits [lo, lo+n) of a field, n <= 32.
template <int W>
uint32_t field_chunk(const ap_uint<W>& v, int lo, int n) {
  const ap_uint<32> c = v.range(lo + n - 1, lo);
  return uint32_t(uint64_t(c));
}
template <int W>
void set_field_chunk(ap_uint<W>& v, int lo, int n, uint32_t x) {
  v.range(lo + n - 1, lo) = ap_uint<32>(x);
}
template <int W>
constexpr int chunk_bits() {
  return 32;
}

}  // namespace detail

// f(field&) for every field of the item, in packing order.
template <class T, class F>
void for_each_field(T& item, F&& f) {
  if constexpr (detail::HasVisit<T>::value) {
    core::visit(item, f);
  } else {
    f(item);
  }
}

// Bits of an item by its field list.
template <class T>
int item_bits() {
  T x{};
  int n = 0;
  for_each_field(x, [&](auto& v) { n += FieldBits<std::decay_t<decltype(v)>>::value; });
  return n;
}

// Writes the item into words (item_bits<T>() bits; bits above it are left alone).
template <class T>
void pack_item(const T& item, uint32_t* words) {
  T x = item;  // visit() takes its item by reference
  int pos = 0;
  for_each_field(x, [&](auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, bool>) {
      detail::put_bits(words, pos, v ? 1 : 0, 1);
      pos += 1;
    } else {
      constexpr int W = FieldBits<V>::value;
      constexpr int C = detail::chunk_bits<W>();
      for (int lo = 0; lo < W; lo += C) {
        const int n = W - lo < C ? W - lo : C;
        detail::put_bits(words, pos + lo, detail::field_chunk(v, lo, n), n);
      }
      pos += W;
    }
  });
}

template <class T>
T unpack_item(const uint32_t* words) {
  T x{};
  int pos = 0;
  for_each_field(x, [&](auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, bool>) {
      v = detail::get_bits(words, pos, 1) != 0;
      pos += 1;
    } else {
      constexpr int W = FieldBits<V>::value;
      constexpr int C = detail::chunk_bits<W>();
      for (int lo = 0; lo < W; lo += C) {
        const int n = W - lo < C ? W - lo : C;
        detail::set_field_chunk(v, lo, n, detail::get_bits(words, pos + lo, n));
      }
      pos += W;
    }
  });
  return x;
}

}  // namespace sim
}  // namespace broker
