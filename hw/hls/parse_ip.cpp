// Parser layer 2: the outer IPv4 or IPv6 header and IPv6 extension headers (DESIGN.md
// "Packet semantics"). One shift to the IP header; for IPv6 a second view from the end of the
// fixed header, where every extension header starts at a multiple of 8 bytes, so each is read
// as one 8-byte word picked by its word index.
#include "parse_common.h"
#include "tasks.h"

namespace broker {
namespace core {
using namespace parse;

namespace {

const int kIp6PayloadWords = (kParseBytes - 40) / 8;  // 8-byte words the window can hold

void clear_ip(IpFields& ip) {
  ip.version = 0;
  ip.ip_proto = 0;
  ip.l4_proto = 0;
  ip.src_ip = 0;
  ip.dst_ip = 0;
  ip.fragment = false;
  ip.frag_later = false;
  ip.frag_proto = 0;
  ip.frag_id = 0;
}

// A 33-bit end saturated into a Length (a jumbo length can claim 4 GB).
Length saturate(const ap_uint<34>& end) {
  return end > 0x1FFFF ? Length(0x1FFFF) : Length(end);
}

void parse_ipv4(const EthItem& in, IpItem& out) {
#pragma HLS INLINE
  ParseVerdict& v = out.v;
  const Offset o = in.l3_off;
  const ap_uint<8 * 20> h = layer_view<20>(in.h.win, o);
  if (!need(Length(o) + 1, in.h.avail, in.h.more, v)) return;
  const ap_uint<8> vihl = byte_at(h, 0);
  const ap_uint<7> hlen = ap_uint<7>(vihl.range(3, 0)) * 4;
  if (vihl.range(7, 4) != 4 || hlen < 20) {
    v.malformed = true;
    v.stop = true;
    return;
  }
  // The fixed header carries every field recorded; options only move the transport header.
  if (!need(Length(o) + 20, in.h.avail, in.h.more, v)) return;
  IpFields& ip = out.ip;
  ip.version = 4;
  ip.ip_proto = byte_at(h, 9);
  ip.l4_proto = ip.ip_proto;
  ip.src_ip = ipv4_slot(bytes_at<4>(h, 12));
  ip.dst_ip = ipv4_slot(bytes_at<4>(h, 16));
  const ap_uint<16> flags_frag = be16(h, 6);
  const bool more_frags = flags_frag[13];
  const ap_uint<13> frag_off = flags_frag.range(12, 0);
  ip.fragment = more_frags || frag_off != 0;
  ip.frag_later = frag_off != 0;
  ip.frag_proto = ip.ip_proto;
  ip.frag_id = be16(h, 4);

  const ap_uint<16> total = be16(h, 2);
  if (total == 0) {
    // Segmentation offload (TSO/BIG TCP) hands the NIC a super-frame whose length field is
    // left 0: the frame (or the PPPoE payload) bounds the datagram.
    out.ip_len_known = false;
    out.ip_end = in.l3_limit;
  } else if (total < hlen) {
    v.malformed = true;
    v.stop = true;
    return;
  } else {
    // Keep parsing a datagram that claims more bytes than it has: its ports still keep the
    // session together, and the verdict says it is broken.
    out.ip_len_known = true;
    out.ip_end = Length(o) + total;
    check_end(out.ip_end, in.l3_limit, v);
  }
  if (!need(Length(o) + hlen, in.h.avail, in.h.more, v)) return;
  if (ip.frag_later) {  // later fragments carry no transport header
    v.stop = true;
    return;
  }
  out.l4_follows = true;
  out.l4_off = Length(o) + hlen;
}

void parse_ipv6(const EthItem& in, IpItem& out) {
#pragma HLS INLINE
  ParseVerdict& v = out.v;
  const Offset o = in.l3_off;
  const ap_uint<8 * 40> h = layer_view<40>(in.h.win, o);
  if (!need(Length(o) + 1, in.h.avail, in.h.more, v)) return;
  if (byte_at(h, 0).range(7, 4) != 6) {
    v.malformed = true;
    v.stop = true;
    return;
  }
  // Field by field, so a header cut short keeps what it does carry.
  IpFields& ip = out.ip;
  if (!need(Length(o) + 7, in.h.avail, in.h.more, v)) return;
  ip.version = 6;
  ip.ip_proto = byte_at(h, 6);
  ip.l4_proto = ip.ip_proto;
  if (!need(Length(o) + 24, in.h.avail, in.h.more, v)) return;
  ip.src_ip = bytes_at<16>(h, 8);
  if (!need(Length(o) + 40, in.h.avail, in.h.more, v)) return;
  ip.dst_ip = bytes_at<16>(h, 24);
  const ap_uint<16> payload_len = be16(h, 4);

  // Extension headers: word index m (8 bytes) from the end of the fixed header. A header's
  // own fields are read when its first bytes are there; its declared length only places the
  // next header, and must fit in the frame (settled with the frame's length).
  const Offset base = o + 40;
  const ap_uint<8 * 8 * kIp6PayloadWords> p6 = layer_view<8 * kIp6PayloadWords>(in.h.win, base);
  ap_uint<8> nh = ip.ip_proto;
  ap_uint<12> m = 0;
  bool walking = true;
  bool jumbo = false;
  ap_uint<32> jumbo_len = 0;
ext_headers:
  for (int k = 0; k < kIp6ExtHeaders; ++k) {
#pragma HLS UNROLL
    if (walking && !v.stop && is_ip6_ext(nh)) {
      const Length start = Length(base) + (Length(m) << 3);
      if (need(start + 2, in.h.avail, in.h.more, v)) {
        ap_uint<64> word = 0;
      pick_word:
        for (int i = 0; i < kIp6PayloadWords; ++i) {
#pragma HLS UNROLL
          if (m == i) word = p6.range(64 * i + 63, 64 * i);
        }
        ap_uint<9> len8 = 1;  // header length in 8-byte units
        bool ok = true;
        if (nh == kProtoFragment) {
          // The whole 8-byte header, so the datagram's identity is never half read.
          ok = need(start + 8, in.h.avail, in.h.more, v);
          if (ok) {
            const ap_uint<16> fo = be16(word, 2);
            const bool more = fo[0];
            const ap_uint<13> offset = fo.range(15, 3);
            // An atomic fragment (offset 0, M clear) is a whole datagram: not a fragment.
            if (more || offset != 0) ip.fragment = true;
            ip.frag_later = offset != 0;
            ip.frag_proto = byte_at(word, 0);
            ip.frag_id = be32(word, 4);
          }
        } else {
          len8 = ap_uint<9>(byte_at(word, 1)) + 1;
          // RFC 2675 Jumbo Payload: the real length of a datagram whose payload length is 0,
          // as the hop-by-hop header's first option (type 0xC2, length 4), where BIG TCP and
          // RFC 2675 put it. Padding before it is not skipped.
          if (k == 0 && nh == kProtoHopByHop && byte_at(word, 2) == 0xC2 && byte_at(word, 3) == 4 &&
              start + 8 <= in.h.avail) {
            jumbo = true;
            jumbo_len = be32(word, 4);
          }
        }
        if (ok) {
          v.need_len = max_len(v.need_len, start + (Length(len8) << 3));
          nh = byte_at(word, 0);
          ip.l4_proto = nh;
          m += len8;
          if (ip.frag_later) walking = false;
        }
      }
    }
  }
  if (v.stop) return;
  const Length next = Length(base) + (Length(m) << 3);

  if (payload_len == 0) {
    if (jumbo) {
      out.ip_len_known = true;
      out.ip_end = saturate(ap_uint<34>(base) + jumbo_len);
      check_end(out.ip_end, in.l3_limit, v);
      if (jumbo_len < 8) v.malformed = true;
    } else {
      // A zero payload length without a jumbo option: the lengths disagree.
      v.malformed = true;
      out.ip_len_known = false;
      out.ip_end = in.l3_limit;
    }
  } else {
    out.ip_len_known = true;
    out.ip_end = Length(base) + payload_len;
    check_end(out.ip_end, in.l3_limit, v);
  }
  if (out.ip_len_known && next > out.ip_end) {
    v.malformed = true;
    v.stop = true;
    return;
  }
  if (ip.frag_later) {
    v.stop = true;
    return;
  }
  if (is_ip6_ext(nh)) {  // still extension headers after kIp6ExtHeaders of them
    v.depth = true;
    v.stop = true;
    return;
  }
  out.l4_follows = true;
  out.l4_off = next;
}

}  // namespace

IpItem parse_ip(const EthItem& in) {
#pragma HLS INLINE
  IpItem out;
  out.h = in.h;
  out.eth = in.eth;
  clear_ip(out.ip);
  out.l4_follows = false;
  out.l4_off = 0;
  out.ip_len_known = false;
  out.ip_end = 0;
  out.v = in.v;
  if (in.v.stop) return out;
  if (in.l3 == kL3Ipv4) {
    parse_ipv4(in, out);
  } else if (in.l3 == kL3Ipv6) {
    parse_ipv6(in, out);
  }
  return out;
}

void parse_ip_task(hls::stream<EthItem>& in, hls::stream<IpItem>& out) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  out.write(parse_ip(in.read()));
}

}  // namespace core
}  // namespace broker
