// The core as a dataflow of small free-running tasks joined by FIFOs (DESIGN.md "The fabric
// pipeline"):
//
//   rx0 ─► tunnel_parse0 ─► decap0 ─► align0 ─┬─ HeaderItem ─┐
//   rx1 ─► tunnel_parse1 ─► decap1 ─► align1 ─┼─ HeaderItem ─┴► hdr_merge ─► parse_eth ─► parse_ip ─► parse_l4 ─► parse_inner
//                  │                                                                                       │
//                  │                                                    one item per copy from here ─► filter
//                  │                                                                                       │
//                  │   decision0, decision1 ◄─ decision_split ◄─ merge_copies ◄─ select ◄─ hash ◄─ key ◄───┘
//                  │                    │  (lane order) │  (one per frame)   (flow table, fragment table)
//                  └─ payload beats ──► egress0 ─► tx0, egress1 ─► tx1 (one per lane; TDEST = port mask)
//                                          │ StatsEvent           ▼
//                                       stats_merge (in decision order) ─► stats ─► ctr_rsp
//   csr_wr ─► csr_fanout ─► tunnel_parse0/1, filter, key, select, stats (config);  ctr_req ─► stats
//
// A frame a filter replicates to n groups is n items from filter to select (each copy keyed,
// hashed and placed by its own group) and one again from merge_copies on: its beats leave egress
// once, with TDEST the mask of every copy's port, and the shell writes them into each of those
// ports' queues. Each copy takes one of the shared tasks' item slots.
//
// Two lanes, one per CMAC: the tasks that see every beat (tunnel_parse, decap, align, the payload
// bypass, egress)
// run once per lane, each at one beat per clock; the tasks that see one item per frame run
// once, shared by both lanes. 2 x 100 GbE is at most 2 x 148.8 M frames/s (64-byte frames),
// below one item per clock at 322.265625 MHz, and a single select means a single flow table:
// both directions of a session reach the same member whichever CMAC each comes in on, in
// static and in dynamic mode, with no state to copy between pipelines.
//
// Every task, per call, takes at most one item from each input and writes at most one item to
// each output, reading an input only when it may write every output it could produce from it
// (so it never blocks halfway); its loops have constant trip counts and are fully unrolled. So
// each is an II=1 pipeline on its own, and the composition runs one beat per clock. The same
// task functions are composed three ways: the synthesized top (core_top.cpp, DATAFLOW), the
// native runner every software card uses (native/pipeline.*), and the co-simulation (each
// task its own RTL module between RTL FIFOs, sim/). Each declaration says the II and the
// latency expected from Vitis HLS at 322 MHz and why; none of those figures is measured here.
#pragma once
#include "core_types.h"

namespace broker {
namespace core {

// ---- the lanes: merge and split -----------------------------------------------------------
// hdr_merge takes the two lanes' header items in turn (round robin; the other lane's when one
// is empty): at most one item per call. decision_split sends each decision to its frame's lane
// and notes the lane in `order`; stats_merge takes the lanes' StatsEvents in that order, so
// the shared part sees every frame in one order (the decision log's). II=1 each: one item in,
// one out per call; hdr_merge keeps 1 bit, stats_merge 3, decision_split none; latency 1.
struct MergeState {
  bool prefer1;   // lane 1 goes first when both offer
};
void hdr_merge_task(hls::stream<HeaderItem>& hdr0, hls::stream<HeaderItem>& hdr1,
                    hls::stream<HeaderItem>& hdr, MergeState& st);
void decision_split_task(hls::stream<DecisionItem>& decision, hls::stream<DecisionItem>& decision0,
                         hls::stream<DecisionItem>& decision1, hls::stream<LaneId>& order);
struct StatsMergeState {
  bool have;      // `lane` was read from order; its event has not come yet
  LaneId lane;
};
void stats_merge_task(hls::stream<StatsEvent>& ev0, hls::stream<StatsEvent>& ev1,
                      hls::stream<LaneId>& order, hls::stream<StatsEvent>& ev, StatsMergeState& st);

// ---- csr_fanout ------------------------------------------------------------------------
// Copies each register write to the six tasks that hold configuration; each keeps its own
// copy of only the registers it uses. II=1: one word in, one to each output, no state.
// Latency 1.
void csr_fanout_task(hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWrite>& tunnel_cfg0,
                     hls::stream<CsrWrite>& tunnel_cfg1, hls::stream<CsrWrite>& filter_cfg,
                     hls::stream<CsrWrite>& key_cfg, hls::stream<CsrWrite>& select_cfg,
                     hls::stream<CsrWrite>& stats_cfg);

// ---- tunnel termination: tunnel_parse, then decap (one of each per lane) ----------------
// tunnel_parse decides from a frame's first two beats (128 bytes: the longest outer header
// chain it terminates, Ethernet + 4 tags + IPv4 with options + GRE with every option + ERSPAN
// III with its subheader, is 126 bytes) whether the frame is a tunnel its ingress port
// terminates, and how many bytes to remove. The outer Ethernet and IP headers are read by the
// parser's own layer functions (parse_eth, parse_ip) on that 128-byte window, GRE, ERSPAN
// and VXLAN at fixed offsets of one shifted view. Every beat goes on unchanged to the decap
// FIFO; one TunnelInfo per frame leaves with its second beat (or its only one). II=1: one beat
// in, at most one item per output; the state is the first beat and a beat counter, so the
// outer parse is a feed-forward path that Vitis pipelines. Latency ~5 (Ethernet tags, IP
// header/extension chain, GRE flags to offsets, ERSPAN/VXLAN reads, checks).
struct TunnelParseState {
  ap_uint<512> first;                   // the frame's first beat, until its second comes
  ap_uint<2> beat;                      // 0: the next beat starts a frame; 1: it is the second; 2: later
  ap_uint<3> terminate[kInPorts];       // TUN_CTRL GRE/ERSPAN/VXLAN
  ap_uint<4> addr_version[kInPorts];    // 0 (any address), 4 or 6
  IpAddr addr[kInPorts];                // TUN_ADDR0..3 as wire bytes
};
// The termination of a frame whose first beats are beat0 and beat1 (zero when the frame has one):
// `avail` bytes of them, `more` when it goes on. Pure.
TunnelInfo tunnel_of(const ap_uint<512>& beat0, const ap_uint<512>& beat1, const Offset& avail, bool more,
                     const PortId& in_port, const TunnelParseState& cfg);
void tunnel_parse_task(hls::stream<AxisBeat>& rx, hls::stream<CsrWrite>& cfg,
                       hls::stream<AxisBeat>& beats, hls::stream<TunnelInfo>& info,
                       TunnelParseState& st);

// decap removes the first `strip` bytes of each frame (0 for frames not terminated) with one
// byte shift per beat: output beat j is input bytes strip + 64j .. strip + 64j + 63, i.e. the
// held previous beat's bytes from strip % 64 on and the current beat's bytes before it (a
// 1024-to-512-bit shifter by a 6-bit amount). The first strip / 64 beats are skipped; an IP
// payload of GRE gets its 14-byte Ethernet header written over the first output bytes. Every
// beat is delayed by one call (the held beat), so the last beat's remainder, when it does not
// fit the previous output beat, leaves in the call that reads the next frame's first beat,
// which never emits (it is only held): one beat in and at most one beat out per call, with no
// bubble between frames and none within. The frame's TunnelInfo goes on to align with its first
// beat. II=1; the state is one held beat, one pending beat and counters. Latency 1 (+1 beat
// of delay).
struct DecapState {
  bool in_frame;           // info of the frame being read was taken
  TunnelInfo cur;          // that frame's termination
  ap_uint<2> in_beat;      // beats of it read, saturating at 2
  bool out_first;          // the next beat out is the frame's first
  bool held_ok;
  ap_uint<512> held;       // the last beat read, not yet (wholly) sent
  bool pend_ok;            // `pend` is the frame's last beat out, sent by the next call
  AxisBeat pend;
};
void decap_task(hls::stream<AxisBeat>& beats, hls::stream<TunnelInfo>& info,
                hls::stream<AxisBeat>& out, hls::stream<TunnelInfo>& meta, DecapState& st);

// ---- align -----------------------------------------------------------------------------
// Every beat goes on to the payload FIFO; the first four of a frame are also written into the
// header window at their beat index (a 4-way write select, no byte shifting). The HeaderItem
// leaves with TLAST or with the fourth beat, whichever comes first, with the frame's
// TunnelInfo (taken from decap with the first beat). II=1: one beat in, at most one item per
// output; the window is registers. Latency 2 (keep-mask, then emit).
struct AlignState {
  Window win;
  ap_uint<3> beat;      // index of the next beat in its frame, saturating at kHeaderBeats
  PortId in_port;
  TunnelInfo tun;
};
void align_task(hls::stream<AxisBeat>& rx, hls::stream<TunnelInfo>& meta,
                hls::stream<HeaderItem>& hdr, hls::stream<AxisBeat>& payload, AlignState& st);

// ---- the parser: four layers, each one shift of the window and reads at fixed offsets ---
// Stateless; each is a pure function of its input item (so II=1 is evident), wrapped by its
// task. The functions are also what the native code and the tests call.
//
// parse_eth: Ethernet at fixed offsets, up to four VLAN tags (five candidate positions), then
// one shift by 14 + 4 * tags to the MPLS stack (16 label positions, bottom-of-stack found by a
// priority encoder) or the PPPoE header. Latency ~4 (tag chain, 5-way shift, label encoder).
EthItem parse_eth(const HeaderItem& in);
void parse_eth_task(hls::stream<HeaderItem>& in, hls::stream<EthItem>& out);

// parse_ip: one shift to the IP header (IPv4: 20 fixed bytes read; IPv6: 40), then for IPv6
// one shift to the payload and up to kIp6ExtHeaders extension headers, each read as 8 bytes at
// an 8-byte-aligned position (every extension header length is a multiple of 8), so each step
// is a 26-way multiplexer of 64 bits. Latency ~8 (the extension chain is sequential: each
// header's position depends on the previous length).
IpItem parse_ip(const EthItem& in);
void parse_ip_task(hls::stream<EthItem>& in, hls::stream<IpItem>& out);

// parse_l4: one shift to the transport header (TCP/UDP/SCTP ports, TCP data offset, UDP
// length), GTPv1-U's fixed 12 bytes right after UDP, and up to kGtpExtHeaders GTP extension
// headers read at 4-byte-aligned positions. Latency ~6.
L4Item parse_l4(const IpItem& in);
void parse_l4_task(hls::stream<IpItem>& in, hls::stream<L4Item>& out);

// parse_inner: one shift to the G-PDU payload, the inner IPv4/IPv6 addresses at fixed
// offsets. Latency ~3.
ParsedItem parse_inner(const L4Item& in);
void parse_inner_task(hls::stream<L4Item>& in, hls::stream<ParsedItem>& out);

// ---- filter ----------------------------------------------------------------------------
// The flow maps (DESIGN.md "Virtual TAPs, tunnels, filters, flow records"): kFilterRules rules
// in priority order, every one compared with the frame's parsed fields at once (per rule: an
// 8-bit port mask, two 12- and two 16-bit range compares, 16- and 8-bit equalities, two masked
// 48-bit MAC compares, two prefix compares of up to 128 bits with the mask decoded from the
// length, a masked 32-bit TEID and a 32-bit tunnel ID compare, two flag compares), then a
// 64-to-6 priority encoder picks the first rule that holds. The rules are registers, written
// through the CSR path. A rule that delivers to n groups makes n items, one per group, lowest
// group first, in n calls: the frame is held meanwhile and no input is read (replication
// costs the per-frame tasks one slot per copy). II=1: no memory; the loop-carried state is the
// held frame and its mask of groups still to serve. Latency ~4 (compares, AND per rule,
// priority encoder, register).
struct FilterRule {
  bool drop;
  GroupMask groups;                      // FLT_GROUPS: a copy for each
  ap_uint<8> in_ports;
  bool vlan, ethertype, ip_proto, sport, dport, teid, tunnel_id, frag, frag_value, malf, malf_value;
  ap_uint<2> src_ver, dst_ver;           // 0 none, 1 IPv4, 2 IPv6
  ap_uint<12> vlan_min, vlan_max;
  ap_uint<16> ethertype_value;
  ap_uint<8> ip_proto_value;
  ap_uint<16> sport_min, sport_max, dport_min, dport_max;
  ap_uint<32> teid_value, teid_bits, tunnel_id_value;
  ap_uint<8> src_len, dst_len;
  MacAddr smac, smask, dmac, dmask;      // wire bytes
  IpAddr src_addr, dst_addr;             // wire bytes (IPv4 in bytes 12..15)
};
struct FilterState {
  FilterRule rule[kFilterRules];
  ap_uint<kFilterRules> valid;  // bit i: rule i is in use (its FLT_CTRL.VALID)
  GroupMask copies_left;        // groups of the held frame still to get a copy
  FilteredItem held;            // that frame
};
// The verdict of the rules on a parsed frame (pure; also what the tests call).
FilterVerdict filter_of(const ParsedItem& p, const FilterState& st);
void filter_task(hls::stream<ParsedItem>& in, hls::stream<CsrWrite>& cfg,
                 hls::stream<FilteredItem>& out, FilterState& st);

// ---- key -------------------------------------------------------------------------------
// The normative 96-byte key: each field lands at its fixed key offset when its tuple bit is
// set (an AND per field), then the symmetric swap: one 40-byte comparison (A vs B, DESIGN.md)
// and a 2-way multiplexer per swapped byte. Configuration: the ingress map and each group's
// tuple/symmetric/hash, in registers. II=1: no memory. Latency ~4 (compare tree, swap).
struct KeyState {
  ap_uint<5> in_map[kInPorts];   // bit 4 valid, bits 3:0 group
  ap_uint<12> seg_vid[kInPorts]; // SEG_TAG: the segment tag each port's frames get at egress
  ap_uint<13> tuple[kGroups];
  bool symmetric[kGroups];
  bool xor16[kGroups];
};
void key_task(hls::stream<FilteredItem>& in, hls::stream<CsrWrite>& cfg,
              hls::stream<KeyItem>& out, KeyState& st);
// The key of a parsed frame for a group's tuple mask and symmetric flag (pure; also native).
Key build_key(const Fields& f, const PortId& in_port, const ap_uint<13>& tuple, bool symmetric);

// ---- hash ------------------------------------------------------------------------------
// CRC-32 as the generated XOR matrix over the 768-bit key (hash.h), xor16 as an XOR of 48
// lanes, and the fragment table index (an XOR fold of the datagram identity). II=1: XOR
// trees only. Latency ~3 (tree depth in LUT levels, registered).
FragIndex frag_index_of(const FragIdentity& id, const GroupId& group);
void hash_task(hls::stream<KeyItem>& in, hls::stream<HashedItem>& out);

// ---- select ----------------------------------------------------------------------------
// The member of the frame's group: static (indirection table), or dynamic (flow table entry
// per bucket, idle timeout, threshold avoidance); and the fragment rule (fragment table:
// direct mapped, full identity as tag). Three memories, each with one read and one write port:
// the indirection table (read per frame, written by the CSR path), the flow table and the
// fragment table (each read and written per frame). Back-to-back frames of one flow hit one
// entry: a two-deep forwarding register per table supplies an entry written in the previous
// two calls, which is what makes the DEPENDENCE pragmas on those tables safe. Clearing is
// O(1): a group's epoch and clear time (registers) invalidate its entries. Failover: a member
// takes part only while its port's link is up (link_up, from the shell); the frame's group's
// live mask is ANDed with its members' link bits, sixteen 16:1 multiplexers on registers that
// run beside the table reads. II=1; latency ~6 (memory read 2, compare and choose 2, write).
struct FlowEntry {
  bool valid;
  SlotId slot;
  ap_uint<16> epoch;     // the group's epoch when written
  Time last_seen;
};
struct FragEntry {
  bool valid;
  GroupId group;
  FragIdentity id;
  SlotId slot;
  PortId port;
  ap_uint<16> epoch;
  Time born;             // when the first fragment passed
};
struct GroupSelect {
  bool enable;
  bool dynamic;
  ap_uint<16> live;                // bit m: member slot m may receive frames
  ap_uint<16> threshold_bp;
  ap_uint<32> idle_us;
  ap_uint<32> frag_timeout_us;
  PortId member_port[kMembers];
  ap_uint<16> epoch;               // bumped by every clear
  Time cleared_at;                 // now_us of the last clear
};
// The last two entries written to a memory, newest first (registers): a read of an entry
// written in either of the previous two calls is served from here, never from the memory,
// whose write may not have landed yet.
template <class Index, class Entry>
struct Forwarding {
  Index idx[2];
  Entry val[2];
  bool ok[2];
};
struct SelectState {
  bool enable;
  GroupSelect grp[kGroups];
  ap_uint<32> ind[kGroups * kBuckets / 8];  // eight 4-bit slots per word, as the IND registers
  FlowEntry flows[kGroups * kBuckets];
  FragEntry frags[kFragEntries];
  Forwarding<FlowIndex, FlowEntry> flow_fwd;
  Forwarding<FragIndex, FragEntry> frag_fwd;
};
void select_task(hls::stream<HashedItem>& in, hls::stream<CsrWrite>& cfg,
                 hls::stream<DecisionItem>& out, const Time& now_us, const ap_uint<256>& util_bp,
                 const ap_uint<16>& link_up, SelectState& st);

// ---- merge_copies ----------------------------------------------------------------------
// A frame a filter replicates is decided once per copy (key, hash, select); this task ORs the
// copies' masks (egress ports, groups, new flows, avoidances) and sums their fragment counts
// into one DecisionItem per frame, which leaves with the frame's last copy. A frame of one
// copy passes in the call that reads it. II=1: one item in and at most one out per call; the
// state is one DecisionItem. Latency 1.
struct MergeCopiesState {
  DecisionItem acc;      // the copies of the frame so far
};
void merge_copies_task(hls::stream<DecisionItem>& in, hls::stream<DecisionItem>& out, MergeCopiesState& st);

// ---- egress ----------------------------------------------------------------------------
// Releases each frame's beats with its decision (TDEST = the mask of egress ports that get a
// copy: the shell writes the beats into each of those ports' queues; a dropped frame's beats
// are read and discarded), counts its bytes, and at TLAST settles the verdicts from the
// decision's saved lengths and sends one StatsEvent. A segment tag (the decision's seg_vid) is
// pushed after the MACs: the first beat out is bytes 0..11, the tag, bytes 12..59; every later
// beat is the previous beat's last 4 bytes and this beat's first 60 (a fixed 4-byte shift, two
// 2-way multiplexers per byte). II=1: one beat per call; a decision is taken in the same call
// as its frame's first beat, so frames follow each other without a bubble; only a tagged frame
// whose last beat held more than 60 bytes has one more beat out than in, and that beat leaves
// in a call of its own. Latency 1.
struct EgressState {
  bool have;             // cur holds the decision of the frame whose beats are leaving
  DecisionItem cur;
  Length bytes;          // bytes of that frame so far (saturating)
  bool first;            // the next beat is the frame's first
  ap_uint<32> carry;     // tagged: the last 4 bytes of the previous beat
  bool pend_ok;          // pend is a tagged frame's last beat, sent by the next call
  AxisBeat pend;
};
void egress_task(hls::stream<AxisBeat>& payload, hls::stream<DecisionItem>& dec,
                 hls::stream<AxisBeat>& tx, hls::stream<StatsEvent>& stats, EgressState& st);

// ---- stats -----------------------------------------------------------------------------
// Every counter is its own register (completely partitioned): one event updates all the
// counters it touches in one call, a counter read is a multiplexer, and neither waits for the
// other. II=1; latency 1 (64-bit adds) for events, 2 for reads.
struct StatsState {
  ap_uint<64> rx_pkts[kInPorts], rx_bytes[kInPorts];
  ap_uint<64> tx_pkts[kOutPorts], tx_bytes[kOutPorts];
  ap_uint<64> grp_pkts[kGroups], grp_new_flows[kGroups];
  ap_uint<64> malformed, fragments, depth_exceeded, unmapped_drops, threshold_avoids;
  ap_uint<64> frag_follows, frag_misses;
  ap_uint<64> tun_terminated[kInPorts], tun_passed[kInPorts], tun_fragments[kInPorts];
  ap_uint<64> flt_pkts[kFilterRules], flt_bytes[kFilterRules];
  ap_uint<64> filter_drops;
  ap_uint<32> hi_latch;   // HI word latched by the last LO read
};
void stats_task(hls::stream<StatsEvent>& ev, hls::stream<CsrWrite>& cfg,
                hls::stream<CsrWord>& ctr_req, hls::stream<CsrWord>& ctr_rsp, StatsState& st);

// Every task's state: what a card resets and what an explanation copies.
struct CoreTaskState {
  TunnelParseState tunnel_parse0, tunnel_parse1;
  DecapState decap0, decap1;
  AlignState align0, align1;
  MergeState hdr_merge;
  StatsMergeState stats_merge;
  FilterState filter;
  KeyState key;
  SelectState select;
  MergeCopiesState merge_copies;
  EgressState egress0, egress1;
  StatsState stats;
};
// The state after reset, as the fabric's reset leaves it: every register and table zero (the
// driver writes every configuration register before enabling the data path; the soft card
// replays the register map's reset values through the CSR path).
void reset_task_state(CoreTaskState& st);

}  // namespace core
}  // namespace broker
