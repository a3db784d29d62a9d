// The items that flow between the core's tasks (hw/hls/tasks.h), and the types they are made
// of. Every field is as wide as it needs to be; an item is what one FIFO word carries.
//
// Byte order: wide values hold bytes in AXI4-Stream lane order, byte i of the wire (or of the
// key) at bits [8i+7:8i]. So a MAC or an IPv6 address is its wire bytes as they come, and the
// 96-byte key's byte i (DESIGN.md offset i) is Key bits [8i+7:8i]. Numbers carried inside
// headers (EtherType, ports, TEID, lengths) are held as numbers, not as wire bytes.
#pragma once
#include "core_params.h"
#include "hls_compat.h"

namespace broker {
namespace core {

// TID = ingress port on RX; on TX, TDEST = the egress ports that get the frame (bit p: port p),
// more than one when a filter replicates it.
typedef ap_axiu<512, 0, 8, 16> AxisBeat;
typedef ap_uint<8 * kParseBytes> Window;    // a frame's first 256 bytes
typedef ap_uint<8 * kKeyBytes> Key;         // the normative 96-byte hash key
typedef ap_uint<9> Offset;                  // a byte offset in the window, 0..256
typedef ap_uint<17> Length;                 // a frame length or a declared end: up to 65535 + 256
typedef ap_uint<64> Time;                   // microseconds; 64 bits never wrap
typedef ap_uint<48> MacAddr;                // wire bytes
typedef ap_uint<128> IpAddr;                // wire bytes; IPv4 in bytes 12..15, bytes 0..11 zero
typedef ap_uint<64> CsrWrite;               // {address[63:32], data[31:0]}
typedef ap_uint<32> CsrWord;
typedef ap_uint<8> PortId;                  // ingress or egress port (8 bits like TID/TDEST)
typedef ap_uint<2> LaneId;                  // the beat lane of a frame (ingress port % kLanes); two bits
                                            // keep the order FIFO's word a vector for the co-simulation's DPI
typedef ap_uint<4> GroupId;
typedef ap_uint<4> SlotId;                  // member slot within a group
typedef ap_uint<16> GroupMask;              // bit g: group g (kGroups)
typedef ap_uint<16> PortMask;               // bit p: egress port p (kOutPorts)
typedef ap_uint<kBucketBits> BucketId;
typedef ap_uint<kFragBits> FragIndex;
typedef ap_uint<4 + kBucketBits> FlowIndex;  // group and bucket: a flow table entry

enum L3Kind { kL3None = 0, kL3Ipv4 = 1, kL3Ipv6 = 2 };

// ---- tunnel termination (DESIGN.md "Virtual TAPs, tunnels, filters, flow records") --------

// The tunnel a frame arrived in, as the decision log names it.
enum TunnelKind { kTunNone = 0, kTunGre = 1, kTunErspan1 = 2, kTunErspan2 = 3, kTunErspan3 = 4, kTunVxlan = 5 };
// What termination did with a frame, for the per-port counters. kTunPlain: the port
// terminates nothing.
enum TunnelVerdict { kTunPlain = 0, kTunTerminated = 1, kTunPassed = 2, kTunFragment = 3 };

// The tunnel whose outer headers were removed (kind kTunNone: none).
struct TunnelFields {
  ap_uint<3> kind;         // TunnelKind
  ap_uint<32> id;          // ERSPAN session ID, VXLAN VNI, GRE key; 0 when none
  ap_uint<4> src_version;  // 4 or 6: the outer header's version (0 when not terminated)
  IpAddr src;              // the outer source address: the TAP that sent it
};

// What travels with a frame to the counters: the verdict and the bytes removed.
struct TunnelOutcome {
  ap_uint<2> verdict;      // TunnelVerdict
  ap_uint<7> strip;        // bytes removed from the frame's start (the wire length is len + strip)
  bool l3;                 // an IP payload of GRE: the frame's first 14 bytes after the strip
                           // became an Ethernet header with zero MACs
};

// tunnel_parse -> decap -> align: one per frame.
struct TunnelInfo {
  TunnelFields f;
  TunnelOutcome o;
  ap_uint<16> l3_type;     // o.l3: the EtherType of that Ethernet header
};

// What the parser knows about a frame's verdicts before the frame has ended. Frames longer
// than the window are decided before their end is seen, so nothing the parser extracts may
// depend on the frame's length past the window: the checks that do are saved as two lengths
// and settled when the frame's last beat is counted (settle_verdict, egress task).
struct ParseVerdict {
  bool malformed;   // the header bytes alone show it: a length field contradicts another
  bool depth;       // the header chain goes on past what the parser walks
  bool stop;        // parsing ended: later layers extract nothing
  Length need_len;  // the frame must be at least this long, or its lengths disagree (0: none)
  Length depth_at;  // the window ended while a header needed bytes up to here (0: it did not)
};

// ---- parse_eth -> parse_ip -> parse_l4 -> parse_inner -> key -----------------------------

struct EthFields {
  MacAddr dst_mac, src_mac;
  ap_uint<16> ethertype;   // after the VLAN tags; 0 when an 802.3 length or cut short
  ap_uint<3> vlan_tags;    // tags walked, 0..kVlanTags
  ap_uint<12> vlan;        // the outer tag's VLAN ID (when vlan_tags > 0)
  bool has_mpls;
  ap_uint<20> mpls;        // the top label
};

struct IpFields {
  ap_uint<4> version;      // 0 (no IP), 4 or 6
  ap_uint<8> ip_proto;     // IPv4 protocol / IPv6 next header of the fixed header
  ap_uint<8> l4_proto;     // after IPv6 extension headers (== ip_proto for IPv4)
  IpAddr src_ip, dst_ip;
  bool fragment;           // IPv4 MF or offset > 0; IPv6 fragment header with M or offset > 0
  bool frag_later;         // offset > 0: a later fragment, no transport header
  ap_uint<8> frag_proto;   // IPv4 protocol / IPv6 fragment header's next header
  ap_uint<32> frag_id;     // identification (IPv4: 16 bits)
};

struct L4Fields {
  bool has_l4;             // a TCP/UDP/SCTP header follows the outer IP
  ap_uint<16> src_port, dst_port;
  bool has_gtp;            // GTPv1-U (UDP port 2152)
  ap_uint<8> gtp_msgtype;
  ap_uint<32> gtp_teid;
};

struct InnerFields {
  ap_uint<4> version;      // GTP-U inner IP: 0, 4 or 6
  IpAddr src_ip, dst_ip;
};

// Everything the parser extracts (DESIGN.md "Packet semantics"); what the decision log shows.
struct Fields {
  EthFields eth;
  IpFields ip;
  L4Fields l4;
  InnerFields inner;
  TunnelFields tun;        // the tunnel terminated before the parser saw the frame
};

// align -> parse_eth: one per frame, once its first 256 bytes (or all of it) are in. Every
// parser layer carries it on to the next.
struct HeaderItem {
  Window win;       // zero past the frame's end
  Offset avail;     // bytes of win that are the frame: min(frame length, 256)
  bool more;        // the frame goes on past the window
  PortId in_port;
  TunnelInfo tun;   // what termination did: the window holds the inner frame
};

// parse_eth -> parse_ip
struct EthItem {
  HeaderItem h;
  EthFields eth;
  ap_uint<2> l3;        // L3Kind
  Offset l3_off;        // where the IP header starts
  Length l3_limit;      // PPPoE: the IP datagram must end by here (0: no limit)
  ParseVerdict v;
};

// parse_ip -> parse_l4
struct IpItem {
  HeaderItem h;
  EthFields eth;
  IpFields ip;
  bool l4_follows;      // a transport header may start at l4_off
  Length l4_off;        // may lie past the window (a long extension header chain)
  bool ip_len_known;    // ip_end comes from a length field
  Length ip_end;        // end of the IP datagram as declared
  ParseVerdict v;
};

// parse_l4 -> parse_inner
struct L4Item {
  HeaderItem h;
  EthFields eth;
  IpFields ip;
  L4Fields l4;
  bool inner_follows;   // a G-PDU payload (inner IP) starts at inner_off
  Length inner_off;
  Length gtp_end;       // end of the GTP message as declared (0: not checkable)
  ParseVerdict v;
};

// parse_inner -> key
struct ParsedItem {
  PortId in_port;
  Fields f;
  TunnelOutcome tun_out;
  ParseVerdict v;
};

// What the filter decided (filter -> key -> ... -> stats): the first rule that matched.
struct FilterVerdict {
  bool hit;             // a rule matched
  ap_uint<6> rule;      // the first one (rules are in priority order)
  bool drop;            // its action: drop; else deliver a copy to each group of `groups`
  GroupMask groups;
};

// Which copy of a frame an item is: a frame a filter delivers to n groups is n items from the
// filter to select (one per group, in group order), one again from merge_copies on.
struct CopyTag {
  bool first;           // the frame's first copy (the one the decision log's key and hash show)
  bool last;            // its last: merge_copies emits the frame's decision with it
};

// filter -> key: one per copy
struct FilteredItem {
  ParsedItem p;
  FilterVerdict fv;
  GroupId group;        // a rule that delivers: this copy's group (else unused)
  CopyTag copy;
};

// ---- key -> hash -> select -> egress -> stats -----------------------------------------

// A datagram's identity for the fragment rule (DESIGN.md).
struct FragIdentity {
  IpAddr src_ip, dst_ip;
  ap_uint<8> proto;
  ap_uint<32> id;
};

// What travels with a frame from the key task to the egress task besides its key and hash.
struct FrameMeta {
  PortId in_port;
  bool mapped;          // the ingress port maps to a group
  GroupId group;
  bool fragment;
  bool frag_first;      // a first fragment: its port is remembered
  bool frag_later;      // a later fragment: follows its first fragment if remembered
  FragIdentity frag;
  TunnelOutcome tun_out;
  FilterVerdict fv;
  ap_uint<12> seg_vid;  // the ingress port's segment tag (0: none), pushed at egress
  ParseVerdict v;
  CopyTag copy;
};

struct KeyItem {
  Key key;
  bool xor16;           // the group hashes with xor16 (else crc32)
  FrameMeta meta;
};

struct HashedItem {
  ap_uint<32> hash;
  FragIndex frag_index;  // the fragment table entry of meta.frag
  FrameMeta meta;
};

// select -> merge_copies: one per copy; merge_copies -> egress: one per frame, the frame's
// beats leave with it. The single fields are the first copy's (what the decision log's key,
// hash and bucket describe); the masks are every copy's.
struct DecisionItem {
  PortId out_port;      // the first copy's egress port; kNoPort: that copy is dropped
  PortId in_port;
  bool mapped;
  GroupId group;
  SlotId slot;
  bool new_flow;        // dynamic: a free bucket got a member
  bool avoided;         // dynamic: the static member was at or above the threshold
  bool frag_follow;     // a later fragment sent where its first fragment went
  bool frag_miss;       // a later fragment decided by its fallback key
  bool fragment;
  TunnelOutcome tun_out;
  FilterVerdict fv;
  ap_uint<12> seg_vid;  // push an 802.1Q tag with this VLAN ID after the MACs (0: none)
  ParseVerdict v;
  CopyTag copy;
  PortMask out_mask;    // every copy's egress port (0: the frame is dropped)
  GroupMask grp_mask;   // every copy's group (mapped copies)
  GroupMask new_mask;   // the groups where a copy took a free bucket (dynamic)
  GroupMask avoid_mask; // the groups where a copy avoided a busy member (dynamic)
  ap_uint<5> follows;   // copies that followed their first fragment
  ap_uint<5> misses;    // copies decided by the fallback key
  ap_uint<8 * kGroups> port_of;  // byte g: the port group g's copy went to (kNoPort: none)
};

// egress -> stats: one per frame, once its last beat left.
struct StatsEvent {
  PortId in_port;
  PortMask out_mask;    // 0: dropped
  GroupMask grp_mask;
  Length len;           // frame bytes as delivered (after termination)
  bool malformed, depth_exceeded, fragment;
  GroupMask new_mask, avoid_mask;
  ap_uint<5> follows, misses;
  TunnelOutcome tun_out;
  FilterVerdict fv;
  bool seg_tag;         // a segment tag was pushed: 4 bytes more left than came
};

// ---- Field lists: one per item, for code that handles items as bit vectors --------------
// (the co-simulation packs items into FIFO words). Never used by synthesis.

template <class F> void visit(ParseVerdict& x, F&& f) {
  f(x.malformed); f(x.depth); f(x.stop); f(x.need_len); f(x.depth_at);
}
template <class F> void visit(EthFields& x, F&& f) {
  f(x.dst_mac); f(x.src_mac); f(x.ethertype); f(x.vlan_tags); f(x.vlan); f(x.has_mpls); f(x.mpls);
}
template <class F> void visit(IpFields& x, F&& f) {
  f(x.version); f(x.ip_proto); f(x.l4_proto); f(x.src_ip); f(x.dst_ip); f(x.fragment);
  f(x.frag_later); f(x.frag_proto); f(x.frag_id);
}
template <class F> void visit(L4Fields& x, F&& f) {
  f(x.has_l4); f(x.src_port); f(x.dst_port); f(x.has_gtp); f(x.gtp_msgtype); f(x.gtp_teid);
}
template <class F> void visit(InnerFields& x, F&& f) { f(x.version); f(x.src_ip); f(x.dst_ip); }
template <class F> void visit(TunnelFields& x, F&& f) { f(x.kind); f(x.id); f(x.src_version); f(x.src); }
template <class F> void visit(TunnelOutcome& x, F&& f) { f(x.verdict); f(x.strip); f(x.l3); }
template <class F> void visit(TunnelInfo& x, F&& f) { visit(x.f, f); visit(x.o, f); f(x.l3_type); }
template <class F> void visit(FilterVerdict& x, F&& f) { f(x.hit); f(x.rule); f(x.drop); f(x.groups); }
template <class F> void visit(CopyTag& x, F&& f) { f(x.first); f(x.last); }
template <class F> void visit(Fields& x, F&& f) {
  visit(x.eth, f); visit(x.ip, f); visit(x.l4, f); visit(x.inner, f); visit(x.tun, f);
}
template <class F> void visit(HeaderItem& x, F&& f) {
  f(x.win); f(x.avail); f(x.more); f(x.in_port); visit(x.tun, f);
}
template <class F> void visit(EthItem& x, F&& f) {
  visit(x.h, f); visit(x.eth, f); f(x.l3); f(x.l3_off);
  f(x.l3_limit); visit(x.v, f);
}
template <class F> void visit(IpItem& x, F&& f) {
  visit(x.h, f); visit(x.eth, f); visit(x.ip, f);
  f(x.l4_follows); f(x.l4_off); f(x.ip_len_known); f(x.ip_end); visit(x.v, f);
}
template <class F> void visit(L4Item& x, F&& f) {
  visit(x.h, f); visit(x.eth, f); visit(x.ip, f); visit(x.l4, f);
  f(x.inner_follows); f(x.inner_off); f(x.gtp_end); visit(x.v, f);
}
template <class F> void visit(ParsedItem& x, F&& f) {
  f(x.in_port); visit(x.f, f); visit(x.tun_out, f); visit(x.v, f);
}
template <class F> void visit(FilteredItem& x, F&& f) { visit(x.p, f); visit(x.fv, f); f(x.group); visit(x.copy, f); }
template <class F> void visit(FragIdentity& x, F&& f) { f(x.src_ip); f(x.dst_ip); f(x.proto); f(x.id); }
template <class F> void visit(FrameMeta& x, F&& f) {
  f(x.in_port); f(x.mapped); f(x.group); f(x.fragment); f(x.frag_first); f(x.frag_later);
  visit(x.frag, f); visit(x.tun_out, f); visit(x.fv, f); f(x.seg_vid); visit(x.v, f); visit(x.copy, f);
}
template <class F> void visit(KeyItem& x, F&& f) { f(x.key); f(x.xor16); visit(x.meta, f); }
template <class F> void visit(HashedItem& x, F&& f) { f(x.hash); f(x.frag_index); visit(x.meta, f); }
template <class F> void visit(DecisionItem& x, F&& f) {
  f(x.out_port); f(x.in_port); f(x.mapped); f(x.group); f(x.slot); f(x.new_flow); f(x.avoided);
  f(x.frag_follow); f(x.frag_miss); f(x.fragment); visit(x.tun_out, f); visit(x.fv, f); f(x.seg_vid);
  visit(x.v, f); visit(x.copy, f); f(x.out_mask); f(x.grp_mask); f(x.new_mask); f(x.avoid_mask);
  f(x.follows); f(x.misses); f(x.port_of);
}
template <class F> void visit(StatsEvent& x, F&& f) {
  f(x.in_port); f(x.out_mask); f(x.grp_mask); f(x.len); f(x.malformed); f(x.depth_exceeded);
  f(x.fragment); f(x.new_mask); f(x.avoid_mask); f(x.follows); f(x.misses); visit(x.tun_out, f);
  visit(x.fv, f); f(x.seg_tag);
}
// Whether an item starts its frame: every item of a per-frame stream does; of a per-copy
// stream (a replicated frame's items from filter to select) the first copy. What the decision
// log traces (core_step.h's FrameTraceZip) and the co-simulation times per frame.
template <class T> inline bool first_copy(const T&) { return true; }
inline bool first_copy(const FilteredItem& x) { return x.copy.first; }
inline bool first_copy(const KeyItem& x) { return x.meta.copy.first; }
inline bool first_copy(const HashedItem& x) { return x.meta.copy.first; }
inline bool first_copy(const DecisionItem& x) { return x.copy.first; }

template <class F> void visit(AxisBeat& x, F&& f) {
  f(x.data); f(x.keep); f(x.strb); f(x.last); f(x.id); f(x.dest);
}

}  // namespace core
}  // namespace broker
