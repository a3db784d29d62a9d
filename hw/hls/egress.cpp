// The egress task: each frame's beats leave with its decision, a segment tag pushed when the
// decision has one; at its last beat its verdicts are settled and one StatsEvent goes to the
// counters.
#include "beat_bytes.h"
#include "tasks.h"
#include "window.h"

namespace broker {
namespace core {

void egress_task(hls::stream<AxisBeat>& payload, hls::stream<DecisionItem>& dec,
                 hls::stream<AxisBeat>& tx, hls::stream<StatsEvent>& stats, EgressState& st) {
#pragma HLS PIPELINE II = 1
  if (tx.full() || stats.full()) return;
  // A tagged frame's last 1..4 bytes, when its last beat had no room for them.
  if (st.pend_ok) {
    tx.write(st.pend);
    st.pend_ok = false;
    return;
  }
  // The next decision is taken in the same call as its frame's first beat: no bubble.
  if (!st.have && !dec.empty()) {
    st.cur = dec.read();
    st.have = true;
    st.bytes = 0;
    st.first = true;
  }
  if (!st.have || payload.empty()) return;
  const AxisBeat beat = payload.read();
  const ap_uint<7> n = beat_bytes(beat.keep);
  const ap_uint<18> bytes = ap_uint<18>(st.bytes) + n;
  st.bytes = bytes > 0x1FFFF ? Length(0x1FFFF) : Length(bytes);
  const DecisionItem& d = st.cur;
  // A runt without its two MAC addresses has nowhere to take a tag: it leaves as it came.
  const bool tag = d.seg_vid != 0 && !(st.first && beat.last && n < 12);

  AxisBeat o = beat;
  o.dest = d.out_mask;
  bool extra = false;
  if (tag) {
    // 0x8100, then PCP 0, DEI 0 and the VLAN ID, in wire order.
    ap_uint<32> t;
    t.range(7, 0) = 0x81;
    t.range(15, 8) = 0x00;
    t.range(23, 16) = d.seg_vid.range(11, 8);
    t.range(31, 24) = d.seg_vid.range(7, 0);
    if (st.first) {
      o.data.range(95, 0) = beat.data.range(95, 0);
      o.data.range(127, 96) = t;
      o.data.range(511, 128) = beat.data.range(479, 96);
    } else {
      o.data.range(31, 0) = st.carry;
      o.data.range(511, 32) = beat.data.range(479, 0);
    }
    st.carry = beat.data.range(511, 480);
    if (beat.last && n > kBeatBytes - 4) {
      o.keep = ~ap_uint<64>(0);
      o.last = 0;
      st.pend.data = 0;
      st.pend.data.range(31, 0) = beat.data.range(511, 480);
      st.pend.keep = keep_of(n - (kBeatBytes - 4));
      st.pend.strb = st.pend.keep;
      st.pend.last = 1;
      st.pend.id = beat.id;
      st.pend.dest = d.out_mask;
      extra = true;
    } else {
      o.keep = beat.last ? keep_of(n + 4) : ~ap_uint<64>(0);
    }
    o.strb = o.keep;
  }
  st.first = false;
  if (d.out_mask != 0) {
    tx.write(o);
    st.pend_ok = extra;
  }
  if (beat.last) {
    StatsEvent e;
    e.in_port = d.in_port;
    e.out_mask = d.out_mask;
    e.grp_mask = d.grp_mask;
    e.len = st.bytes;
    settle_verdict(d.v, st.bytes, e.malformed, e.depth_exceeded);
    e.fragment = d.fragment;
    e.new_mask = d.new_mask;
    e.avoid_mask = d.avoid_mask;
    e.follows = d.follows;
    e.misses = d.misses;
    e.tun_out = d.tun_out;
    e.fv = d.fv;
    e.seg_tag = tag;
    stats.write(e);
    st.have = false;
  }
}

}  // namespace core
}  // namespace broker
