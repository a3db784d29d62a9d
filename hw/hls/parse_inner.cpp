// Parser layer 4: the inner IP header of a GTP-U G-PDU (DESIGN.md "Packet semantics"): one
// shift to the payload, addresses at fixed offsets, its length checked against GTP's.
#include "parse_common.h"
#include "tasks.h"

namespace broker {
namespace core {
using namespace parse;

ParsedItem parse_inner(const L4Item& in) {
#pragma HLS INLINE
  ParsedItem out;
  out.in_port = in.h.in_port;
  out.f.eth = in.eth;
  out.f.ip = in.ip;
  out.f.l4 = in.l4;
  out.f.inner.version = 0;
  out.f.inner.src_ip = 0;
  out.f.inner.dst_ip = 0;
  out.f.tun = in.h.tun.f;
  out.tun_out = in.h.tun.o;
  out.v = in.v;
  ParseVerdict& v = out.v;
  if (v.stop || !in.inner_follows) return out;

  const Length o = in.inner_off;
  const ap_uint<8 * 40> h = layer_view<40>(in.h.win, o);
  InnerFields& inner = out.f.inner;
  const ap_uint<4> version = byte_at(h, 0).range(7, 4);
  Length declared_end = 0;  // 0: no length to check (offload-style 0 lengths included)
  if (version == 4) {
    const ap_uint<7> hlen = ap_uint<7>(byte_at(h, 0).range(3, 0)) * 4;
    if (hlen < 20) {
      v.malformed = true;
      v.stop = true;
      return out;
    }
    if (!need(o + 20, in.h.avail, in.h.more, v)) return out;
    inner.version = 4;
    inner.src_ip = ipv4_slot(bytes_at<4>(h, 12));
    inner.dst_ip = ipv4_slot(bytes_at<4>(h, 16));
    const ap_uint<16> total = be16(h, 2);
    if (total != 0 && total < hlen) v.malformed = true;
    if (total != 0) declared_end = o + total;
  } else if (version == 6) {
    if (!need(o + 24, in.h.avail, in.h.more, v)) return out;
    inner.version = 6;
    inner.src_ip = bytes_at<16>(h, 8);
    if (!need(o + 40, in.h.avail, in.h.more, v)) return out;
    inner.dst_ip = bytes_at<16>(h, 24);
    const ap_uint<16> payload_len = be16(h, 4);
    if (payload_len != 0) declared_end = o + 40 + payload_len;
  }
  if (in.gtp_end != 0 && declared_end > in.gtp_end) v.malformed = true;
  v.stop = true;
  return out;
}

void parse_inner_task(hls::stream<L4Item>& in, hls::stream<ParsedItem>& out) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  out.write(parse_inner(in.read()));
}

}  // namespace core
}  // namespace broker
