// Parser layer 1: Ethernet II, up to four VLAN tags, then an MPLS label stack or a PPPoE
// session header (DESIGN.md "Packet semantics"). Ethernet and the tags sit at fixed offsets
// of the frame; MPLS and PPPoE are read from one view of the window shifted past the tags.
#include "parse_common.h"
#include "tasks.h"

namespace broker {
namespace core {
using namespace parse;

namespace {

const int kMplsViewBytes = 4 * kMplsLabels + 4;  // the labels and the byte after the stack

void clear_eth(EthFields& e) {
  e.dst_mac = 0;
  e.src_mac = 0;
  e.ethertype = 0;
  e.vlan_tags = 0;
  e.vlan = 0;
  e.has_mpls = false;
  e.mpls = 0;
}

}  // namespace

EthItem parse_eth(const HeaderItem& in) {
#pragma HLS INLINE
  EthItem out;
  out.h = in;
  clear_eth(out.eth);
  out.l3 = kL3None;
  out.l3_off = 0;
  out.l3_limit = 0;
  ParseVerdict& v = out.v;
  v.malformed = false;
  v.depth = false;
  v.stop = false;
  v.need_len = 0;
  v.depth_at = 0;
  const Window& w = in.win;

  // MACs field by field, so a frame cut inside the header keeps what it has.
  if (!need(6, in.avail, in.more, v)) return out;
  out.eth.dst_mac = bytes_at<6>(w, 0);
  if (!need(12, in.avail, in.more, v)) return out;
  out.eth.src_mac = bytes_at<6>(w, 6);
  if (!need(14, in.avail, in.more, v)) return out;

  // The tags: type field k at 12 + 4k, its TCI at 14 + 4k. A TPID with nothing (or only a
  // TCI) after it leaves the EtherType unknown (0) and stops.
  ap_uint<16> etype = be16(w, 12);
  ap_uint<3> tags = 0;
vlan_tags:
  for (int k = 0; k < kVlanTags; ++k) {
#pragma HLS UNROLL
    if (!v.stop && tags == k && is_vlan_tpid(etype)) {
      if (need(16 + 4 * k, in.avail, in.more, v)) {
        if (k == 0) out.eth.vlan = be16(w, 14).range(11, 0);
        tags = k + 1;
        if (need(18 + 4 * k, in.avail, in.more, v)) etype = be16(w, 16 + 4 * k);
      }
    }
  }
  out.eth.vlan_tags = tags;
  if (v.stop) return out;
  // Below 0x0600 the field is an 802.3 length: LLC follows, which is not parsed.
  out.eth.ethertype = etype < 0x0600 ? ap_uint<16>(0) : etype;
  if (is_vlan_tpid(etype)) {  // a fifth tag
    v.depth = true;
    v.stop = true;
    return out;
  }

  // The one shift of this layer: to the end of the tags.
  Offset l2_end = 14;
  l2_end += Offset(tags) * 4;
  const ap_uint<8 * kMplsViewBytes> s = layer_view<kMplsViewBytes>(w, l2_end);

  if (etype == kEthMplsUc || etype == kEthMplsMc) {
    bool bottom = false;
    ap_uint<5> labels = 0;
  mpls_stack:
    for (int j = 0; j < kMplsLabels; ++j) {
#pragma HLS UNROLL
      if (!v.stop && !bottom && labels == j) {
        if (need(Length(l2_end) + 4 * j + 4, in.avail, in.more, v)) {
          const ap_uint<32> lse = be32(s, 4 * j);
          if (j == 0) {
            out.eth.has_mpls = true;
            out.eth.mpls = lse.range(31, 12);
          }
          bottom = lse[8];
          labels = j + 1;
        }
      }
    }
    if (v.stop) return out;
    if (!bottom) {
      v.depth = true;
      v.stop = true;
      return out;
    }
    const Offset after = l2_end + Offset(labels) * 4;
    if (!need(Length(after) + 1, in.avail, in.more, v)) return out;
    // MPLS does not say what it carries; DESIGN.md guesses IP from the first nibble.
    // Anything else (pseudowire control word, Ethernet PW) ends the parse.
    ap_uint<8> first = 0;
  mpls_payload:
    for (int j = 1; j <= kMplsLabels; ++j) {
#pragma HLS UNROLL
      if (labels == j) first = byte_at(s, 4 * j);
    }
    const ap_uint<4> nibble = first.range(7, 4);
    out.l3 = nibble == 4 ? kL3Ipv4 : nibble == 6 ? kL3Ipv6 : kL3None;
    out.l3_off = after;
  } else if (etype == kEthPppoeSession) {
    // PPPoE session header (ver/type 0x11, code 0), then the PPP protocol field.
    if (!need(Length(l2_end) + 8, in.avail, in.more, v)) return out;
    if (byte_at(s, 0) != 0x11 || byte_at(s, 1) != 0) {
      v.stop = true;
      return out;
    }
    const ap_uint<16> pppoe_len = be16(s, 4);  // PPP protocol + payload
    if (pppoe_len < 2) {
      v.malformed = true;
      v.stop = true;
      return out;
    }
    // An IP datagram longer than the PPPoE payload lies about its length.
    out.l3_limit = Length(l2_end) + 6 + pppoe_len;
    v.need_len = max_len(v.need_len, out.l3_limit);
    const ap_uint<16> ppp = be16(s, 6);
    out.l3 = ppp == kPppIpv4 ? kL3Ipv4 : ppp == kPppIpv6 ? kL3Ipv6 : kL3None;
    out.l3_off = l2_end + 8;
  } else {
    out.l3 = etype == kEthIpv4 ? kL3Ipv4 : etype == kEthIpv6 ? kL3Ipv6 : kL3None;
    out.l3_off = l2_end;
  }
  if (out.l3 == kL3None) v.stop = true;
  return out;
}

void parse_eth_task(hls::stream<HeaderItem>& in, hls::stream<EthItem>& out) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  out.write(parse_eth(in.read()));
}

}  // namespace core
}  // namespace broker
