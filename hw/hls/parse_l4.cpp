// Parser layer 3: the outer transport header (TCP, UDP, SCTP ports) and GTPv1-U (UDP port
// 2152) up to the start of its payload (DESIGN.md "Packet semantics"). One shift to the
// transport header, which also holds GTP's fixed 12 bytes; GTP extension headers start at
// multiples of 4 bytes from the GTP header, so each is read from a word array.
#include "parse_common.h"
#include "tasks.h"

namespace broker {
namespace core {
using namespace parse;

namespace {

const int kL4ViewBytes = 8 + 12;                      // UDP header + GTP's fixed part
const int kGtpWords = (kParseBytes - 14 - 20 - 8) / 4;  // 4-byte words after the shortest UDP

void clear_l4(L4Fields& l4) {
  l4.has_l4 = false;
  l4.src_port = 0;
  l4.dst_port = 0;
  l4.has_gtp = false;
  l4.gtp_msgtype = 0;
  l4.gtp_teid = 0;
}

// GTPv1-U at g (the UDP payload). udp_end: the datagram's end per the UDP length, or 0 when
// the UDP length cannot be checked (a first fragment: the rest of the datagram is elsewhere).
void parse_gtp(const IpItem& in, const Length& g, const ap_uint<8 * kL4ViewBytes>& h,
               const Length& udp_end, L4Item& out) {
#pragma HLS INLINE
  ParseVerdict& v = out.v;
  // An empty payload or a version/PT other than GTPv1 is simply not GTP (tshark agrees):
  // port 2152 alone does not make a packet GTP.
  if (g >= in.h.avail) {
    // The UDP header ended exactly at the window's end of a longer frame.
    if (in.h.more) v.depth = true;
    v.stop = true;
    return;
  }
  const ap_uint<8> flags = byte_at(h, 8);
  if (flags.range(7, 5) != 1 || !flags[4]) {
    v.stop = true;
    return;
  }
  if (!need(g + 8, in.h.avail, in.h.more, v)) return;
  L4Fields& l4 = out.l4;
  l4.has_gtp = true;
  l4.gtp_msgtype = byte_at(h, 9);
  l4.gtp_teid = be32(h, 12);
  const ap_uint<16> gtp_len = be16(h, 10);  // bytes after the mandatory 8-byte header
  const Length gtp_end = g + 8 + gtp_len;
  const bool check_len = udp_end != 0;
  if (check_len && gtp_end > udp_end) v.malformed = true;

  // p: words of 4 bytes from g.
  ap_uint<10> p = 2;
  if (flags.range(2, 0) != 0) {
    // Any of E/S/PN present: the 4-byte sequence/N-PDU/next-extension block is there.
    if (!need(g + 12, in.h.avail, in.h.more, v)) return;
    if (gtp_len < 4) {
      v.malformed = true;
      v.stop = true;
      return;
    }
    ap_uint<8> next_ext = flags[2] ? byte_at(h, 19) : ap_uint<8>(0);
    p = 3;
    const ap_uint<32 * kGtpWords> x = layer_view<4 * kGtpWords>(in.h.win, g);
  gtp_ext:
    for (int i = 0; i < kGtpExtHeaders; ++i) {
#pragma HLS UNROLL
      if (!v.stop && next_ext != 0) {
        const Length start = g + (Length(p) << 2);
        if (need(start + 1, in.h.avail, in.h.more, v)) {
          ap_uint<32> first = 0;
        pick_first:
          for (int j = 0; j < kGtpWords; ++j) {
#pragma HLS UNROLL
            if (p == j) first = x.range(32 * j + 31, 32 * j);
          }
          const ap_uint<8> len4 = byte_at(first, 0);  // length in 4-byte units
          if (len4 == 0) {
            v.malformed = true;
            v.stop = true;
          } else if (need(start + (Length(len4) << 2), in.h.avail, in.h.more, v)) {
            const ap_uint<10> last_word = p + len4 - 1;
            ap_uint<32> last = 0;
          pick_last:
            for (int j = 0; j < kGtpWords; ++j) {
#pragma HLS UNROLL
              if (last_word == j) last = x.range(32 * j + 31, 32 * j);
            }
            next_ext = byte_at(last, 3);
            p += len4;
          }
        }
      }
    }
    if (v.stop) return;
    if (next_ext != 0) {
      v.depth = true;
      v.stop = true;
      return;
    }
  }
  const Length payload = g + (Length(p) << 2);
  if (check_len && payload > gtp_end) {
    v.malformed = true;
    v.stop = true;
    return;
  }
  if (l4.gtp_msgtype != kGtpGpdu || (check_len && payload >= gtp_end)) {
    v.stop = true;  // not a G-PDU, or one without payload
    return;
  }
  if (!need(payload + 1, in.h.avail, in.h.more, v)) return;
  out.inner_follows = true;
  out.inner_off = payload;
  out.gtp_end = check_len ? gtp_end : Length(0);
}

}  // namespace

L4Item parse_l4(const IpItem& in) {
#pragma HLS INLINE
  L4Item out;
  out.h = in.h;
  out.eth = in.eth;
  out.ip = in.ip;
  clear_l4(out.l4);
  out.inner_follows = false;
  out.inner_off = 0;
  out.gtp_end = 0;
  out.v = in.v;
  ParseVerdict& v = out.v;
  if (v.stop || !in.l4_follows) return out;

  const ap_uint<8> proto = in.ip.l4_proto;
  if (!is_transport(proto)) {
    v.stop = true;
    return out;
  }
  const Length o = in.l4_off;
  // A header that starts exactly where the datagram ends is missing.
  if (in.ip_len_known && o >= in.ip_end) {
    v.malformed = true;
    v.stop = true;
    return out;
  }
  if (!need(o + 4, in.h.avail, in.h.more, v)) return out;
  const ap_uint<8 * kL4ViewBytes> h = layer_view<kL4ViewBytes>(in.h.win, o);
  L4Fields& l4 = out.l4;
  l4.has_l4 = true;
  l4.src_port = be16(h, 0);
  l4.dst_port = be16(h, 2);
  // Where the datagram ends as far as the headers say (0: at the frame's end).
  const Length ip_end = in.ip_end;
  if (proto == kProtoTcp) {
    if (!need(o + 13, in.h.avail, in.h.more, v)) return out;
    const ap_uint<7> doff = ap_uint<7>(byte_at(h, 12).range(7, 4)) * 4;
    if (doff < 20) v.malformed = true;
    check_end(o + doff, ip_end, v);
    v.stop = true;
  } else if (proto == kProtoSctp) {
    check_end(o + 12, ip_end, v);
    v.stop = true;
  } else {
    if (!need(o + 8, in.h.avail, in.h.more, v)) return out;
    const ap_uint<16> ulen = be16(h, 4);
    // A first fragment carries only the start of the datagram the UDP length describes.
    Length udp_end = 0;
    if (!in.ip.fragment) {
      // A shorter UDP length is legal (the IP payload may carry padding); a longer one lies.
      if (ulen < 8 || (ip_end != 0 && o + ulen > ip_end)) {
        v.malformed = true;
      } else {
        udp_end = o + ulen;
        v.need_len = max_len(v.need_len, udp_end);
      }
    }
    if (l4.src_port == kGtpUPort || l4.dst_port == kGtpUPort) {
      // Without a usable UDP length (first fragment, or a lying one already flagged) GTP's
      // own length has nothing to be checked against.
      parse_gtp(in, o + 8, h, udp_end, out);
    } else {
      v.stop = true;
    }
  }
  return out;
}

void parse_l4_task(hls::stream<IpItem>& in, hls::stream<L4Item>& out) {
#pragma HLS PIPELINE II = 1
  if (in.empty() || out.full()) return;
  out.write(parse_l4(in.read()));
}

}  // namespace core
}  // namespace broker
