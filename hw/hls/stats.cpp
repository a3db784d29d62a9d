// The stats task: the data path's counters (register map "*_counters" blocks), one event per
// frame from the egress task, counter reads from the CSR block.
#include "csr_decode.h"
#include "tasks.h"

namespace broker {
namespace core {

namespace {

void clear_counters(StatsState& st) {
clear_ports:
  for (int p = 0; p < kInPorts; ++p) {
#pragma HLS UNROLL
    st.rx_pkts[p] = 0;
    st.rx_bytes[p] = 0;
    st.tun_terminated[p] = 0;
    st.tun_passed[p] = 0;
    st.tun_fragments[p] = 0;
  }
clear_out:
  for (int p = 0; p < kOutPorts; ++p) {
#pragma HLS UNROLL
    st.tx_pkts[p] = 0;
    st.tx_bytes[p] = 0;
  }
clear_groups:
  for (int g = 0; g < kGroups; ++g) {
#pragma HLS UNROLL
    st.grp_pkts[g] = 0;
    st.grp_new_flows[g] = 0;
  }
  st.malformed = 0;
  st.fragments = 0;
  st.depth_exceeded = 0;
  st.unmapped_drops = 0;
  st.threshold_avoids = 0;
  st.frag_follows = 0;
  st.frag_misses = 0;
  st.filter_drops = 0;
clear_rules:
  for (int r = 0; r < kFilterRules; ++r) {
#pragma HLS UNROLL
    st.flt_pkts[r] = 0;
    st.flt_bytes[r] = 0;
  }
}

void count(const StatsEvent& e, StatsState& st) {
  if (e.in_port < kInPorts) {
    const ap_uint<3> p = e.in_port.range(2, 0);
    st.rx_pkts[p] += 1;
    st.rx_bytes[p] += e.len + e.tun_out.strip;  // the frame as it came, outer headers and all
    if (e.tun_out.verdict == kTunTerminated) st.tun_terminated[p] += 1;
    if (e.tun_out.verdict == kTunPassed) st.tun_passed[p] += 1;
    if (e.tun_out.verdict == kTunFragment) st.tun_fragments[p] += 1;
  }
  if (e.malformed) st.malformed += 1;
  if (e.fragment) st.fragments += 1;
  if (e.depth_exceeded) st.depth_exceeded += 1;
  if (e.fv.hit) {
    st.flt_pkts[e.fv.rule] += 1;
    st.flt_bytes[e.fv.rule] += e.len + e.tun_out.strip;
  }
  // A frame dropped whole (no copy delivered) counts once; each copy counts at its port and
  // its group: bit by bit, every counter its own adder.
  if (e.out_mask == 0) {
    if (e.fv.drop) st.filter_drops += 1;
    else st.unmapped_drops += 1;
  }
  const Length tx_len = e.len + (e.seg_tag ? 4 : 0);
per_port:
  for (int p = 0; p < kOutPorts; ++p) {
#pragma HLS UNROLL
    if (e.out_mask[p]) {
      st.tx_pkts[p] += 1;
      st.tx_bytes[p] += tx_len;
    }
  }
  ap_uint<5> avoids = 0;
per_group:
  for (int g = 0; g < kGroups; ++g) {
#pragma HLS UNROLL
    if (e.grp_mask[g]) st.grp_pkts[g] += 1;
    if (e.new_mask[g]) st.grp_new_flows[g] += 1;
    avoids += e.avoid_mask[g] ? 1 : 0;
  }
  st.threshold_avoids += avoids;
  st.frag_follows += e.follows;
  st.frag_misses += e.misses;
}

// The 64-bit counter whose LO word is at addr.
bool counter_at(uint32_t addr, const StatsState& st, ap_uint<64>& v) {
  int i;
  if ((i = register_instance(addr, rm::RX_PKTS_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = st.rx_pkts[i];
  else if ((i = register_instance(addr, rm::RX_BYTES_LO, rm::RX_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = st.rx_bytes[i];
  else if ((i = register_instance(addr, rm::TX_PKTS_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) v = st.tx_pkts[i];
  else if ((i = register_instance(addr, rm::TX_BYTES_LO, rm::TX_COUNTERS_STRIDE, rm::kOutPorts)) >= 0) v = st.tx_bytes[i];
  else if ((i = register_instance(addr, rm::GRP_PKTS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) v = st.grp_pkts[i];
  else if ((i = register_instance(addr, rm::GRP_NEW_FLOWS_LO, rm::GROUP_COUNTERS_STRIDE, rm::kGroups)) >= 0) v = st.grp_new_flows[i];
  else if ((i = register_instance(addr, rm::TUN_TERMINATED_LO, rm::TUNNEL_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = st.tun_terminated[i];
  else if ((i = register_instance(addr, rm::TUN_PASSED_LO, rm::TUNNEL_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = st.tun_passed[i];
  else if ((i = register_instance(addr, rm::TUN_FRAGMENTS_LO, rm::TUNNEL_COUNTERS_STRIDE, rm::kInPorts)) >= 0) v = st.tun_fragments[i];
  else if ((i = register_instance(addr, rm::FLT_PKTS_LO, rm::FILTER_COUNTERS_STRIDE, rm::kFilterRules)) >= 0) v = st.flt_pkts[i];
  else if ((i = register_instance(addr, rm::FLT_BYTES_LO, rm::FILTER_COUNTERS_STRIDE, rm::kFilterRules)) >= 0) v = st.flt_bytes[i];
  else if (addr == rm::FILTER_DROPS_LO) v = st.filter_drops;
  else if (addr == rm::MALFORMED_LO) v = st.malformed;
  else if (addr == rm::FRAGMENTS_LO) v = st.fragments;
  else if (addr == rm::DEPTH_EXCEEDED_LO) v = st.depth_exceeded;
  else if (addr == rm::UNMAPPED_DROPS_LO) v = st.unmapped_drops;
  else if (addr == rm::THRESHOLD_AVOIDS_LO) v = st.threshold_avoids;
  else if (addr == rm::FRAG_FOLLOWS_LO) v = st.frag_follows;
  else if (addr == rm::FRAG_MISSES_LO) v = st.frag_misses;
  else return false;
  return true;
}

// A LO read latches the HI word; every HI word sits 4 bytes after its LO word and reads what
// the LO read latched, so a 64-bit value is read consistently while it counts on.
ap_uint<32> read_counter(uint32_t addr, StatsState& st) {
  ap_uint<64> v = 0;
  if (counter_at(addr, st, v)) {
    st.hi_latch = v.range(63, 32);
    return v.range(31, 0);
  }
  if (addr >= 4 && counter_at(addr - 4, st, v)) return st.hi_latch;
  return 0;
}

}  // namespace

void stats_task(hls::stream<StatsEvent>& ev, hls::stream<CsrWrite>& cfg,
                hls::stream<CsrWord>& ctr_req, hls::stream<CsrWord>& ctr_rsp, StatsState& st) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = st.rx_pkts type = complete
#pragma HLS ARRAY_PARTITION variable = st.rx_bytes type = complete
#pragma HLS ARRAY_PARTITION variable = st.tx_pkts type = complete
#pragma HLS ARRAY_PARTITION variable = st.tx_bytes type = complete
#pragma HLS ARRAY_PARTITION variable = st.grp_pkts type = complete
#pragma HLS ARRAY_PARTITION variable = st.grp_new_flows type = complete
#pragma HLS ARRAY_PARTITION variable = st.tun_terminated type = complete
#pragma HLS ARRAY_PARTITION variable = st.tun_passed type = complete
#pragma HLS ARRAY_PARTITION variable = st.tun_fragments type = complete
#pragma HLS ARRAY_PARTITION variable = st.flt_pkts type = complete
#pragma HLS ARRAY_PARTITION variable = st.flt_bytes type = complete
  if (!cfg.empty()) {
    const CsrWrite w = cfg.read();
    if (csr_address(w) == rm::COMMAND && (csr_data(w) & rm::COMMAND_CLEAR_COUNTERS_MASK)) clear_counters(st);
  }
  if (!ev.empty()) count(ev.read(), st);
  if (!ctr_req.empty() && !ctr_rsp.full()) ctr_rsp.write(read_counter(uint32_t(ctr_req.read()), st));
}

}  // namespace core
}  // namespace broker
