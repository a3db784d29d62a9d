#include "hash_key.h"

namespace broker {
namespace core {
namespace {

inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
inline void copy_n(uint8_t* dst, const uint8_t* src, int n) {
  for (int i = 0; i < n; ++i) {
#pragma HLS UNROLL
    dst[i] = src[i];
  }
}

// The src/dst pairs, as (src offset, dst offset, length), in the order DESIGN.md concatenates
// them for the symmetric comparison: IP, L4 port, MAC, GTP inner IP.
struct Pair { int src, dst, len; };
constexpr Pair kPairs[4] = {
    {kKeySrcIp, kKeyDstIp, 16},
    {kKeySrcPort, kKeyDstPort, 2},
    {kKeySrcMac, kKeyDstMac, 6},
    {kKeyGtpInnerSrc, kKeyGtpInnerDst, 16},
};

// memcmp(A, B) > 0 over the concatenated src side A and dst side B, without building them.
bool src_side_greater(const uint8_t key[kKeyBytes]) {
  int order = 0;  // first difference decides: -1 A < B, +1 A > B
compare_pairs:
  for (int p = 0; p < 4; ++p) {
#pragma HLS UNROLL
  compare_bytes:
    for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
      if (i < kPairs[p].len && order == 0) {
        const uint8_t a = key[kPairs[p].src + i], b = key[kPairs[p].dst + i];
        if (a != b) order = a > b ? 1 : -1;
      }
    }
  }
  return order > 0;
}

}  // namespace

void build_key(const PacketFields& f, uint8_t in_port, uint16_t mask, bool symmetric,
               uint8_t key[kKeyBytes]) {
#pragma HLS INLINE
clear:
  for (int i = 0; i < kKeyBytes; ++i) {
#pragma HLS UNROLL
    key[i] = 0;
  }
  if (mask & kTupleInputPort) key[kKeyInputPort] = in_port;
  if (mask & kTupleIpProto) key[kKeyIpProto] = f.ip_version ? f.l4_proto : 0;
  if (mask & kTupleEthertype) put16(key + kKeyEthertype, f.ethertype);
  if (mask & kTupleSrcMac) copy_n(key + kKeySrcMac, f.src_mac, 6);
  if (mask & kTupleDstMac) copy_n(key + kKeyDstMac, f.dst_mac, 6);
  if ((mask & kTupleVlan) && f.vlan_count > 0) put16(key + kKeyVlan, f.vlan_ids[0] & 0x0FFF);
  if ((mask & kTupleMpls) && f.mpls_count > 0) put32(key + kKeyMpls, f.mpls_labels[0] & 0xFFFFF);
  if ((mask & kTupleGtpTeid) && f.has_gtp) put32(key + kKeyGtpTeid, f.gtp_teid);
  if ((mask & kTupleGtpInnerIp) && f.gtp_inner_version) {
    copy_n(key + kKeyGtpInnerSrc, f.gtp_inner_src, 16);
    copy_n(key + kKeyGtpInnerDst, f.gtp_inner_dst, 16);
  }
  if (mask & kTupleSrcIp) copy_n(key + kKeySrcIp, f.src_ip, 16);
  if (mask & kTupleDstIp) copy_n(key + kKeyDstIp, f.dst_ip, 16);
  // Fragments carry no ports (only the first even has them): zero both so every fragment
  // of a datagram hashes alike.
  if (f.has_l4 && !f.fragment) {
    if (mask & kTupleSrcPort) put16(key + kKeySrcPort, f.src_port);
    if (mask & kTupleDstPort) put16(key + kKeyDstPort, f.dst_port);
  }

  if (symmetric && src_side_greater(key)) {
  swap_pairs:
    for (int p = 0; p < 4; ++p) {
#pragma HLS UNROLL
    swap_bytes:
      for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
        if (i < kPairs[p].len) {
          const uint8_t t = key[kPairs[p].src + i];
          key[kPairs[p].src + i] = key[kPairs[p].dst + i];
          key[kPairs[p].dst + i] = t;
        }
      }
    }
  }
}

}  // namespace core
}  // namespace broker
