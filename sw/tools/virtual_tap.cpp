#include "virtual_tap.h"

namespace broker::tools {

namespace {

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}

}  // namespace

std::optional<VirtualTap> virtual_tap_named(const std::string& name) {
  if (name == "none") return VirtualTap::kNone;
  if (name == "gre") return VirtualTap::kGre;
  if (name == "erspan2") return VirtualTap::kErspan2;
  if (name == "erspan3") return VirtualTap::kErspan3;
  if (name == "vxlan") return VirtualTap::kVxlan;
  return std::nullopt;
}

std::vector<uint8_t> wrap_virtual_tap(VirtualTap tap, uint8_t point, uint32_t seq, uint64_t ts_ns,
                                      const std::vector<uint8_t>& frame) {
  if (tap == VirtualTap::kNone) return frame;
  // The tunnel header after the outer IPv4 header.
  std::vector<uint8_t> t;
  uint8_t proto = 47;
  switch (tap) {
    case VirtualTap::kGre:
      put16(t, 0x2000);  // K
      put16(t, 0x6558);
      put32(t, uint32_t(point) + 1);
      break;
    case VirtualTap::kErspan2:
      put16(t, 0x1000);  // S
      put16(t, 0x88BE);
      put32(t, seq);
      put32(t, (1u << 28) | (uint32_t(point) + 1));  // version 1, VLAN 0, COS 0, session
      put32(t, seq & 0xFFFFF);                       // index
      break;
    case VirtualTap::kErspan3:
      put16(t, 0x1000);
      put16(t, 0x22EB);
      put32(t, seq);
      put32(t, (2u << 28) | (uint32_t(point) + 1));  // version 2, session
      put32(t, uint32_t(ts_ns / 1000));              // timestamp
      put32(t, 1u << 1);                             // SGT 0, FT 0 (Ethernet), granularity 1
      break;
    case VirtualTap::kVxlan:
      proto = 17;
      put16(t, uint16_t(49152 + (seq & 0x3FFF)));    // source port: the flow's entropy in a real VTEP
      put16(t, 4789);
      put16(t, uint16_t(8 + 8 + frame.size()));
      put16(t, 0);
      put32(t, 0x08000000);                          // I: the VNI is valid
      put32(t, (100u + point) << 8);
      break;
    case VirtualTap::kNone:
      break;
  }
  std::vector<uint8_t> out = {0x02, 0x00, 0x00, 0x00, 0x0b, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0a, point};
  put16(out, 0x0800);
  const size_t ip = out.size();
  out.push_back(0x45);
  out.push_back(0);
  put16(out, uint16_t(20 + t.size() + frame.size()));
  put16(out, uint16_t(seq));
  put16(out, 0x4000);  // DF
  out.push_back(64);
  out.push_back(proto);
  put16(out, 0);
  put32(out, 0xC0000200u + 10 + point);  // 192.0.2.(10 + point)
  put32(out, 0xC0000201u);               // 192.0.2.1
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += uint32_t(out[ip + i]) << 8 | out[ip + i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  out[ip + 10] = uint8_t(~sum >> 8);
  out[ip + 11] = uint8_t(~sum);
  out.insert(out.end(), t.begin(), t.end());
  out.insert(out.end(), frame.begin(), frame.end());
  return out;
}

}  // namespace broker::tools
