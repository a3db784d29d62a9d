// Frame parser: Ethernet, VLAN, MPLS, PPPoE, IPv4/IPv6 (+ extension headers), TCP/UDP/SCTP,
// GTPv1-U with inner IP. Semantics are normative: see DESIGN.md "Packet semantics".
#pragma once
#include "packet_fields.h"

namespace broker {
namespace core {

// hdr holds the first min(frame_len, kParseBytes) bytes of an Ethernet frame; bytes past
// that are ignored. frame_len is the length of the whole frame as it will be forwarded.
// Never reads hdr beyond kParseBytes; every field not found is zero.
void parse_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, PacketFields& out);

}  // namespace core
}  // namespace broker
