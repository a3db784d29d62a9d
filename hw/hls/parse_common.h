// What the four parser layers share: protocol numbers and the one bounds rule.
#pragma once
#include "window.h"

namespace broker {
namespace core {
namespace parse {

const ap_uint<16> kEthIpv4 = 0x0800;
const ap_uint<16> kEthIpv6 = 0x86DD;
const ap_uint<16> kEthMplsUc = 0x8847;
const ap_uint<16> kEthMplsMc = 0x8848;
const ap_uint<16> kEthPppoeSession = 0x8864;
const ap_uint<16> kPppIpv4 = 0x0021;
const ap_uint<16> kPppIpv6 = 0x0057;
const ap_uint<8> kProtoHopByHop = 0;
const ap_uint<8> kProtoTcp = 6;
const ap_uint<8> kProtoUdp = 17;
const ap_uint<8> kProtoRouting = 43;
const ap_uint<8> kProtoFragment = 44;
const ap_uint<8> kProtoDstOpts = 60;
const ap_uint<8> kProtoSctp = 132;
const ap_uint<16> kGtpUPort = 2152;
const ap_uint<8> kGtpGpdu = 0xFF;

inline bool is_vlan_tpid(const ap_uint<16>& t) { return t == 0x8100 || t == 0x88A8 || t == 0x9100; }
inline bool is_ip6_ext(const ap_uint<8>& nh) {
  return nh == kProtoHopByHop || nh == kProtoRouting || nh == kProtoFragment || nh == kProtoDstOpts;
}
inline bool is_transport(const ap_uint<8>& p) {
  return p == kProtoTcp || p == kProtoUdp || p == kProtoSctp;
}

// Whether the frame's bytes up to `end` are in the window. If not, says why and stops the
// parse: a frame that has ended (its length is avail) is malformed; one that goes on past the
// window is settled later from depth_at, once its length is known.
inline bool need(const Length& end, const Offset& avail, bool more, ParseVerdict& v) {
  if (end <= avail) return true;
  if (more) {
    v.depth_at = end;
  } else {
    v.malformed = true;
  }
  v.stop = true;
  return false;
}

// A declared end past a limit the headers set (PPPoE payload, IP datagram) is malformed now;
// past the frame's end it is malformed once the frame's length is known.
inline void check_end(const Length& end, const Length& limit, ParseVerdict& v) {
  if (limit != 0 && end > limit) v.malformed = true;
  v.need_len = max_len(v.need_len, end);
}

}  // namespace parse
}  // namespace core
}  // namespace broker
