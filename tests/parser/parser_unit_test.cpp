// The parser on hand-built frames: the edge cases real captures rarely hold (cuts at every
// byte, lying lengths, stacks that never end, chains past the parse window).
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "native/frame_api.h"

namespace {

using broker::core::kMplsLabels;
using broker::core::kParseBytes;
using broker::core::kVlanTags;
using broker::core::PacketFields;
using Bytes = std::vector<uint8_t>;

// ---- frame building -------------------------------------------------------------------

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
void put16(Bytes& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
Bytes be16(uint16_t v) { return {uint8_t(v >> 8), uint8_t(v)}; }
Bytes be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
Bytes fill(size_t n, uint8_t v = 0x5A) { return Bytes(n, v); }

const Bytes kDstMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const Bytes kSrcMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const Bytes kIp4A = {10, 0, 0, 1}, kIp4B = {192, 168, 1, 2};
const Bytes kIp6A = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const Bytes kIp6B = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};

Bytes eth(uint16_t type) { return cat({kDstMac, kSrcMac, be16(type)}); }
Bytes tag(uint16_t tpid_after_tag_is_next, uint16_t vid) {
  // A tag as it follows a TPID: TCI, then the next EtherType/TPID.
  return cat({be16(vid), be16(tpid_after_tag_is_next)});
}

Bytes ipv4(uint8_t proto, const Bytes& payload, uint16_t frag = 0, const Bytes& options = {},
           const Bytes& src = kIp4A, const Bytes& dst = kIp4B) {
  Bytes h = cat({{uint8_t(0x40 | ((20 + options.size()) / 4)), 0},
                 be16(0),
                 be16(0x1234),
                 be16(frag),
                 {64, proto},
                 be16(0),
                 src,
                 dst,
                 options});
  put16(h, 2, uint32_t(h.size() + payload.size()));
  return cat({h, payload});
}
Bytes ipv6(uint8_t nh, const Bytes& payload, const Bytes& src = kIp6A, const Bytes& dst = kIp6B) {
  return cat({{0x60, 0, 0, 0}, be16(uint16_t(payload.size())), {nh, 64}, src, dst, payload});
}
// An IPv6 extension header (not fragment) of len8 * 8 bytes.
Bytes ext(uint8_t nh, int len8 = 1) {
  Bytes h = fill(size_t(len8) * 8, 0);
  h[0] = nh;
  h[1] = uint8_t(len8 - 1);
  if (len8 * 8 > 2) h[2] = 1, h[3] = uint8_t(len8 * 8 - 4);  // one PadN option filling it
  return h;
}
Bytes frag6(uint8_t nh, uint16_t offset8, bool more) {
  return cat({{nh, 0}, be16(uint16_t(offset8 << 3 | (more ? 1 : 0))), be32(0xABCD)});
}
Bytes udp(uint16_t sp, uint16_t dp, const Bytes& payload) {
  return cat({be16(sp), be16(dp), be16(uint16_t(8 + payload.size())), be16(0), payload});
}
Bytes tcp(uint16_t sp, uint16_t dp, const Bytes& payload = {}) {
  return cat(
      {be16(sp), be16(dp), be32(1), be32(0), {0x50, 0x10}, be16(1024), be16(0), be16(0), payload});
}
Bytes sctp(uint16_t sp, uint16_t dp) { return cat({be16(sp), be16(dp), be32(7), be32(0)}); }
// GTPv1-U; with_opt adds the sequence/N-PDU/next-type block, exts are whole extension headers.
Bytes gtp(uint32_t teid, uint8_t msg, const Bytes& payload, bool with_opt = false,
          const Bytes& exts = {}, uint8_t first_ext = 0) {
  Bytes opt;
  uint8_t flags = 0x30;
  if (with_opt || !exts.empty()) {
    flags |= 0x02 | (exts.empty() ? 0 : 0x04);
    opt = cat({be16(0x0101), {0, first_ext}});
  }
  const size_t len = opt.size() + exts.size() + payload.size();
  return cat({{flags, msg}, be16(uint16_t(len)), be32(teid), opt, exts, payload});
}

PacketFields parse(const Bytes& frame, size_t len = SIZE_MAX, uint8_t garbage = 0) {
  if (len == SIZE_MAX) len = frame.size();
  // Exactly kParseBytes, bytes past the frame set to garbage: the result must not depend on it.
  std::vector<uint8_t> hdr(kParseBytes, garbage);
  std::memcpy(hdr.data(), frame.data(), std::min<size_t>({len, frame.size(), size_t(kParseBytes)}));
  PacketFields f;
  std::memset(&f, 0xEE, sizeof f);  // every field must be written
  broker::core::parse_frame(hdr.data(), uint32_t(len), f);
  return f;
}

bool same(const PacketFields& a, const PacketFields& b) {
  return !std::memcmp(a.dst_mac, b.dst_mac, 6) && !std::memcmp(a.src_mac, b.src_mac, 6) &&
         a.ethertype == b.ethertype && a.vlan_count == b.vlan_count && a.vlan == b.vlan &&
         a.has_mpls == b.has_mpls && a.mpls == b.mpls && a.ip_version == b.ip_version &&
         a.ip_proto == b.ip_proto && a.l4_proto == b.l4_proto &&
         !std::memcmp(a.src_ip, b.src_ip, 16) && !std::memcmp(a.dst_ip, b.dst_ip, 16) &&
         a.fragment == b.fragment && a.frag_later == b.frag_later && a.frag_proto == b.frag_proto &&
         a.frag_id == b.frag_id && a.has_l4 == b.has_l4 && a.src_port == b.src_port &&
         a.dst_port == b.dst_port && a.has_gtp == b.has_gtp && a.gtp_msgtype == b.gtp_msgtype &&
         a.gtp_teid == b.gtp_teid && a.gtp_inner_version == b.gtp_inner_version &&
         !std::memcmp(a.gtp_inner_src, b.gtp_inner_src, 16) &&
         !std::memcmp(a.gtp_inner_dst, b.gtp_inner_dst, 16) && a.malformed == b.malformed &&
         a.depth_exceeded == b.depth_exceeded;
}

Bytes v4slot(const Bytes& a) { return cat({fill(12, 0), a}); }
Bytes arr(const uint8_t* p, size_t n) { return Bytes(p, p + n); }

// ---- well-formed frames -----------------------------------------------------------------

TEST(parser_unit, QinQIpv4Tcp) {
  const Bytes f =
      cat({eth(0x88A8), tag(0x8100, 100), tag(0x0800, 200), ipv4(6, tcp(1234, 80, fill(10)))});
  const auto p = parse(f);
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.depth_exceeded);
  EXPECT_EQ(arr(p.dst_mac, 6), kDstMac);
  EXPECT_EQ(arr(p.src_mac, 6), kSrcMac);
  EXPECT_EQ(p.ethertype, 0x0800);
  ASSERT_EQ(p.vlan_count, 2);
  EXPECT_EQ(p.vlan, 100) << "the outer tag's ID";
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.ip_proto, 6);
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(arr(p.src_ip, 16), v4slot(kIp4A));
  EXPECT_EQ(arr(p.dst_ip, 16), v4slot(kIp4B));
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.src_port, 1234);
  EXPECT_EQ(p.dst_port, 80);
  EXPECT_FALSE(p.fragment);
  EXPECT_FALSE(p.has_gtp);
}

// Rule changed (DESIGN.md: up to four VLAN tags are walked, the outer ID is kept): vlan_count
// is the number of tags walked, so three tags count 3 (before: 2, only two were recorded).
TEST(parser_unit, UpToFourVlanTagsWalkedOuterIdKept) {
  ASSERT_EQ(kVlanTags, 4);
  auto p = parse(cat({eth(0x88A8), tag(0x8100, 1), tag(0x9100, 2), tag(0x86DD, 3),
                      ipv6(17, udp(53, 53, fill(4)))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.depth_exceeded);
  EXPECT_EQ(p.vlan_count, 3);
  EXPECT_EQ(p.vlan, 1) << "only the outer ID is kept";
  EXPECT_EQ(p.ethertype, 0x86DD);
  EXPECT_EQ(p.src_port, 53);
  // Four tags: all walked, the IP header behind them parsed.
  p = parse(cat({eth(0x8100), tag(0x88A8, 0xABC), tag(0x9100, 2), tag(0x8100, 3), tag(0x0800, 4),
                 ipv4(6, tcp(1234, 80))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.depth_exceeded);
  EXPECT_EQ(p.vlan_count, 4);
  EXPECT_EQ(p.vlan, 0xABC);
  EXPECT_EQ(p.ethertype, 0x0800);
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.dst_port, 80);
  // A fifth TPID: more than the parser walks (depth exceeded, as the third was before).
  p = parse(cat({eth(0x8100), tag(0x8100, 7), tag(0x8100, 2), tag(0x8100, 3), tag(0x8100, 4),
                 tag(0x0800, 5), ipv4(6, tcp(1234, 80))}));
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.vlan_count, 4);
  EXPECT_EQ(p.vlan, 7);
  EXPECT_EQ(p.ip_version, 0);
  EXPECT_FALSE(p.has_l4);
}

TEST(parser_unit, VlanIdIsTwelveBits) {
  const auto p = parse(cat({eth(0x8100), tag(0x0806, 0xE123), fill(28)}));
  EXPECT_EQ(p.vlan_count, 1);
  EXPECT_EQ(p.vlan, 0x123);
  EXPECT_EQ(p.ethertype, 0x0806);
  EXPECT_EQ(p.ip_version, 0);
}

TEST(parser_unit, Llc8023HasNoEthertype) {
  const auto p = parse(cat({eth(46), {0xAA, 0xAA, 0x03}, fill(43)}));
  EXPECT_EQ(p.ethertype, 0);
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(arr(p.src_mac, 6), kSrcMac);
}

TEST(parser_unit, Ipv4OptionsAndSctp) {
  const auto p = parse(cat({eth(0x0800), ipv4(132, sctp(5000, 7), 0, {1, 1, 1, 0, 7, 3, 4, 0})}));
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.l4_proto, 132);
  EXPECT_EQ(p.src_port, 5000);
  EXPECT_EQ(p.dst_port, 7);
}

TEST(parser_unit, Ipv4Fragments) {
  const Bytes first = cat({eth(0x0800), ipv4(17, udp(1, 2, fill(100)), 0x2000)});
  auto p = parse(first);
  EXPECT_TRUE(p.fragment);
  EXPECT_FALSE(p.frag_later);
  EXPECT_TRUE(p.has_l4);  // a first fragment shows its ports (and they are in its key)
  EXPECT_EQ(p.src_port, 1);
  EXPECT_EQ(p.dst_port, 2);
  EXPECT_EQ(p.frag_proto, 17);
  EXPECT_EQ(p.frag_id, 0x1234u);
  EXPECT_FALSE(p.malformed) << "UDP length covers the whole datagram, not this fragment";
  // A later fragment whose payload looks like a UDP header: not read.
  p = parse(cat({eth(0x0800), ipv4(17, cat({udp(7, 2152, gtp(5, 0xFF, ipv4(6, tcp(1, 2)))), fill(16)}),
                                   0x0010)}));
  EXPECT_TRUE(p.fragment);
  EXPECT_TRUE(p.frag_later);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.src_port, 0);
  EXPECT_FALSE(p.has_gtp);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.frag_proto, 17);
  EXPECT_EQ(p.frag_id, 0x1234u);
  EXPECT_FALSE(p.malformed);
  // The last fragment (MF clear, offset != 0) is a later fragment too.
  p = parse(cat({eth(0x0800), ipv4(6, fill(64), 0x00B9)}));
  EXPECT_TRUE(p.fragment);
  EXPECT_TRUE(p.frag_later);
  EXPECT_EQ(p.frag_proto, 6);
  // Not a fragment: DF alone.
  p = parse(cat({eth(0x0800), ipv4(6, tcp(1, 2), 0x4000)}));
  EXPECT_FALSE(p.fragment);
  EXPECT_FALSE(p.frag_later);
  // Rule 1: a first fragment of a GTP-U datagram carries its TEID and inner addresses.
  const Bytes inner = ipv4(6, tcp(5555, 80, fill(400)), 0, {}, kIp4B, kIp4A);
  p = parse(cat({eth(0x0800), ipv4(17, udp(2152, 2152, gtp(0x01020304, 0xFF, inner)), 0x2000)}));
  EXPECT_TRUE(p.fragment);
  EXPECT_FALSE(p.frag_later);
  EXPECT_TRUE(p.has_gtp);
  EXPECT_EQ(p.gtp_teid, 0x01020304u);
  EXPECT_EQ(p.gtp_inner_version, 4);
  EXPECT_EQ(arr(p.gtp_inner_src, 16), v4slot(kIp4B));
  EXPECT_FALSE(p.malformed);
}

TEST(parser_unit, Ipv6ExtensionHeadersAndFragments) {
  // hop-by-hop, routing, destination options, then UDP
  auto p = parse(cat({eth(0x86DD), ipv6(0, cat({ext(43), ext(60, 2), ext(17), udp(9, 10, {})}))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.ip_proto, 0);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.src_port, 9);
  EXPECT_FALSE(p.fragment);
  // atomic fragment: offset 0, M clear
  p = parse(cat({eth(0x86DD), ipv6(44, cat({frag6(6, 0, false), tcp(7, 8)}))}));
  EXPECT_FALSE(p.fragment);
  EXPECT_FALSE(p.frag_later);
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.src_port, 7);
  // first fragment
  p = parse(cat({eth(0x86DD), ipv6(44, cat({frag6(17, 0, true), udp(7, 8, fill(8))}))}));
  EXPECT_TRUE(p.fragment);
  EXPECT_FALSE(p.frag_later);
  EXPECT_TRUE(p.has_l4);
  EXPECT_EQ(p.src_port, 7);
  EXPECT_EQ(p.frag_proto, 17);
  EXPECT_EQ(p.frag_id, 0xABCDu);
  // later fragment: no transport header, l4_proto from the fragment header
  p = parse(cat({eth(0x86DD), ipv6(44, cat({frag6(6, 100, false), tcp(7, 8), fill(20)}))}));
  EXPECT_TRUE(p.fragment);
  EXPECT_TRUE(p.frag_later);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.src_port, 0);
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.frag_proto, 6);
  EXPECT_EQ(p.frag_id, 0xABCDu);
  EXPECT_FALSE(p.malformed);
  // behind a hop-by-hop header: the identity's protocol is the fragment header's next header
  p = parse(cat({eth(0x86DD), ipv6(0, cat({ext(44), frag6(17, 0, true), udp(9, 10, fill(8))}))}));
  EXPECT_TRUE(p.fragment);
  EXPECT_EQ(p.ip_proto, 0);
  EXPECT_EQ(p.l4_proto, 17);
  EXPECT_EQ(p.frag_proto, 17);
  EXPECT_EQ(p.src_port, 9);
}

TEST(parser_unit, MplsStackToIp) {
  Bytes stack;
  for (int i = 0; i < 10; ++i)
    stack = cat({stack, be32(uint32_t(1000 + i) << 12 | (i == 9 ? 0x100 : 0) | 64)});
  const auto p = parse(cat({eth(0x8847), stack, ipv4(17, udp(1, 2, {}))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.ethertype, 0x8847);
  ASSERT_TRUE(p.has_mpls);
  EXPECT_EQ(p.mpls, 1000u) << "only the top label is kept";
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.src_port, 1);
}

TEST(parser_unit, MplsPayloadNotIpStops) {
  // Pseudowire control word (first nibble 0): not guessed as IP.
  const auto p = parse(
      cat({eth(0x8847), be32(16 << 12 | 0x100 | 64), be32(0), eth(0x0800), ipv4(6, tcp(1, 2))}));
  EXPECT_TRUE(p.has_mpls);
  EXPECT_EQ(p.mpls, 16u);
  EXPECT_EQ(p.ip_version, 0);
  EXPECT_FALSE(p.malformed);
}

TEST(parser_unit, PppoeSessionIpv4AndIpv6) {
  Bytes ip = ipv4(6, tcp(4000, 443));
  auto p = parse(cat({eth(0x8100),
                      tag(0x8864, 5),
                      {0x11, 0},
                      be16(1),
                      be16(uint16_t(ip.size() + 2)),
                      be16(0x0021),
                      ip}));
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.ethertype, 0x8864);
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.dst_port, 443);
  ip = ipv6(17, udp(1, 2, {}));
  p = parse(
      cat({eth(0x8864), {0x11, 0}, be16(1), be16(uint16_t(ip.size() + 2)), be16(0x0057), ip}));
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(p.src_port, 1);
  // IP claiming more than the PPPoE payload holds
  ip = ipv4(6, tcp(4000, 443));
  p = parse(
      cat({eth(0x8864), {0x11, 0}, be16(1), be16(uint16_t(ip.size() + 2 - 6)), be16(0x0021), ip}));
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.dst_port, 443);
}

TEST(parser_unit, GtpUWithExtensionHeadersAndInnerIpv6) {
  // PDU session container extension (type 0x85), 4 bytes, then no more.
  const Bytes exts = {1, 0x10, 0x05, 0x00};
  const Bytes inner = ipv6(17, udp(5353, 53, fill(12)), kIp6B, kIp6A);
  const auto p = parse(cat(
      {eth(0x0800), ipv4(17, udp(40000, 2152, gtp(0xDEADBEEF, 0xFF, inner, true, exts, 0x85)))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_TRUE(p.has_gtp);
  EXPECT_EQ(p.gtp_teid, 0xDEADBEEFu);
  EXPECT_EQ(p.gtp_msgtype, 0xFF);
  EXPECT_EQ(p.gtp_inner_version, 6);
  EXPECT_EQ(arr(p.gtp_inner_src, 16), kIp6B);
  EXPECT_EQ(arr(p.gtp_inner_dst, 16), kIp6A);
  EXPECT_EQ(p.src_port, 40000);  // the outer ports stay the outer ports
}

TEST(parser_unit, GtpNonGpduAndNotGtp) {
  // Echo request: TEID recorded, no inner IP.
  auto p = parse(cat({eth(0x0800), ipv4(17, udp(2152, 2152, gtp(0, 1, {}, true)))}));
  EXPECT_TRUE(p.has_gtp);
  EXPECT_EQ(p.gtp_msgtype, 1);
  EXPECT_EQ(p.gtp_inner_version, 0);
  EXPECT_FALSE(p.malformed);
  // Port 2152 with a payload that is not GTPv1 (DNS from a source port 2152).
  p = parse(
      cat({eth(0x0800), ipv4(17, udp(2152, 53, cat({be16(0x6bcb), be16(0x0100), fill(20)})))}));
  EXPECT_FALSE(p.has_gtp);
  EXPECT_FALSE(p.malformed);
}

TEST(parser_unit, TsoAndJumboLengths) {
  // IPv4 total length 0: segmentation offload, not malformed.
  Bytes f = cat({eth(0x0800), ipv4(6, tcp(1, 2, fill(3000)))});
  put16(f, 14 + 2, 0);
  auto p = parse(f);
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.src_port, 1);
  // IPv6 jumbogram: payload length 0, hop-by-hop jumbo option with the real length.
  const Bytes body = tcp(3, 4, fill(65535 - 14 - 40 - 8 - 20));
  Bytes hbh = {6, 0, 0xC2, 4};
  hbh = cat({hbh, be32(uint32_t(8 + body.size()))});
  f = cat({eth(0x86DD), ipv6(0, cat({hbh, body}))});
  put16(f, 14 + 4, 0);
  ASSERT_EQ(f.size(), 65535u);
  p = parse(f);
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.depth_exceeded);
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.dst_port, 4);
  // ... whose jumbo length claims more than the frame holds
  f[14 + 40 + 4 + 3] += 1;
  EXPECT_TRUE(parse(f).malformed);
}

// Rule changed (DESIGN.md rule 3): an IPv6 payload length of 0 without a jumbo option is
// malformed (the lengths disagree; before, it was taken like IPv4's TSO length 0), and the
// jumbo option is only recognized as the hop-by-hop header's first option (bytes 2..7),
// where RFC 2675 and BIG TCP put it: padding before it is no longer skipped.
TEST(parser_unit, Ipv6PayloadLengthZeroNeedsALeadingJumboOption) {
  Bytes f = cat({eth(0x86DD), ipv6(6, tcp(1, 2, fill(3000)))});
  put16(f, 14 + 4, 0);
  auto p = parse(f);
  EXPECT_TRUE(p.malformed) << "payload length 0 and no jumbo option";
  EXPECT_EQ(p.src_port, 1) << "fields are still parsed";
  EXPECT_EQ(p.dst_port, 2);
  // The jumbo option as the first option: good.
  const Bytes body = tcp(3, 4, fill(1000));
  Bytes hbh = cat({{6, 0, 0xC2, 4}, be32(uint32_t(8 + body.size()))});
  f = cat({eth(0x86DD), ipv6(0, cat({hbh, body}))});
  put16(f, 14 + 4, 0);
  p = parse(f);
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.dst_port, 4);
  // The same option after a Pad1: not the first option, so not recognized.
  hbh = cat({{6, 1, 0x00, 0xC2, 4}, be32(uint32_t(16 + body.size())), {1, 5, 0, 0, 0, 0, 0}});
  ASSERT_EQ(hbh.size(), 16u);
  f = cat({eth(0x86DD), ipv6(0, cat({hbh, body}))});
  put16(f, 14 + 4, 0);
  p = parse(f);
  EXPECT_TRUE(p.malformed) << "a jumbo option behind padding is not looked for";
  EXPECT_EQ(p.l4_proto, 6);
  EXPECT_EQ(p.dst_port, 4);
}

TEST(parser_unit, JumboFrames9000And65535) {
  for (size_t frame_len : {size_t(9000), size_t(65535)}) {
    const Bytes f =
        cat({eth(0x8100), tag(0x0800, 7), ipv4(17, udp(111, 222, fill(frame_len - 18 - 20 - 8)))});
    ASSERT_EQ(f.size(), frame_len);
    const auto p = parse(f);
    EXPECT_FALSE(p.malformed) << frame_len;
    EXPECT_FALSE(p.depth_exceeded) << frame_len;
    EXPECT_EQ(p.src_port, 111) << frame_len;
    EXPECT_EQ(p.dst_port, 222) << frame_len;
  }
}

// ---- truncation at every byte ----------------------------------------------------------

// Cutting a well-formed frame anywhere must never crash, never depend on bytes past the cut,
// always say malformed, and keep what the cut left whole.
void check_every_cut(const Bytes& frame, size_t l3_off) {
  const auto full = parse(frame);
  ASSERT_FALSE(full.malformed);
  ASSERT_FALSE(full.depth_exceeded);
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const auto a = parse(frame, cut, 0x00);
    const auto b = parse(frame, cut, 0xFF);
    EXPECT_TRUE(same(a, b)) << "result depends on bytes past the end of the frame";
    EXPECT_TRUE(a.malformed);
    EXPECT_FALSE(a.depth_exceeded);
    if (cut >= 12) {
      EXPECT_EQ(arr(a.src_mac, 6), kSrcMac);
    }
    if (cut >= l3_off + 20 && full.ip_version == 4) {
      EXPECT_EQ(a.ip_version, 4);
      EXPECT_EQ(arr(a.src_ip, 16), arr(full.src_ip, 16));
      EXPECT_EQ(arr(a.dst_ip, 16), arr(full.dst_ip, 16));
    }
    if (cut >= l3_off + 40 && full.ip_version == 6) {
      EXPECT_EQ(arr(a.dst_ip, 16), arr(full.dst_ip, 16));
    }
    if (a.has_l4) {
      EXPECT_EQ(a.src_port, full.src_port);
    }
    if (a.has_gtp) {
      EXPECT_EQ(a.gtp_teid, full.gtp_teid);
    }
    if (a.gtp_inner_version) {
      EXPECT_EQ(arr(a.gtp_inner_src, 16), arr(full.gtp_inner_src, 16));
    }
  }
}

TEST(parser_unit, TruncationEveryByteVlanIpv4Tcp) {
  const Bytes f =
      cat({eth(0x8100), tag(0x0800, 42), ipv4(6, tcp(1234, 80, fill(6)), 0, {1, 1, 1, 0})});
  check_every_cut(f, 18);
}

TEST(parser_unit, TruncationEveryByteIpv6UdpGtp) {
  const Bytes inner = ipv4(6, tcp(5555, 80, fill(4)));
  const Bytes f = cat(
      {eth(0x86DD), ipv6(60, cat({ext(17), udp(2152, 2152, gtp(0x01020304, 0xFF, inner, true))}))});
  const auto full = parse(f);
  EXPECT_EQ(full.gtp_inner_version, 4);
  EXPECT_EQ(full.gtp_teid, 0x01020304u);
  check_every_cut(f, 14);
}

TEST(parser_unit, EmptyAndTinyFrames) {
  for (uint32_t len : {0u, 1u, 5u, 6u, 11u, 13u}) {
    const auto p = parse(fill(64), len);
    EXPECT_TRUE(p.malformed) << len;
    EXPECT_EQ(p.ethertype, 0) << len;
  }
}

// ---- lying lengths ----------------------------------------------------------------------

TEST(parser_unit, Ipv4LyingLengths) {
  const Bytes good = cat({eth(0x0800), ipv4(17, udp(1000, 2000, fill(20)))});
  Bytes f = good;
  put16(f, 16, uint32_t(good.size() - 14 + 1));  // total length one past the frame
  auto p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.src_port, 1000) << "a lying length keeps the fields that are there";
  f = good;
  put16(f, 16, 19);  // shorter than the header
  p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_FALSE(p.has_l4);
  f = good;
  f[14] = 0x44;  // IHL 4
  p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.ip_version, 0);
  f = good;
  f[14] = 0x4F;  // IHL 15: options run past the datagram
  EXPECT_TRUE(parse(f).malformed);
  f = good;
  f[14] = 0x55;  // version 5 behind EtherType IPv4
  EXPECT_TRUE(parse(f).malformed);
}

TEST(parser_unit, UdpLyingLengths) {
  const Bytes good = cat({eth(0x0800), ipv4(17, udp(1000, 2000, fill(20)))});
  ASSERT_FALSE(parse(good).malformed);
  Bytes f = good;
  put16(f, 34 + 4, 29);  // one more than the IP payload
  EXPECT_TRUE(parse(f).malformed);
  put16(f, 34 + 4, 7);  // less than its own header
  EXPECT_TRUE(parse(f).malformed);
  put16(f, 34 + 4, 20);  // shorter than the IP payload: padding, legal
  EXPECT_FALSE(parse(f).malformed);
  // Ethernet padding after a short IP datagram is not a disagreement either.
  EXPECT_FALSE(parse(cat({good, fill(10, 0)})).malformed);
}

TEST(parser_unit, TcpDataOffset) {
  Bytes f = cat({eth(0x0800), ipv4(6, tcp(1, 2, fill(8)))});
  f[34 + 12] = 0x40;  // 16-byte header
  auto p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.src_port, 1);
  f[34 + 12] = 0xF0;  // 60 bytes, more than the segment
  EXPECT_TRUE(parse(f).malformed);
}

TEST(parser_unit, GtpLyingLengths) {
  const Bytes inner = ipv4(1, fill(8));
  const Bytes good = cat({eth(0x0800), ipv4(17, udp(2152, 2152, gtp(9, 0xFF, inner)))});
  ASSERT_FALSE(parse(good).malformed);
  const size_t g = 14 + 20 + 8;
  Bytes f = good;
  put16(f, g + 2, uint32_t(inner.size() + 1));
  auto p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.gtp_teid, 9u);
  f = good;
  put16(f, g + 8 + 2, uint32_t(inner.size() + 4));  // inner IPv4 longer than the G-PDU
  p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.gtp_inner_version, 4);
  // Extension header of length 0 would loop forever in a naive parser.
  f = cat({eth(0x0800), ipv4(17, udp(2152, 2152, gtp(9, 0xFF, inner, true, {0, 0, 0, 0}, 0x85)))});
  p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.gtp_inner_version, 0);
}

TEST(parser_unit, Ipv6LyingPayloadLength) {
  Bytes f = cat({eth(0x86DD), ipv6(17, udp(1, 2, fill(4)))});
  put16(f, 18, 13);  // one past the frame
  auto p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.src_port, 1);
  // Extension header running past the frame. Rule changed (DESIGN.md rule 4): a header's own
  // fields are read when its first bytes are there, so its next-header byte is read
  // (l4_proto 17; before, parsing stopped without reading it and l4_proto stayed 0).
  f = cat({eth(0x86DD), ipv6(0, ext(17))});
  f[14 + 40 + 1] = 4;
  p = parse(f);
  EXPECT_TRUE(p.malformed);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.ip_proto, 0);
  EXPECT_EQ(p.l4_proto, 17);
  // The same header bytes in frames of any length past the header decide alike: the
  // declared payload length (8) ends before the extension header does.
  for (size_t extra : {size_t(0), size_t(100), size_t(400), size_t(3000)}) {
    const Bytes g = cat({f, fill(extra)});
    const auto q = parse(g);
    EXPECT_TRUE(q.malformed) << "frame of " << g.size();
    EXPECT_EQ(q.l4_proto, 17) << "frame of " << g.size();
    EXPECT_FALSE(q.has_l4) << "frame of " << g.size();
  }
}

// ---- stacks that do not end -------------------------------------------------------------

TEST(parser_unit, VlanTagAtTheEnd) {
  auto p = parse(cat({eth(0x8100), be16(77)}));  // TCI, then nothing
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.vlan_count, 1);
  EXPECT_EQ(p.vlan, 77);
  p = parse(cat({eth(0x8100), tag(0x8100, 1)}));  // a second TPID with no tag after it
  EXPECT_TRUE(p.malformed);
  EXPECT_EQ(p.vlan_count, 1);
}

TEST(parser_unit, MplsWithoutBottomOfStack) {
  Bytes stack;
  for (int i = 0; i < 5; ++i) stack = cat({stack, be32(uint32_t(20 + i) << 12 | 64)});
  auto p = parse(cat({eth(0x8847), stack}));
  EXPECT_TRUE(p.malformed);
  EXPECT_TRUE(p.has_mpls);
  EXPECT_EQ(p.mpls, 20u);
  EXPECT_EQ(p.ip_version, 0);
  // A stack longer than the parser walks, inside a long frame: given up, not malformed.
  stack.clear();
  for (int i = 0; i < 40; ++i) stack = cat({stack, be32(uint32_t(i) << 12 | 64)});
  p = parse(cat({eth(0x8847), stack, fill(200)}));
  EXPECT_FALSE(p.malformed);
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_TRUE(p.has_mpls);
  EXPECT_EQ(p.mpls, 0u);
  // Exactly kMplsLabels labels with the bottom on the last: walked to the end, IP parsed.
  stack.clear();
  for (int i = 0; i < kMplsLabels; ++i)
    stack = cat({stack, be32(uint32_t(300 + i) << 12 | (i == kMplsLabels - 1 ? 0x100 : 0) | 64)});
  p = parse(cat({eth(0x8847), stack, ipv4(17, udp(5, 6, {}))}));
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.depth_exceeded);
  EXPECT_EQ(p.mpls, 300u);
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.src_port, 5);
}

TEST(parser_unit, DepthExceededLongIpv6ExtensionChain) {
  // 5 destination-options headers of 48 bytes: the transport header starts past byte 256.
  Bytes chain;
  for (int i = 0; i < 5; ++i) chain = cat({chain, ext(i < 4 ? 60 : 6, 6)});
  auto p = parse(cat({eth(0x86DD), ipv6(60, cat({chain, tcp(1, 2, fill(100))}))}));
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.has_l4);
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(arr(p.dst_ip, 16), kIp6B) << "fields before the window's end are kept";
  // More extension headers than the parser walks (all inside the window).
  chain.clear();
  for (int i = 0; i < 12; ++i) chain = cat({chain, ext(i < 11 ? 60 : 17)});
  p = parse(cat({eth(0x86DD), ipv6(60, cat({chain, udp(1, 2, {})}))}));
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_FALSE(p.malformed);
  EXPECT_FALSE(p.has_l4);
}

// A fragment header straddling the window's end: its identification is not all there, so the
// header is not read at all (an identity half read could match another datagram's).
TEST(parser_unit, FragmentHeaderAcrossTheWindowEndIsNotHalfRead) {
  Bytes opts = ext(44, 24);  // 192 bytes of destination options, then the fragment header
  const Bytes f = cat({eth(0x8100), tag(0x86DD, 5), ipv6(60, cat({opts, frag6(17, 100, true), fill(300)}))});
  ASSERT_EQ(18 + 40 + 192, 250);  // the fragment header is frame bytes 250..257
  auto p = parse(f);
  EXPECT_FALSE(p.fragment);
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_FALSE(p.malformed);
  // The same frame cut inside the fragment header: malformed, still not half read.
  p = parse(f, 254);
  EXPECT_FALSE(p.fragment);
  EXPECT_TRUE(p.malformed);
  // One tag less: the header lies inside the window and is read whole.
  const Bytes g = cat({eth(0x86DD), ipv6(60, cat({opts, frag6(17, 100, true), fill(300)}))});
  p = parse(g);
  EXPECT_TRUE(p.fragment);
  EXPECT_TRUE(p.frag_later);
  EXPECT_EQ(p.frag_id, 0xABCDu);
}

TEST(parser_unit, DepthExceededGtpInnerPastWindow) {
  // A long GTP extension chain (4 headers of 60 bytes) runs past byte 256.
  Bytes exts;
  for (int i = 0; i < 4; ++i) {
    Bytes e = fill(60, 0);
    e[0] = 15;
    e[59] = i < 3 ? 0x85 : 0;
    exts = cat({exts, e});
  }
  const Bytes f = cat(
      {eth(0x0800), ipv4(17, udp(2152, 2152, gtp(5, 0xFF, ipv4(6, tcp(1, 2)), true, exts, 0x85)))});
  const auto p = parse(f);
  EXPECT_TRUE(p.has_gtp);
  EXPECT_EQ(p.gtp_teid, 5u);
  EXPECT_TRUE(p.depth_exceeded);
  EXPECT_FALSE(p.malformed);
  EXPECT_EQ(p.gtp_inner_version, 0);
}

}  // namespace
