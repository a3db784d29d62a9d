// What the core decided about one frame, in plain host types: the decision log, ExplainPacket,
// replay and the tests read this. Filled from the items the core's tasks produce (never
// computed here: see pipeline.h). Native builds only.
#pragma once
#include <stdint.h>

#include <string>

#include "core_types.h"

namespace broker {
namespace core {

constexpr uint8_t kNoGroup = 0xFF;

// The parsed fields (DESIGN.md "Packet semantics") with the frame's settled verdicts.
struct PacketFields {
  uint8_t dst_mac[6];
  uint8_t src_mac[6];
  uint16_t ethertype;          // after the VLAN tags (0 for 802.3/LLC frames or when cut)
  uint8_t vlan_count;          // VLAN tags walked, 0..kVlanTags
  uint16_t vlan;               // the outer tag's VLAN ID (vlan_count > 0)
  bool has_mpls;
  uint32_t mpls;               // the top label (has_mpls)
  uint8_t ip_version;          // 0 (no IP), 4 or 6
  uint8_t ip_proto;            // IPv4 protocol / IPv6 next header of the fixed header
  uint8_t l4_proto;            // after IPv6 extension headers (== ip_proto for IPv4)
  uint8_t src_ip[16];          // IPv4 in the last 4 bytes, first 12 zero
  uint8_t dst_ip[16];
  bool fragment;               // IPv4 MF or offset > 0; IPv6 fragment header with M or offset > 0
  bool frag_later;             // a later fragment (offset > 0)
  uint8_t frag_proto;          // the datagram's identity for the fragment rule: IPv4 protocol /
  uint32_t frag_id;            // IPv6 fragment next header, and the identification
  bool has_l4;                 // a TCP/UDP/SCTP header follows the outer IP
  uint16_t src_port;
  uint16_t dst_port;
  bool has_gtp;                // GTPv1-U
  uint8_t gtp_msgtype;
  uint32_t gtp_teid;
  uint8_t gtp_inner_version;   // 0, 4 or 6
  uint8_t gtp_inner_src[16];
  uint8_t gtp_inner_dst[16];
  bool malformed;              // ends inside a header, or its lengths disagree
  bool depth_exceeded;         // the header chain goes past what the parser walks or sees
  // The tunnel terminated before the parse (every field above is the inner frame's).
  uint8_t tunnel;              // TunnelKind: 0 none, 1 gre, 2 erspan1, 3 erspan2, 4 erspan3, 5 vxlan
  uint32_t tunnel_id;          // ERSPAN session ID, VXLAN VNI, GRE key (0 when none)
  uint8_t tunnel_src_version;  // 4 or 6 (0: no tunnel)
  uint8_t tunnel_src[16];      // the outer source address (IPv4 in the last 4 bytes)
};

struct Decision {
  // A frame a filter replicates has one copy per group: `group`, `slot`, `bucket` and `hash`
  // are the first copy's; out_port is its port, or when that copy was dropped another copy's.
  uint8_t out_port;   // kNoPort when no copy is delivered
  uint16_t out_mask;  // bit p: egress port p gets the frame (every copy's)
  uint16_t copy_groups;  // bit g: group g got a copy (a filter's groups, or the ingress port's group)
  uint8_t port_of[kGroups];  // the port group g's copy went to (kNoPort: none)
  uint8_t group;      // kNoGroup when the ingress port is unmapped
  uint8_t slot;       // member slot within the group
  uint16_t bucket;
  uint32_t hash;
  bool new_flow;      // dynamic: the bucket was free and got a member
  bool avoided;       // dynamic: the static member was at or above the threshold
  bool frag_follow;   // a later IP fragment sent where its first fragment went
  bool frag_miss;     // a later IP fragment decided by its fallback key
  bool filtered;      // a filter rule matched first: `rule` (its index in priority order)
  uint8_t rule;
  bool filter_drop;   // that rule drops
  uint16_t seg_vid;   // the segment tag pushed on delivery (0: none)
};

// What termination did, for the counters (TunnelVerdict) and the frame's length as delivered.
struct Termination {
  uint8_t verdict;    // TunnelVerdict: plain (the port terminates nothing), terminated, passed, fragment
  uint8_t strip;      // bytes removed before the parse (the outer headers, less 14 for IP payloads)
  bool l3;            // an IP payload of GRE: its first 14 bytes out are a made Ethernet header
  uint32_t out_len;   // bytes of the frame as it leaves the core (its length in, less strip,
                      // plus 4 for a segment tag)
};

struct FrameResult {
  PacketFields fields;
  uint8_t key[kKeyBytes];
  Decision decision;
  Termination term;
};

// Conversions between the core's wide values and host bytes (byte i <-> bits [8i+7:8i]).
// Eight bytes at a time where it can.
template <int W>
inline void bytes_of(const ap_uint<W>& v, uint8_t* out, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t w = v.range(8 * i + 63, 8 * i).to_uint64();
    for (int k = 0; k < 8; ++k) out[i + k] = uint8_t(w >> (8 * k));
  }
  for (; i < n; ++i) out[i] = uint8_t(v.range(8 * i + 7, 8 * i).to_uint());
}
template <int W>
inline ap_uint<W> from_bytes(const uint8_t* in, int n) {
  ap_uint<W> v = 0;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = 0;
    for (int k = 7; k >= 0; --k) w = (w << 8) | in[i + k];
    v.range(8 * i + 63, 8 * i) = w;
  }
  for (; i < n; ++i) v.range(8 * i + 7, 8 * i) = in[i];
  return v;
}

// The host view of parsed fields, with verdicts settled for a frame of frame_len bytes.
std::string tunnel_name(uint8_t kind);  // "none", "gre", "erspan1", "erspan2", "erspan3", "vxlan"
PacketFields to_packet_fields(const Fields& f, bool malformed, bool depth_exceeded);
// The core's fields from the host view (tests build keys from hand-made fields).
Fields to_fields(const PacketFields& p);

}  // namespace core
}  // namespace broker
