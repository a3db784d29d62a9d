#include "tx_meter.h"

#include <algorithm>

namespace broker::cards {

TxMeter::TxMeter() { speed_mbps_.fill(100000); }

void TxMeter::set_window_us(uint32_t window_us) { window_us_ = std::max<uint32_t>(window_us, 1); }

void TxMeter::set_speed_mbps(int port, uint32_t mbps) { speed_mbps_[port] = std::max<uint32_t>(mbps, 1); }

void TxMeter::advance(uint64_t now_ns) {
  const uint64_t window_ns = uint64_t(window_us_) * 1000;
  if (!started_) {
    // Windows are aligned to the first packet's time, not to the epoch.
    started_ = true;
    window_end_ns_ = now_ns + window_ns;
    return;
  }
  if (now_ns < window_end_ns_) return;
  const uint64_t passed = (now_ns - window_end_ns_) / window_ns;  // whole idle windows after
  close_window(passed);
  window_end_ns_ += (passed + 1) * window_ns;
}

void TxMeter::record(int port, uint32_t frame_len) {
  window_bytes_[port] += uint64_t(frame_len) + kWireOverheadBytes;
}

void TxMeter::close_window(uint64_t idle_windows_after) {
  for (int p = 0; p < kPorts; ++p) {
    // bits / (Mb/s * us) is the fraction of capacity; x 10000 for basis points.
    const uint64_t bits = window_bytes_[p] * 8;
    const uint64_t capacity_bits = uint64_t(speed_mbps_[p]) * window_us_;
    const uint64_t bp = std::min<uint64_t>(bits * 10000 / capacity_bits, 0xFFFF);
    peak_bp_[p] = std::max<uint16_t>(peak_bp_[p], uint16_t(bp));
    util_bp_[p] = idle_windows_after > 0 ? 0 : uint16_t(bp);
    window_bytes_[p] = 0;
  }
}

}  // namespace broker::cards
