// The key task: the normative 96-byte hash key of each frame (DESIGN.md "Hash key"), for the
// group its ingress port maps to, and what the later tasks need to know about the frame.
#include "csr_decode.h"
#include "key_layout.h"
#include "tasks.h"
#include "window.h"

namespace broker {
namespace core {

namespace {

template <int N>
void put_bytes(Key& key, int off, const ap_uint<8 * N>& wire) {
  key.range(8 * off + 8 * N - 1, 8 * off) = wire;
}

// The symmetric comparison's sides (DESIGN.md): A = src IP, src port, src MAC, GTP inner
// src; B likewise for the destination; concatenated in that order, first byte most
// significant, so comparing them as numbers is memcmp.
const int kSideBytes = 16 + 2 + 6 + 16;
ap_uint<8 * kSideBytes> side(const Key& key, int ip, int port, int mac, int inner) {
  ap_uint<8 * kSideBytes> s = 0;
  const int offs[4] = {ip, port, mac, inner};
  const int lens[4] = {16, 2, 6, 16};
  int at = 0;
side_parts:
  for (int p = 0; p < 4; ++p) {
#pragma HLS UNROLL
  side_bytes:
    for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
      if (i < lens[p]) {
        const int dst = kSideBytes - 1 - (at + i);  // first byte in the top bits
        s.range(8 * dst + 7, 8 * dst) = key.range(8 * (offs[p] + i) + 7, 8 * (offs[p] + i));
      }
    }
    at += lens[p];
  }
  return s;
}

template <int N>
void swap_bytes(Key& key, int a, int b) {
  const ap_uint<8 * N> x = key.range(8 * a + 8 * N - 1, 8 * a);
  key.range(8 * a + 8 * N - 1, 8 * a) = key.range(8 * b + 8 * N - 1, 8 * b);
  key.range(8 * b + 8 * N - 1, 8 * b) = x;
}

void apply_key_csr(const CsrWrite& w, KeyState& st) {
  const uint32_t addr = csr_address(w), v = csr_data(w);
  int i;
  if ((i = register_instance(addr, rm::IN_MAP, rm::INGRESS_STRIDE, rm::kInPorts)) >= 0) {
    ap_uint<5> m = reg_field(v, rm::IN_MAP_GROUP_LSB, rm::IN_MAP_GROUP_MASK);
    m[4] = (v & rm::IN_MAP_VALID_MASK) != 0;
    st.in_map[i] = m;
  } else if ((i = register_instance(addr, rm::SEG_TAG, rm::INGRESS_TAG_STRIDE, rm::kInPorts)) >= 0) {
    st.seg_vid[i] = reg_field(v, rm::SEG_TAG_VID_LSB, rm::SEG_TAG_VID_MASK);
  } else if ((i = register_instance(addr, rm::GRP_CTRL, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.symmetric[i] = (v & rm::GRP_CTRL_SYMMETRIC_MASK) != 0;
    st.xor16[i] = reg_field(v, rm::GRP_CTRL_HASH_LSB, rm::GRP_CTRL_HASH_MASK) == rm::GRP_CTRL_HASH_XOR16;
  } else if ((i = register_instance(addr, rm::GRP_TUPLE, rm::GROUP_STRIDE, rm::kGroups)) >= 0) {
    st.tuple[i] = v & 0x1FFF;
  }
}

}  // namespace

Key build_key(const Fields& f, const PortId& in_port, const ap_uint<13>& tuple, bool symmetric) {
#pragma HLS INLINE
  Key key = 0;
  const uint16_t t = tuple.to_uint();
  if (t & kTupleInputPort) key.range(7, 0) = in_port;
  if ((t & kTupleIpProto) && f.ip.version != 0) key.range(15, 8) = f.ip.l4_proto;
  if (t & kTupleEthertype) put_be16(key, kKeyEthertype, f.eth.ethertype);
  if (t & kTupleSrcMac) put_bytes<6>(key, kKeySrcMac, f.eth.src_mac);
  if (t & kTupleDstMac) put_bytes<6>(key, kKeyDstMac, f.eth.dst_mac);
  if ((t & kTupleVlan) && f.eth.vlan_tags != 0) put_be16(key, kKeyVlan, f.eth.vlan);
  if ((t & kTupleMpls) && f.eth.has_mpls) put_be32(key, kKeyMpls, f.eth.mpls);
  if ((t & kTupleGtpTeid) && f.l4.has_gtp) put_be32(key, kKeyGtpTeid, f.l4.gtp_teid);
  if ((t & kTupleGtpInnerIp) && f.inner.version != 0) {
    put_bytes<16>(key, kKeyGtpInnerSrc, f.inner.src_ip);
    put_bytes<16>(key, kKeyGtpInnerDst, f.inner.dst_ip);
  }
  if (t & kTupleSrcIp) put_bytes<16>(key, kKeySrcIp, f.ip.src_ip);
  if (t & kTupleDstIp) put_bytes<16>(key, kKeyDstIp, f.ip.dst_ip);
  // A first fragment keeps its ports (DESIGN.md fragment rule); later fragments have none.
  if (f.l4.has_l4) {
    if (t & kTupleSrcPort) put_be16(key, kKeySrcPort, f.l4.src_port);
    if (t & kTupleDstPort) put_be16(key, kKeyDstPort, f.l4.dst_port);
  }
  if (symmetric) {
    const ap_uint<8 * kSideBytes> a = side(key, kKeySrcIp, kKeySrcPort, kKeySrcMac, kKeyGtpInnerSrc);
    const ap_uint<8 * kSideBytes> b = side(key, kKeyDstIp, kKeyDstPort, kKeyDstMac, kKeyGtpInnerDst);
    if (a > b) {
      swap_bytes<16>(key, kKeySrcIp, kKeyDstIp);
      swap_bytes<2>(key, kKeySrcPort, kKeyDstPort);
      swap_bytes<6>(key, kKeySrcMac, kKeyDstMac);
      swap_bytes<16>(key, kKeyGtpInnerSrc, kKeyGtpInnerDst);
    }
  }
  return key;
}

void key_task(hls::stream<FilteredItem>& in, hls::stream<CsrWrite>& cfg, hls::stream<KeyItem>& out,
              KeyState& st) {
#pragma HLS PIPELINE II = 1
#pragma HLS ARRAY_PARTITION variable = st.in_map type = complete
#pragma HLS ARRAY_PARTITION variable = st.seg_vid type = complete
#pragma HLS ARRAY_PARTITION variable = st.tuple type = complete
#pragma HLS ARRAY_PARTITION variable = st.symmetric type = complete
#pragma HLS ARRAY_PARTITION variable = st.xor16 type = complete
  if (!cfg.empty()) apply_key_csr(cfg.read(), st);
  if (in.empty() || out.full()) return;
  const FilteredItem fi = in.read();
  const ParsedItem& p = fi.p;
  const bool known_port = p.in_port < kInPorts;
  const ap_uint<5> map = known_port ? st.in_map[p.in_port.range(2, 0)] : ap_uint<5>(0);
  // A filter rule that matched decides the group of this copy (or drops); otherwise the
  // ingress map does.
  const GroupId group = fi.fv.hit ? fi.group : GroupId(map.range(3, 0));
  KeyItem k;
  k.meta.in_port = p.in_port;
  k.meta.mapped = fi.fv.hit ? !fi.fv.drop : bool(map[4]);
  k.meta.group = group;
  k.xor16 = st.xor16[group];
  k.key = k.meta.mapped ? build_key(p.f, p.in_port, st.tuple[group], st.symmetric[group]) : Key(0);
  k.meta.fragment = p.f.ip.fragment;
  k.meta.frag_first = p.f.ip.fragment && !p.f.ip.frag_later;
  k.meta.frag_later = p.f.ip.frag_later;
  k.meta.frag.src_ip = p.f.ip.src_ip;
  k.meta.frag.dst_ip = p.f.ip.dst_ip;
  k.meta.frag.proto = p.f.ip.frag_proto;
  k.meta.frag.id = p.f.ip.frag_id;
  k.meta.tun_out = p.tun_out;
  k.meta.fv = fi.fv;
  k.meta.seg_vid = known_port ? st.seg_vid[p.in_port.range(2, 0)] : ap_uint<12>(0);
  k.meta.v = p.v;
  k.meta.copy = fi.copy;
  out.write(k);
}

}  // namespace core
}  // namespace broker
