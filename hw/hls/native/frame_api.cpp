#include "frame_api.h"

#include <cstring>

#include "tasks.h"
#include "window.h"

namespace broker {
namespace core {

void parse_frame(const uint8_t* hdr, uint32_t frame_len, PacketFields& out) {
  const uint32_t n = frame_len < uint32_t(kParseBytes) ? frame_len : uint32_t(kParseBytes);
  HeaderItem h;
  h.win = from_bytes<8 * kParseBytes>(hdr, int(n));
  h.avail = n;
  h.more = frame_len > uint32_t(kParseBytes);
  h.in_port = 0;
  const ParsedItem p = parse_inner(parse_l4(parse_ip(parse_eth(h))));
  bool malformed = false, depth = false;
  const Length len = frame_len > 0x1FFFFu ? 0x1FFFFu : frame_len;
  settle_verdict(p.v, len, malformed, depth);
  out = to_packet_fields(p.f, malformed, depth);
}

void build_key(const PacketFields& f, uint8_t in_port, uint16_t tuple_mask, bool symmetric,
               uint8_t key[kKeyBytes]) {
  const Key k = build_key(to_fields(f), PortId(in_port), ap_uint<13>(tuple_mask & kTupleAll), symmetric);
  bytes_of(k, key, kKeyBytes);
}

}  // namespace core
}  // namespace broker
