// The decap task: removes a frame's outer headers (the first `strip` bytes, from tunnel_parse)
// with one byte shift per beat, and writes the Ethernet header of an IP payload of GRE.
#include "beat_bytes.h"
#include "tasks.h"

namespace broker {
namespace core {

void decap_task(hls::stream<AxisBeat>& beats, hls::stream<TunnelInfo>& info,
                hls::stream<AxisBeat>& out, hls::stream<TunnelInfo>& meta, DecapState& st) {
#pragma HLS PIPELINE II = 1
  if (out.full()) return;
  // The previous frame's last beat out; the beat read in this call (the next frame's first)
  // is only held, so this call writes no other.
  if (st.pend_ok) {
    out.write(st.pend);
    st.pend_ok = false;
  }
  if (!st.in_frame && (info.empty() || meta.full())) return;
  if (beats.empty()) return;
  if (!st.in_frame) {
    st.cur = info.read();
    meta.write(st.cur);
    st.in_frame = true;
    st.in_beat = 0;
    st.out_first = true;
    st.held_ok = false;
  }
  const AxisBeat b = beats.read();
  const ap_uint<7> n = beat_bytes(b.keep);
  const ap_uint<7> strip = st.cur.o.strip;
  const ap_uint<1> q = strip[6];           // beats skipped whole
  const ap_uint<6> r = strip.range(5, 0);  // bytes skipped of the next
  const ap_uint<2> k = st.in_beat;
  if (k < 2) st.in_beat = k + 1;
  if (b.last) st.in_frame = false;
  if (k < q) return;  // inside the outer headers (tunnel_parse keeps the inner frame past them)

  AxisBeat o;
  o.id = b.id;
  o.dest = 0;
  bool emit = false;
  if (!st.held_ok) {
    if (b.last) {
      // The whole rest of the frame fits one beat (tunnel_parse ensures n > r).
      o.data = beat_shift(b.data, 0, r);
      o.keep = keep_of(n - r);
      o.strb = o.keep;
      o.last = 1;
      st.pend = o;  // patched below, written by the next call
    } else {
      st.held = b.data;
      st.held_ok = true;
    }
  } else {
    o.data = beat_shift(st.held, b.data, r);
    if (b.last && n <= r) {
      o.keep = keep_of(ap_uint<7>(kBeatBytes - r) + n);
      o.last = 1;
      st.held_ok = false;
    } else {
      o.keep = ~ap_uint<64>(0);
      o.last = 0;
      st.held = b.data;
      if (b.last) {
        st.pend.data = beat_shift(b.data, 0, r);
        st.pend.keep = keep_of(n - r);
        st.pend.strb = st.pend.keep;
        st.pend.last = 1;
        st.pend.id = b.id;
        st.pend.dest = 0;
        st.pend_ok = true;
        st.held_ok = false;
      }
    }
    emit = true;
  }
  // An IP payload of GRE: its Ethernet header (zero MACs, the payload's EtherType) over the
  // first 14 bytes out, in whichever beat leaves first.
  AxisBeat& first = emit ? o : st.pend;
  if (st.out_first && st.cur.o.l3 && (emit || b.last)) {
    first.data.range(95, 0) = 0;
    first.data.range(103, 96) = st.cur.l3_type.range(15, 8);
    first.data.range(111, 104) = st.cur.l3_type.range(7, 0);
  }
  if (emit || b.last) st.out_first = false;
  if (!emit && b.last) st.pend_ok = true;
  if (emit) {
    o.strb = o.keep;
    out.write(o);
  }
}

}  // namespace core
}  // namespace broker
