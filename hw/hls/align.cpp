// The align task: beats in; the first four beats of each frame also form its header window.
#include "beat_bytes.h"
#include "tasks.h"
#include "window.h"

namespace broker {
namespace core {

void align_task(hls::stream<AxisBeat>& rx, hls::stream<TunnelInfo>& meta,
                hls::stream<HeaderItem>& hdr, hls::stream<AxisBeat>& payload, AlignState& st) {
#pragma HLS PIPELINE II = 1
  if (rx.empty() || payload.full() || hdr.full()) return;
  // decap sends a frame's TunnelInfo before its first beat.
  if (st.beat == 0 && meta.empty()) return;
  const AxisBeat b = rx.read();
  if (st.beat == 0) st.tun = meta.read();
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
    h.tun = st.tun;
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
