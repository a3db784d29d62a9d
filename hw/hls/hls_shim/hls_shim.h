// Native stand-ins for ap_uint, ap_axiu and hls::stream, used only when AMD's headers are
// absent. Not kernel code: the stream may use the standard library. Only the operations the
// core uses exist, so anything else fails to compile rather than silently differ from Vitis.
#pragma once
#include <stdint.h>

#include <deque>
#include <stdexcept>

template <int W>
class ap_uint {
  static_assert(W > 0 && W <= 1024, "ap_uint width");
  static constexpr int kWords = (W + 63) / 64;

 public:
  ap_uint() = default;
  ap_uint(uint64_t v) { words_[0] = v; mask_top(); }  // NOLINT: implicit like AMD's

  // Narrow values convert back to integers, as AMD's type does.
  operator uint64_t() const {
    static_assert(W <= 64, "only ap_uint up to 64 bits converts to an integer");
    return words_[0];
  }

  uint64_t get(int hi, int lo) const {
    const int width = hi - lo + 1;
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v |= uint64_t(bit(lo + i)) << i;
    return v;
  }
  void set(int hi, int lo, uint64_t v) {
    for (int i = 0; i <= hi - lo; ++i) set_bit(lo + i, (v >> i) & 1);
  }

  // Byte-aligned fast paths: AMD's range(8*i+7, 8*i) on a wide bus is the common access.
  uint8_t byte(int i) const { return uint8_t(words_[i / 8] >> (8 * (i % 8))); }
  void set_byte(int i, uint8_t v) {
    uint64_t& w = words_[i / 8];
    const int s = 8 * (i % 8);
    w = (w & ~(uint64_t(0xFF) << s)) | (uint64_t(v) << s);
  }

  class RangeRef {
   public:
    RangeRef(ap_uint* p, int hi, int lo) : p_(p), hi_(hi), lo_(lo) {}
    operator uint64_t() const { return p_->get(hi_, lo_); }
    RangeRef& operator=(uint64_t v) { p_->set(hi_, lo_, v); return *this; }
   private:
    ap_uint* p_;
    int hi_, lo_;
  };
  RangeRef range(int hi, int lo) { return RangeRef(this, hi, lo); }
  uint64_t range(int hi, int lo) const { return get(hi, lo); }

  bool operator[](int i) const { return bit(i); }
  bool operator==(const ap_uint& o) const {
    for (int i = 0; i < kWords; ++i) if (words_[i] != o.words_[i]) return false;
    return true;
  }

 private:
  bool bit(int i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void set_bit(int i, bool v) {
    const uint64_t m = uint64_t(1) << (i % 64);
    words_[i / 64] = v ? (words_[i / 64] | m) : (words_[i / 64] & ~m);
  }
  void mask_top() {
    if constexpr (W % 64 != 0) words_[kWords - 1] &= (uint64_t(1) << (W % 64)) - 1;
  }
  uint64_t words_[kWords] = {};
};

// AXI4-Stream beat with the side channels Vitis' ap_axiu gives (TDATA, TKEEP, TSTRB, TUSER,
// TLAST, TID, TDEST).
template <int D, int U, int TI, int TD>
struct ap_axiu {
  ap_uint<D> data;
  ap_uint<D / 8> keep;
  ap_uint<D / 8> strb;
  ap_uint<(U > 0 ? U : 1)> user;
  ap_uint<1> last;
  ap_uint<(TI > 0 ? TI : 1)> id;
  ap_uint<(TD > 0 ? TD : 1)> dest;
};

namespace hls {

template <typename T>
class stream {
 public:
  stream() = default;
  explicit stream(const char*) {}
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  size_t size() const { return q_.size(); }
  void write(const T& v) { q_.push_back(v); }
  T read() {
    if (q_.empty()) throw std::logic_error("hls::stream read while empty (a blocking read would hang)");
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  bool read_nb(T& v) {
    if (q_.empty()) return false;
    v = read();
    return true;
  }
  bool write_nb(const T& v) { write(v); return true; }
  stream& operator<<(const T& v) { write(v); return *this; }
  stream& operator>>(T& v) { v = read(); return *this; }

 private:
  std::deque<T> q_;
};

}  // namespace hls
