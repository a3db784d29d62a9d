// The tasks that join the two beat lanes to the shared per-frame tasks and part them again
// (tasks.h, "the lanes").
#include "tasks.h"

namespace broker {
namespace core {

static_assert(kLanes == 2, "the lane tasks join and part exactly two lanes");

void hdr_merge_task(hls::stream<HeaderItem>& hdr0, hls::stream<HeaderItem>& hdr1,
                    hls::stream<HeaderItem>& hdr, MergeState& st) {
#pragma HLS PIPELINE II = 1
  if (hdr.full()) return;
  const bool has0 = !hdr0.empty(), has1 = !hdr1.empty();
  if (!has0 && !has1) return;
  const bool take1 = has1 && (!has0 || st.prefer1);
  hdr.write(take1 ? hdr1.read() : hdr0.read());
  st.prefer1 = !take1;
}

void decision_split_task(hls::stream<DecisionItem>& decision, hls::stream<DecisionItem>& decision0,
                         hls::stream<DecisionItem>& decision1, hls::stream<LaneId>& order) {
#pragma HLS PIPELINE II = 1
  // Reads only when both lanes and the order can take a word: never blocks halfway.
  if (decision.empty() || decision0.full() || decision1.full() || order.full()) return;
  const DecisionItem d = decision.read();
  const LaneId lane = lane_of(d.in_port.to_uint());
  if (lane == 0) decision0.write(d);
  else decision1.write(d);
  order.write(lane);
}

void stats_merge_task(hls::stream<StatsEvent>& ev0, hls::stream<StatsEvent>& ev1,
                      hls::stream<LaneId>& order, hls::stream<StatsEvent>& ev, StatsMergeState& st) {
#pragma HLS PIPELINE II = 1
  if (ev.full()) return;
  bool have = st.have;
  LaneId lane = st.lane;
  if (!have && !order.empty()) {
    lane = order.read();
    have = true;
  }
  if (have) {
    if (lane == 0 && !ev0.empty()) {
      ev.write(ev0.read());
      have = false;
    } else if (lane == 1 && !ev1.empty()) {
      ev.write(ev1.read());
      have = false;
    }
  }
  st.have = have;
  st.lane = lane;
}

}  // namespace core
}  // namespace broker
