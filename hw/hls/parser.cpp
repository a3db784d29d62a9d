// Frame parser (DESIGN.md "Packet semantics", normative). Synthesizable subset: every loop has
// a constant bound, no heap, no recursion. Header offsets are data dependent, so every byte goes
// through rd8(), which yields 0 outside the window instead of reading out of bounds; whether a
// header is really there is decided by need(), which tells a frame that ends (malformed) from
// a header chain that merely leaves the 256-byte window (depth_exceeded).
#include "parser.h"

namespace broker {
namespace core {
namespace {

constexpr int kVlanScan = 4;    // tags walked; only the first kMaxVlanTags are recorded
constexpr int kMplsScan = 16;   // labels walked looking for bottom-of-stack
constexpr int kIp6ExtScan = 8;  // IPv6 extension headers walked
constexpr int kHbhOptScan = 8;  // hop-by-hop options inspected for the jumbo payload option
constexpr int kGtpExtScan = 4;  // GTP extension headers walked

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86DD;
constexpr uint16_t kEthMplsUc = 0x8847;
constexpr uint16_t kEthMplsMc = 0x8848;
constexpr uint16_t kEthPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;
constexpr uint8_t kProtoHopByHop = 0;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoRouting = 43;
constexpr uint8_t kProtoFragment = 44;
constexpr uint8_t kProtoDstOpts = 60;
constexpr uint8_t kProtoSctp = 132;
constexpr uint16_t kGtpUPort = 2152;
constexpr uint8_t kGtpGpdu = 0xFF;

// How much of hdr is the frame. hdr itself travels as an array parameter (not a pointer in
// a struct), which is what HLS maps cleanly onto the header registers.
struct Window {
  uint32_t avail;  // bytes of hdr that belong to the frame: min(frame_len, kParseBytes)
  uint32_t frame_len;
};

inline uint8_t rd8(const uint8_t hdr[kParseBytes], const Window& w, uint32_t off) {
  return off < w.avail ? hdr[off] : 0;
}
inline uint16_t rd16(const uint8_t hdr[kParseBytes], const Window& w, uint32_t off) {
  return uint16_t((rd8(hdr, w, off) << 8) | rd8(hdr, w, off + 1));
}
inline uint32_t rd32(const uint8_t hdr[kParseBytes], const Window& w, uint32_t off) {
  return (uint32_t(rd16(hdr, w, off)) << 16) | rd16(hdr, w, off + 2);
}

// True when bytes [off, off+n) are inside the frame and the parse window. Otherwise flags why
// not: the frame ends first (malformed) or the window does (depth_exceeded).
inline bool need(const Window& w, uint32_t off, uint32_t n, PacketFields& out) {
  if (off + n > w.frame_len) {
    out.malformed = true;
    return false;
  }
  if (off + n > uint32_t(kParseBytes)) {
    out.depth_exceeded = true;
    return false;
  }
  return true;
}

inline void copy_bytes(uint8_t* dst, const uint8_t hdr[kParseBytes], const Window& w, uint32_t off,
                       int n) {
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    if (i < n) dst[i] = rd8(hdr, w, off + uint32_t(i));
  }
}

// IPv4 addresses sit in the last 4 bytes of the 16-byte slot (same layout as the hash key).
inline void copy_ip(uint8_t dst[16], const uint8_t hdr[kParseBytes], const Window& w, uint32_t off,
                    bool v6) {
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    if (v6)
      dst[i] = rd8(hdr, w, off + uint32_t(i));
    else
      dst[i] = i < 12 ? 0 : rd8(hdr, w, off + uint32_t(i - 12));
  }
}

void clear(PacketFields& out) {
#pragma HLS INLINE
  for (int i = 0; i < 6; ++i) {
#pragma HLS UNROLL
    out.dst_mac[i] = 0;
    out.src_mac[i] = 0;
  }
  out.ethertype = 0;
  out.vlan_count = 0;
  for (int i = 0; i < kMaxVlanTags; ++i) {
#pragma HLS UNROLL
    out.vlan_ids[i] = 0;
  }
  out.mpls_count = 0;
  for (int i = 0; i < kMaxMplsLabels; ++i) {
#pragma HLS UNROLL
    out.mpls_labels[i] = 0;
  }
  out.ip_version = 0;
  out.ip_proto = 0;
  out.l4_proto = 0;
  for (int i = 0; i < 16; ++i) {
#pragma HLS UNROLL
    out.src_ip[i] = 0;
    out.dst_ip[i] = 0;
    out.gtp_inner_src[i] = 0;
    out.gtp_inner_dst[i] = 0;
  }
  out.fragment = false;
  out.has_l4 = false;
  out.src_port = 0;
  out.dst_port = 0;
  out.has_gtp = false;
  out.gtp_msgtype = 0;
  out.gtp_teid = 0;
  out.gtp_inner_version = 0;
  out.malformed = false;
  out.depth_exceeded = false;
}

inline bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88A8 || t == 0x9100; }
inline bool is_ip6_ext(uint8_t nh) {
  return nh == kProtoHopByHop || nh == kProtoRouting || nh == kProtoFragment || nh == kProtoDstOpts;
}
inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

// Where the outer IP stage leaves the transport header.
struct L3Result {
  bool l4_follows;  // a transport header may start at l4_off
  uint32_t l4_off;
  uint32_t ip_end;  // end of the IP datagram as declared (frame end for TSO/jumbo/lying lengths)
  bool len_known;   // ip_end comes from a length field, so transport lengths can be checked
};

// limit: where the IP datagram must end at the latest: the frame's end, or the end of the
// PPPoE payload that carries it.
L3Result parse_ipv4(const uint8_t hdr[kParseBytes], const Window& w, uint32_t o, uint32_t limit,
                    PacketFields& out) {
#pragma HLS INLINE
  L3Result r{false, 0, 0, false};
  if (!need(w, o, 1, out)) return r;
  const uint8_t vihl = rd8(hdr, w, o);
  const uint32_t hlen = uint32_t(vihl & 0x0F) * 4;
  if ((vihl >> 4) != 4 || hlen < 20) {
    out.malformed = true;
    return r;
  }
  // The fixed header carries every field we record; options only move the transport header.
  if (!need(w, o, 20, out)) return r;
  out.ip_version = 4;
  out.ip_proto = rd8(hdr, w, o + 9);
  out.l4_proto = out.ip_proto;
  copy_ip(out.src_ip, hdr, w, o + 12, false);
  copy_ip(out.dst_ip, hdr, w, o + 16, false);
  const uint16_t flags_frag = rd16(hdr, w, o + 6);
  const bool more_frags = (flags_frag & 0x2000) != 0;
  const uint16_t frag_off = flags_frag & 0x1FFF;
  out.fragment = more_frags || frag_off != 0;

  const uint32_t total = rd16(hdr, w, o + 2);
  if (total == 0) {
    // Segmentation offload (TSO/BIG TCP) hands the NIC a super-frame whose length field is
    // left 0: the frame itself bounds the datagram.
    r.ip_end = limit;
    r.len_known = false;
  } else if (total < hlen) {
    out.malformed = true;
    return r;
  } else {
    r.ip_end = o + total;
    r.len_known = true;
    // Keep parsing a datagram that claims more bytes than the frame has: its ports still
    // keep the session together, and the verdict already says it is broken.
    if (r.ip_end > limit) out.malformed = true;
  }
  if (!need(w, o, hlen, out)) return r;
  if (frag_off != 0) return r;  // later fragments carry no transport header
  r.l4_follows = true;
  r.l4_off = o + hlen;
  return r;
}

L3Result parse_ipv6(const uint8_t hdr[kParseBytes], const Window& w, uint32_t o, uint32_t limit,
                    PacketFields& out) {
#pragma HLS INLINE
  L3Result r{false, 0, 0, false};
  if (!need(w, o, 1, out)) return r;
  if ((rd8(hdr, w, o) >> 4) != 6) {
    out.malformed = true;
    return r;
  }
  // Field by field, so a header cut short keeps what it does carry.
  if (!need(w, o, 7, out)) return r;
  out.ip_version = 6;
  out.ip_proto = rd8(hdr, w, o + 6);
  out.l4_proto = out.ip_proto;
  if (!need(w, o, 24, out)) return r;
  copy_ip(out.src_ip, hdr, w, o + 8, true);
  if (!need(w, o, 40, out)) return r;
  copy_ip(out.dst_ip, hdr, w, o + 24, true);

  const uint32_t payload_len = rd16(hdr, w, o + 4);
  uint32_t jumbo_len = 0;
  bool jumbo = false;
  uint8_t nh = out.ip_proto;
  uint32_t p = o + 40;
  bool later_fragment = false;
ext_headers:
  for (int i = 0; i < kIp6ExtScan; ++i) {
    if (!is_ip6_ext(nh) || later_fragment) break;
    if (!need(w, p, 2, out)) return r;
    uint32_t len = 8;
    if (nh == kProtoFragment) {
      if (!need(w, p, 4, out)) return r;
      const uint16_t fo = rd16(hdr, w, p + 2);
      const bool more = (fo & 1) != 0;
      const uint16_t offset = fo >> 3;
      // An atomic fragment (offset 0, M clear) is a whole datagram: not a fragment.
      if (more || offset != 0) out.fragment = true;
      later_fragment = offset != 0;
    } else {
      len = (uint32_t(rd8(hdr, w, p + 1)) + 1) * 8;
    }
    if (nh == kProtoHopByHop) {
      // RFC 2675 jumbo payload option (type 0xC2, 4 bytes): the real length of a datagram
      // whose fixed-header payload length is 0.
      uint32_t q = p + 2;
    hbh_options:
      for (int k = 0; k < kHbhOptScan; ++k) {
        if (q + 2 > p + len || q + 2 > w.avail) break;
        const uint8_t type = rd8(hdr, w, q);
        if (type == 0) {  // Pad1 has no length byte
          q += 1;
          continue;
        }
        const uint8_t olen = rd8(hdr, w, q + 1);
        if (type == 0xC2 && olen == 4 && q + 6 <= w.avail && q + 6 <= p + len) {
          jumbo = true;
          jumbo_len = rd32(hdr, w, q + 2);
        }
        q += 2 + olen;
      }
    }
    if (p + len > w.frame_len) {
      out.malformed = true;
      return r;
    }
    nh = rd8(hdr, w, p);
    out.l4_proto = nh;
    p += len;
  }

  if (payload_len == 0) {
    if (jumbo) {
      r.ip_end = o + 40 + jumbo_len;
      r.len_known = true;
      if (r.ip_end > limit || jumbo_len < 8) out.malformed = true;
    } else {
      // Like IPv4 total length 0: offloaded super-frames (BIG TCP without the jumbo option)
      // are bounded by the frame.
      r.ip_end = limit;
      r.len_known = false;
    }
  } else {
    r.ip_end = o + 40 + payload_len;
    r.len_known = true;
    if (r.ip_end > limit) out.malformed = true;
  }
  if (r.len_known && p > r.ip_end) {
    out.malformed = true;
    return r;
  }
  if (later_fragment) return r;
  if (is_ip6_ext(nh)) {
    // Still extension headers after kIp6ExtScan of them: give up like at the window edge.
    out.depth_exceeded = true;
    return r;
  }
  r.l4_follows = true;
  r.l4_off = p;
  return r;
}

// Inner IP header of a G-PDU: only its addresses are recorded, its length is checked against
// the GTP payload (gtp_end 0: unknown, the outer datagram is a first fragment).
void parse_gtp_inner(const uint8_t hdr[kParseBytes], const Window& w, uint32_t o, uint32_t gtp_end,
                     PacketFields& out) {
#pragma HLS INLINE
  const uint8_t version = rd8(hdr, w, o) >> 4;
  uint32_t declared_end = 0;  // 0: no length to check (offload-style 0 lengths included)
  if (version == 4) {
    const uint32_t hlen = uint32_t(rd8(hdr, w, o) & 0x0F) * 4;
    if (hlen < 20) {
      out.malformed = true;
      return;
    }
    if (!need(w, o, 20, out)) return;
    out.gtp_inner_version = 4;
    copy_ip(out.gtp_inner_src, hdr, w, o + 12, false);
    copy_ip(out.gtp_inner_dst, hdr, w, o + 16, false);
    const uint32_t total = rd16(hdr, w, o + 2);
    if (total != 0 && total < hlen) out.malformed = true;
    if (total != 0) declared_end = o + total;
  } else if (version == 6) {
    if (!need(w, o, 24, out)) return;
    out.gtp_inner_version = 6;
    copy_ip(out.gtp_inner_src, hdr, w, o + 8, true);
    if (!need(w, o, 40, out)) return;
    copy_ip(out.gtp_inner_dst, hdr, w, o + 24, true);
    const uint32_t payload_len = rd16(hdr, w, o + 4);
    if (payload_len != 0) declared_end = o + 40 + payload_len;
  }
  if (gtp_end != 0 && declared_end > gtp_end) out.malformed = true;
}

// GTPv1-U at g (the UDP payload). udp_end is the datagram end per the UDP length, or 0 when
// the UDP length cannot be checked (first fragment: the rest of the datagram is elsewhere).
void parse_gtp(const uint8_t hdr[kParseBytes], const Window& w, uint32_t g, uint32_t udp_end,
               PacketFields& out) {
#pragma HLS INLINE
  // An empty payload or a version/PT other than GTPv1 is simply not GTP (tshark agrees):
  // port 2152 alone does not make a packet GTP.
  if (g >= w.frame_len || g >= uint32_t(kParseBytes)) {
    if (g < w.frame_len) out.depth_exceeded = true;
    return;
  }
  const uint8_t flags = rd8(hdr, w, g);
  if ((flags >> 5) != 1 || (flags & 0x10) == 0) return;
  if (!need(w, g, 8, out)) return;
  out.has_gtp = true;
  out.gtp_msgtype = rd8(hdr, w, g + 1);
  out.gtp_teid = rd32(hdr, w, g + 4);
  const uint32_t gtp_len = rd16(hdr, w, g + 2);  // bytes after the mandatory 8-byte header
  const uint32_t gtp_end = g + 8 + gtp_len;
  const bool check_len = udp_end != 0;
  if (check_len && gtp_end > udp_end) out.malformed = true;

  uint32_t p = g + 8;
  if (flags & 0x07) {
    // Any of E/S/PN present: the 4-byte sequence/N-PDU/next-extension block is there.
    if (!need(w, g, 12, out)) return;
    if (gtp_len < 4) {
      out.malformed = true;
      return;
    }
    uint8_t next_ext = (flags & 0x04) ? rd8(hdr, w, g + 11) : 0;
    p = g + 12;
  gtp_ext:
    for (int i = 0; i < kGtpExtScan; ++i) {
      if (next_ext == 0) break;
      if (!need(w, p, 1, out)) return;
      const uint32_t len = uint32_t(rd8(hdr, w, p)) * 4;
      if (len == 0) {
        out.malformed = true;
        return;
      }
      if (!need(w, p, len, out)) return;
      next_ext = rd8(hdr, w, p + len - 1);
      p += len;
    }
    if (next_ext != 0) {
      out.depth_exceeded = true;
      return;
    }
  }
  if (check_len && p > gtp_end) {
    out.malformed = true;
    return;
  }
  if (out.gtp_msgtype != kGtpGpdu) return;
  if (check_len && p >= gtp_end) return;  // a G-PDU without payload
  if (!need(w, p, 1, out)) return;
  parse_gtp_inner(hdr, w, p, check_len ? gtp_end : 0, out);
}

void parse_l4(const uint8_t hdr[kParseBytes], const Window& w, const L3Result& l3,
              PacketFields& out) {
#pragma HLS INLINE
  const uint32_t o = l3.l4_off;
  const uint8_t proto = out.l4_proto;
  if (proto != kProtoTcp && proto != kProtoUdp && proto != kProtoSctp) return;
  // A header that starts exactly where the datagram ends is missing.
  if (l3.len_known && o >= l3.ip_end) {
    out.malformed = true;
    return;
  }
  if (!need(w, o, 4, out)) return;
  out.has_l4 = true;
  out.src_port = rd16(hdr, w, o);
  out.dst_port = rd16(hdr, w, o + 2);
  // The datagram's real end: its declared length, unless the frame stops earlier.
  const uint32_t end = min_u32(l3.ip_end, w.frame_len);
  if (proto == kProtoTcp) {
    if (!need(w, o, 13, out)) return;
    const uint32_t doff = uint32_t(rd8(hdr, w, o + 12) >> 4) * 4;
    if (doff < 20 || o + doff > end) out.malformed = true;
  } else if (proto == kProtoSctp) {
    if (o + 12 > end) out.malformed = true;
  } else {
    if (!need(w, o, 8, out)) return;
    const uint32_t ulen = rd16(hdr, w, o + 4);
    // A first fragment carries only the start of the datagram the UDP length describes.
    const bool whole = !out.fragment;
    uint32_t udp_end = 0;
    if (whole) {
      // Checked against the IP length as declared (or the frame for offloaded frames);
      // a shorter UDP length is legal (the IP payload may carry padding).
      if (ulen < 8 || o + ulen > l3.ip_end) {
        out.malformed = true;
      } else {
        udp_end = o + ulen;
      }
    }
    if (out.src_port == kGtpUPort || out.dst_port == kGtpUPort) {
      // Without a usable UDP length (first fragment, or a lying one already flagged) GTP's
      // own length has nothing to be checked against.
      parse_gtp(hdr, w, o + 8, udp_end, out);
    }
  }
}

}  // namespace

void parse_frame(const uint8_t hdr[kParseBytes], uint32_t frame_len, PacketFields& out) {
  clear(out);
  const Window w{frame_len < uint32_t(kParseBytes) ? frame_len : uint32_t(kParseBytes), frame_len};

  // Ethernet II, field by field so a cut header keeps its MACs.
  if (!need(w, 0, 6, out)) return;
  copy_bytes(out.dst_mac, hdr, w, 0, 6);
  if (!need(w, 6, 6, out)) return;
  copy_bytes(out.src_mac, hdr, w, 6, 6);
  if (!need(w, 12, 2, out)) return;
  uint32_t type_off = 12;
  uint16_t etype = rd16(hdr, w, type_off);

vlan_tags:
  for (int i = 0; i < kVlanScan; ++i) {
    if (!is_vlan_tpid(etype)) break;
    // A TPID with no tag after it leaves the EtherType unknown (0), like a cut tag below.
    if (!need(w, type_off + 2, 2, out)) return;
    if (i < kMaxVlanTags) {
      out.vlan_ids[i] = rd16(hdr, w, type_off + 2) & 0x0FFF;
      out.vlan_count = uint8_t(i + 1);
    }
    // A tag with nothing behind it (the frame ends after the TCI) is a tag at the end.
    if (!need(w, type_off + 4, 2, out)) return;
    type_off += 4;
    etype = rd16(hdr, w, type_off);
  }
  // Below 0x0600 the field is an 802.3 length: LLC follows, which we do not parse.
  out.ethertype = etype < 0x0600 ? 0 : etype;
  if (is_vlan_tpid(etype)) {
    out.depth_exceeded = true;
    return;
  }
  uint32_t p = type_off + 2;  // the payload of the last EtherType

  uint16_t l3_type = etype;
  uint32_t l3_limit = w.frame_len;
  if (etype == kEthMplsUc || etype == kEthMplsMc) {
    bool bottom = false;
  mpls_stack:
    for (int i = 0; i < kMplsScan; ++i) {
      if (bottom) break;
      if (!need(w, p, 4, out)) return;
      const uint32_t lse = rd32(hdr, w, p);
      if (i < kMaxMplsLabels) {
        out.mpls_labels[i] = lse >> 12;
        out.mpls_count = uint8_t(i + 1);
      }
      bottom = (lse & 0x100) != 0;
      p += 4;
    }
    if (!bottom) {
      out.depth_exceeded = true;
      return;
    }
    // MPLS does not say what it carries; DESIGN.md guesses IP from the first nibble.
    // Anything else (pseudowire control word, Ethernet PW) ends the parse.
    if (!need(w, p, 1, out)) return;
    const uint8_t nibble = rd8(hdr, w, p) >> 4;
    l3_type = nibble == 4 ? kEthIpv4 : nibble == 6 ? kEthIpv6 : 0;
  } else if (etype == kEthPppoeSession) {
    // PPPoE session header (ver/type 0x11, code 0) then the PPP protocol field.
    if (!need(w, p, 8, out)) return;
    if (rd8(hdr, w, p) != 0x11 || rd8(hdr, w, p + 1) != 0x00) return;
    const uint32_t pppoe_len = rd16(hdr, w, p + 4);  // PPP protocol + payload
    if (pppoe_len < 2) {
      out.malformed = true;
      return;
    }
    if (p + 6 + pppoe_len > w.frame_len)
      out.malformed = true;
    else
      l3_limit = p + 6 + pppoe_len;  // an IP datagram longer than this lies about its length
    const uint16_t ppp = rd16(hdr, w, p + 6);
    l3_type = ppp == kPppIpv4 ? kEthIpv4 : ppp == kPppIpv6 ? kEthIpv6 : 0;
    p += 8;
  }

  L3Result l3{false, 0, 0, false};
  if (l3_type == kEthIpv4) {
    l3 = parse_ipv4(hdr, w, p, l3_limit, out);
  } else if (l3_type == kEthIpv6) {
    l3 = parse_ipv6(hdr, w, p, l3_limit, out);
  } else {
    return;
  }
  if (!l3.l4_follows) return;
  parse_l4(hdr, w, l3, out);
}

}  // namespace core
}  // namespace broker
