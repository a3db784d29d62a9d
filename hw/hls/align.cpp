// The align task: beats in; the first four beats of each frame also form its header window.
#include "beat_bytes.h"
#include "tasks.h"

namespace broker {
namespace core {

namespace {

// Bytes 0..n-1 set: what of the window is the frame (stale beats of the previous frame and
// bytes past TKEEP read as zero).
Window byte_mask(const Offset& n) {
  if (n >= kParseBytes) return ~Window(0);
  ap_uint<11> bits = n;
  bits <<= 3;
  return ~(~Window(0) << bits);
}

}  // namespace

void align_task(hls::stream<AxisBeat>& rx, hls::stream<HeaderItem>& hdr,
                hls::stream<AxisBeat>& payload, AlignState& st) {
#pragma HLS PIPELINE II = 1
  if (rx.empty() || payload.full() || hdr.full()) return;
  const AxisBeat b = rx.read();
  const PortId port = st.beat == 0 ? PortId(b.id) : st.in_port;
  // Header capture by beat index: beat k of the frame is window bytes 64k..64k+63.
capture:
  for (int k = 0; k < kHeaderBeats; ++k) {
#pragma HLS UNROLL
    if (st.beat == k) st.win.range(512 * k + 511, 512 * k) = b.data;
  }
  payload.write(b);
  if (st.beat < kHeaderBeats && (b.last || st.beat == kHeaderBeats - 1)) {
    HeaderItem h;
    const ap_uint<9> avail = (ap_uint<9>(st.beat) << 6) + beat_bytes(b.keep);
    h.avail = avail;
    h.win = st.win & byte_mask(avail);
    h.more = !b.last;
    h.in_port = port;
    hdr.write(h);
  }
  st.in_port = port;
  if (b.last) {
    st.beat = 0;
  } else if (st.beat < kHeaderBeats) {
    st.beat += 1;
  }
}

}  // namespace core
}  // namespace broker
