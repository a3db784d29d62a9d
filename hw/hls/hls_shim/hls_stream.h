// Native stand-in for AMD's hls_stream.h (the C simulation model in
// Xilinx/HLS_arbitrary_Precision_Types): an unbounded FIFO with the same members. A blocking
// read of an empty stream returns T() after a warning, as AMD's model does.
#ifndef BROKER_HLS_SHIM_HLS_STREAM_H_
#define BROKER_HLS_SHIM_HLS_STREAM_H_

#define BROKER_HLS_SHIM 1

#include <cstddef>
#include <cstdio>
#include <deque>
#include <string>

namespace hls {

template <typename T>
class stream {
 public:
  stream() {}
  explicit stream(const std::string& name) : name_(name) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  bool empty() { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() { return q_.size(); }

  T read() {
    if (q_.empty()) {
      std::fprintf(stderr, "WARNING: hls::stream '%s' is read while empty\n", name_.c_str());
      return T();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  void write(const T& v) { q_.push_back(v); }
  // On an empty stream: false, and v becomes T().
  bool read_nb(T& v) {
    if (q_.empty()) {
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
  std::string name_;
  std::deque<T> q_;
};

}  // namespace hls

#endif  // BROKER_HLS_SHIM_HLS_STREAM_H_
