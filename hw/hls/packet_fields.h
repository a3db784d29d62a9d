// What the parser extracts from one frame. Plain fixed-size data: it is an HLS struct
// (passed between pipeline stages) and the native decision log's source alike.
#pragma once
#include "core_params.h"

namespace broker {
namespace core {

struct PacketFields {
  // Ethernet
  uint8_t dst_mac[6];
  uint8_t src_mac[6];
  uint16_t ethertype;          // EtherType after the leading VLAN tags (0 for 802.3/LLC frames)
  uint8_t vlan_count;          // tags recorded in vlan_ids (at most kMaxVlanTags)
  uint16_t vlan_ids[kMaxVlanTags];  // 12-bit VIDs, outer first
  uint8_t mpls_count;          // labels recorded in mpls_labels
  uint32_t mpls_labels[kMaxMplsLabels];  // 20-bit labels, top first

  // Outer IP
  uint8_t ip_version;          // 0 (no IP), 4 or 6
  uint8_t ip_proto;            // IPv4 protocol / IPv6 next header of the fixed header
  uint8_t l4_proto;            // protocol after IPv6 extension headers (== ip_proto for IPv4)
  uint8_t src_ip[16];          // IPv4 in the last 4 bytes, first 12 zero
  uint8_t dst_ip[16];
  bool fragment;               // IPv4 MF or offset > 0; IPv6 fragment header with M or offset > 0
  bool has_l4;                 // a TCP/UDP/SCTP header directly follows the outer IP
  uint16_t src_port;
  uint16_t dst_port;

  // GTPv1-U (UDP 2152)
  bool has_gtp;
  uint8_t gtp_msgtype;
  uint32_t gtp_teid;
  uint8_t gtp_inner_version;   // 0 (none), 4 or 6
  uint8_t gtp_inner_src[16];
  uint8_t gtp_inner_dst[16];

  // Verdicts
  bool malformed;              // ends inside a header, or its lengths disagree
  bool depth_exceeded;         // the header chain goes past kParseBytes
};

}  // namespace core
}  // namespace broker
