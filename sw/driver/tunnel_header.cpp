#include "tunnel_header.h"

#include "broker_regmap.h"
#include "net_address.h"

#include <vector>

namespace broker::driver {
namespace rm = broker::regmap;

namespace {

void be16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void be32(std::vector<uint8_t>& b, uint32_t v) {
  be16(b, uint16_t(v >> 16));
  be16(b, uint16_t(v));
}

}  // namespace

EncapRegisters encap_registers(const v1::EgressTunnel& t) {
  EncapRegisters r;
  const auto src = config::parse_ip_address(t.src_ip());
  const auto dst = config::parse_ip_address(t.dst_ip());
  const auto smac = config::parse_mac(t.src_mac());
  const auto dmac = config::parse_mac(t.dst_mac());
  if (!src || !dst || !smac || !dmac || src->version != dst->version) return r;  // not validated
  const bool v6 = src->version == 6;
  uint32_t kind;
  if (t.type() == v1::TUNNEL_ERSPAN) kind = t.erspan_version() == 3 ? core::kEncErspan3 : core::kEncErspan2;
  else kind = t.key() != 0 ? core::kEncGreKey : core::kEncGre;
  const uint8_t ttl = uint8_t(t.ttl() == 0 ? 64 : t.ttl());
  const uint8_t tos = uint8_t(t.dscp() << 2);

  std::vector<uint8_t> b;
  b.insert(b.end(), dmac->begin(), dmac->end());
  b.insert(b.end(), smac->begin(), smac->end());
  be16(b, v6 ? 0x86DD : 0x0800);
  uint32_t sum = 0;
  if (!v6) {
    // Version 4, IHL 5; total length 0 (per frame); ID 0 with DF: never fragmented (RFC 6864);
    // checksum 0 (per frame, from ENC_CSUM).
    const size_t ip = b.size();
    b.insert(b.end(), {0x45, tos, 0, 0, 0, 0, 0x40, 0x00, ttl, 47, 0, 0});
    b.insert(b.end(), src->bytes.begin() + 12, src->bytes.end());
    b.insert(b.end(), dst->bytes.begin() + 12, dst->bytes.end());
    for (size_t i = ip; i < ip + 20; i += 2) sum += uint32_t(b[i]) << 8 | b[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  } else {
    // Version 6, traffic class = DSCP, flow label 0; payload length 0 (per frame).
    b.insert(b.end(), {uint8_t(0x60 | tos >> 4), uint8_t(tos << 4), 0, 0, 0, 0, 47, ttl});
    b.insert(b.end(), src->bytes.begin(), src->bytes.end());
    b.insert(b.end(), dst->bytes.begin(), dst->bytes.end());
  }
  switch (kind) {
    case core::kEncGre:
      be16(b, 0x0000);
      be16(b, 0x6558);
      break;
    case core::kEncGreKey:
      be16(b, 0x2000);  // K
      be16(b, 0x6558);
      be32(b, t.key());
      break;
    case core::kEncErspan2:
      be16(b, 0x1000);  // S: the sequence number follows (per frame)
      be16(b, 0x88BE);
      be32(b, 0);
      // Version 1, VLAN 0; COS 0, En 3 (frames keep their VLAN tags), T 0 (per frame), session
      // ID; reserved and index 0.
      b.insert(b.end(), {0x10, 0x00, uint8_t(3 << 3 | (t.key() >> 8 & 3)), uint8_t(t.key())});
      be32(b, 0);
      break;
    default:
      be16(b, 0x1000);
      be16(b, 0x22EB);
      be32(b, 0);
      // Version 2, VLAN 0; COS 0, BSO 0, T 0, session ID; timestamp (per frame); SGT 0;
      // P 1 (an Ethernet frame), FT 0, hardware ID 0, D 0, granularity 01 (100 ns), O 0.
      b.insert(b.end(), {0x20, 0x00, uint8_t(t.key() >> 8 & 3), uint8_t(t.key())});
      be32(b, 0);
      b.insert(b.end(), {0x00, 0x00, 0x80, 0x02});
      break;
  }
  if (b.size() != core::encap_hdr_len(kind, v6)) return EncapRegisters{};  // cannot happen
  for (size_t i = 0; i < b.size(); ++i) r.hdr[i / 4] |= uint32_t(b[i]) << (8 * (i % 4));
  r.ctrl = rm::ENC_CTRL_ENABLE_MASK | (kind << rm::ENC_CTRL_KIND_LSB) | (v6 ? rm::ENC_CTRL_IPV6_MASK : 0u);
  r.slice = t.slice_bytes();
  r.csum = sum;
  return r;
}

}  // namespace broker::driver
