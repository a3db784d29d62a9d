// The egress task: each frame's beats leave with its decision; at its last beat its verdicts
// are settled and one StatsEvent goes to the counters.
#include "beat_bytes.h"
#include "tasks.h"
#include "window.h"

namespace broker {
namespace core {

void egress_task(hls::stream<AxisBeat>& payload, hls::stream<DecisionItem>& dec,
                 hls::stream<AxisBeat>& tx, hls::stream<StatsEvent>& stats, EgressState& st) {
#pragma HLS PIPELINE II = 1
  // The next decision is taken in the same call as its frame's first beat: no bubble.
  if (!st.have && !dec.empty()) {
    st.cur = dec.read();
    st.have = true;
    st.bytes = 0;
  }
  if (!st.have || payload.empty() || tx.full() || stats.full()) return;
  AxisBeat beat = payload.read();
  const ap_uint<18> bytes = ap_uint<18>(st.bytes) + beat_bytes(beat.keep);
  st.bytes = bytes > 0x1FFFF ? Length(0x1FFFF) : Length(bytes);
  const DecisionItem& d = st.cur;
  if (d.out_port != kNoPort) {
    beat.dest = d.out_port;
    tx.write(beat);
  }
  if (beat.last) {
    StatsEvent e;
    e.in_port = d.in_port;
    e.out_port = d.out_port;
    e.group = d.group;
    e.len = st.bytes;
    settle_verdict(d.v, st.bytes, e.malformed, e.depth_exceeded);
    e.fragment = d.fragment;
    e.new_flow = d.new_flow;
    e.avoided = d.avoided;
    e.frag_follow = d.frag_follow;
    e.frag_miss = d.frag_miss;
    e.tun_out = d.tun_out;
    stats.write(e);
    st.have = false;
  }
}

}  // namespace core
}  // namespace broker
