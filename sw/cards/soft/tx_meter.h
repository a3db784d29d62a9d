// TX utilization per egress port: wire bytes (frame + 20 bytes of preamble and inter-frame
// gap) per window, in basis points of the port speed, computed as every card's meter does
// (driver/util_scale.h: one multiply by the reciprocal the driver writes). The soft card's
// clock is the packet timestamps, so a replay gives the same figures every time.
#pragma once
#include <array>
#include <cstdint>

#include "core_params.h"
#include "util_scale.h"

namespace broker::cards {

class TxMeter {
 public:
  static constexpr uint32_t kWireOverheadBytes = 20;
  static constexpr int kPorts = core::kOutPorts;

  TxMeter();

  void set_window_us(uint32_t window_us);
  // OUT_UTIL_SCALE / OUT_UTIL_SHIFT of a port (the reset values fit 100 Gb/s and 1000 us).
  void set_scale(int port, uint32_t scale);
  void set_shift(int port, uint32_t shift);

  // Moves the clock to now_ns, closing every window that ended; time never goes back.
  void advance(uint64_t now_ns);
  // A frame of frame_len bytes left on port at the current time.
  void record(int port, uint32_t frame_len);

  // Utilization of the last complete window, and the highest since clear_peaks().
  uint16_t util_bp(int port) const { return util_bp_[port]; }
  uint16_t peak_bp(int port) const { return peak_bp_[port]; }
  const std::array<uint16_t, kPorts>& util_bp_all() const { return util_bp_; }
  void clear_peaks() { peak_bp_.fill(0); }

 private:
  void close_window(uint64_t idle_windows_after);

  uint32_t window_us_ = 1000;
  bool started_ = false;
  uint64_t window_end_ns_ = 0;
  std::array<driver::UtilScale, kPorts> scale_{};
  std::array<uint64_t, kPorts> window_bytes_{};
  std::array<uint16_t, kPorts> util_bp_{};
  std::array<uint16_t, kPorts> peak_bp_{};
};

}  // namespace broker::cards
