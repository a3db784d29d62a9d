#include "frame_result.h"

namespace broker {
namespace core {

PacketFields to_packet_fields(const Fields& f, bool malformed, bool depth_exceeded) {
  PacketFields p{};
  bytes_of(f.eth.dst_mac, p.dst_mac, 6);
  bytes_of(f.eth.src_mac, p.src_mac, 6);
  p.ethertype = uint16_t(f.eth.ethertype.to_uint());
  p.vlan_count = uint8_t(f.eth.vlan_tags.to_uint());
  p.vlan = uint16_t(f.eth.vlan.to_uint());
  p.has_mpls = f.eth.has_mpls;
  p.mpls = f.eth.mpls.to_uint();
  p.ip_version = uint8_t(f.ip.version.to_uint());
  p.ip_proto = uint8_t(f.ip.ip_proto.to_uint());
  p.l4_proto = uint8_t(f.ip.l4_proto.to_uint());
  bytes_of(f.ip.src_ip, p.src_ip, 16);
  bytes_of(f.ip.dst_ip, p.dst_ip, 16);
  p.fragment = f.ip.fragment;
  p.frag_later = f.ip.frag_later;
  p.frag_proto = uint8_t(f.ip.frag_proto.to_uint());
  p.frag_id = f.ip.frag_id.to_uint();
  p.has_l4 = f.l4.has_l4;
  p.src_port = uint16_t(f.l4.src_port.to_uint());
  p.dst_port = uint16_t(f.l4.dst_port.to_uint());
  p.has_gtp = f.l4.has_gtp;
  p.gtp_msgtype = uint8_t(f.l4.gtp_msgtype.to_uint());
  p.gtp_teid = f.l4.gtp_teid.to_uint();
  p.gtp_inner_version = uint8_t(f.inner.version.to_uint());
  bytes_of(f.inner.src_ip, p.gtp_inner_src, 16);
  bytes_of(f.inner.dst_ip, p.gtp_inner_dst, 16);
  p.malformed = malformed;
  p.depth_exceeded = depth_exceeded;
  p.tunnel = uint8_t(f.tun.kind.to_uint());
  p.tunnel_id = f.tun.id.to_uint();
  p.tunnel_src_version = uint8_t(f.tun.src_version.to_uint());
  bytes_of(f.tun.src, p.tunnel_src, 16);
  return p;
}

std::string tunnel_name(uint8_t kind) {
  static const char* const names[] = {"none", "gre", "erspan1", "erspan2", "erspan3", "vxlan"};
  return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

Fields to_fields(const PacketFields& p) {
  Fields f;
  f.eth.dst_mac = from_bytes<48>(p.dst_mac, 6);
  f.eth.src_mac = from_bytes<48>(p.src_mac, 6);
  f.eth.ethertype = p.ethertype;
  f.eth.vlan_tags = p.vlan_count;
  f.eth.vlan = p.vlan & 0xFFF;
  f.eth.has_mpls = p.has_mpls;
  f.eth.mpls = p.mpls & 0xFFFFF;
  f.ip.version = p.ip_version;
  f.ip.ip_proto = p.ip_proto;
  f.ip.l4_proto = p.l4_proto;
  f.ip.src_ip = from_bytes<128>(p.src_ip, 16);
  f.ip.dst_ip = from_bytes<128>(p.dst_ip, 16);
  f.ip.fragment = p.fragment;
  f.ip.frag_later = p.frag_later;
  f.ip.frag_proto = p.frag_proto;
  f.ip.frag_id = p.frag_id;
  f.l4.has_l4 = p.has_l4;
  f.l4.src_port = p.src_port;
  f.l4.dst_port = p.dst_port;
  f.l4.has_gtp = p.has_gtp;
  f.l4.gtp_msgtype = p.gtp_msgtype;
  f.l4.gtp_teid = p.gtp_teid;
  f.inner.version = p.gtp_inner_version;
  f.inner.src_ip = from_bytes<128>(p.gtp_inner_src, 16);
  f.inner.dst_ip = from_bytes<128>(p.gtp_inner_dst, 16);
  f.tun.kind = p.tunnel;
  f.tun.id = p.tunnel_id;
  f.tun.src_version = p.tunnel_src_version;
  f.tun.src = from_bytes<128>(p.tunnel_src, 16);
  return f;
}

}  // namespace core
}  // namespace broker
