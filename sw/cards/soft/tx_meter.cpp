#include "tx_meter.h"

#include <algorithm>

namespace broker::cards {

TxMeter::TxMeter() { scale_.fill(driver::util_scale(100000, 1000)); }

void TxMeter::set_window_us(uint32_t window_us) { window_us_ = std::max<uint32_t>(window_us, 1); }

void TxMeter::set_scale(int port, uint32_t scale) { scale_[port].scale = scale; }

void TxMeter::set_shift(int port, uint32_t shift) { scale_[port].shift = shift & 0x7F; }

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
    const uint16_t bp = driver::util_bp(window_bytes_[p], scale_[p]);
    peak_bp_[p] = std::max(peak_bp_[p], bp);
    util_bp_[p] = idle_windows_after > 0 ? 0 : bp;
    window_bytes_[p] = 0;
  }
}

}  // namespace broker::cards
