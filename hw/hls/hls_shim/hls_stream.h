// Native stand-in for AMD's hls_stream.h (the C simulation model in
// Xilinx/HLS_arbitrary_Precision_Types): an unbounded FIFO with the same members. A blocking
// read of an empty stream returns T() after a warning, as AMD's model does.
#ifndef BROKER_HLS_SHIM_HLS_STREAM_H_
#define BROKER_HLS_SHIM_HLS_STREAM_H_

#define BROKER_HLS_SHIM 1

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace hls {

template <typename T>
class stream {
 public:
  stream() {}
  explicit stream(const std::string& name) : name_(name) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  bool empty() { return count_ == 0; }
  bool full() const { return false; }
  std::size_t size() { return count_; }

  T read() {
    if (count_ == 0) {
      std::fprintf(stderr, "WARNING: hls::stream '%s' is read while empty\n", name_.c_str());
      return T();
    }
    T v = ring_[head_];
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
    return v;
  }
  void read(T& v) { v = read(); }
  void write(const T& v) {
    if (count_ == ring_.size()) grow();
    ring_[(head_ + count_) & (ring_.size() - 1)] = v;
    ++count_;
  }
  // On an empty stream: false, and v becomes T().
  bool read_nb(T& v) {
    if (count_ == 0) {
      v = T();
      return false;
    }
    v = read();
    return true;
  }
  bool write_nb(const T& v) {
    write(v);
    return true;
  }

  // Both return void, as AMD's do: no chaining.
  void operator>>(T& v) { read(v); }
  void operator<<(const T& v) { write(v); }

 private:
  // A ring of a power-of-two size that doubles when full: no allocation per item once a
  // stream has reached its working depth.
  void grow() {
    std::vector<T> bigger(ring_.empty() ? 4 : 2 * ring_.size());
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::string name_;
  std::vector<T> ring_;
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace hls

#endif  // BROKER_HLS_SHIM_HLS_STREAM_H_
