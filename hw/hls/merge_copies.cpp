// The merge_copies task: the copies of a replicated frame, decided one by one by key, hash and
// select, become the frame's one decision again (tasks.h).
#include "tasks.h"

namespace broker {
namespace core {

void merge_copies_task(hls::stream<DecisionItem>& in, hls::stream<DecisionItem>& out, MergeCopiesState& st) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  const DecisionItem d = in.read();
  DecisionItem m = d;
  if (!d.copy.first) {
    // The first copy's single fields stay; the masks gather every copy's. A port's byte in
    // port_of is kNoPort in every copy but its group's, so AND keeps each group's own.
    m = st.acc;
    m.out_mask = st.acc.out_mask | d.out_mask;
    m.grp_mask = st.acc.grp_mask | d.grp_mask;
    m.new_mask = st.acc.new_mask | d.new_mask;
    m.avoid_mask = st.acc.avoid_mask | d.avoid_mask;
    m.follows = st.acc.follows + d.follows;
    m.misses = st.acc.misses + d.misses;
    m.port_of = st.acc.port_of & d.port_of;
    m.copy.last = d.copy.last;
  }
  if (d.copy.last) out.write(m);
  else st.acc = m;
}

}  // namespace core
}  // namespace broker
