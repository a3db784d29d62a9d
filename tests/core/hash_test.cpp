// The two normative hash functions and the 96-byte hash key (DESIGN.md "Packet semantics"),
// checked against independent references: zlib's crc32, a direct 16-bit word XOR written
// here, and key layouts spelled out byte by byte from the DESIGN.md offset table.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "core_params.h"
#include "native/frame_api.h"

namespace {

using namespace broker::core;

uint32_t zlib_crc(const uint8_t* p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  return uint32_t(crc32(c, n ? p : Z_NULL, uInt(n)));
}

// Independent xor16: sum the key as big-endian 16-bit words, XOR-folded.
uint16_t ref_xor16(const uint8_t* key) {
  uint16_t x = 0;
  for (int off = 0; off < kKeyBytes; off += 2) {
    const uint16_t word = uint16_t(key[off] * 256u + key[off + 1]);
    x = uint16_t(x ^ word);
  }
  return x;
}

std::string hex(const uint8_t* p, int n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i && i % 16 == 0) s += '\n';
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
    s += ' ';
  }
  return s;
}

// ---- CRC-32 --------------------------------------------------------------------------

TEST(CoreHash, Crc32KnownVectors) {
  const char* check = "123456789";
  EXPECT_EQ(crc32_bytes(reinterpret_cast<const uint8_t*>(check), 9), 0xCBF43926u)
      << "CRC-32/IEEE check value";
  EXPECT_EQ(crc32_bytes(nullptr, 0), 0x00000000u) << "CRC-32 of the empty string";
  const char* fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32_bytes(reinterpret_cast<const uint8_t*>(fox), uint32_t(strlen(fox))), 0x414FA339u);
  const uint8_t a[1] = {'a'};
  EXPECT_EQ(crc32_bytes(a, 1), 0xE8B7BE43u);

  // The all-zero and all-ones 96-byte keys, against zlib and against crc32_bytes.
  uint8_t key[kKeyBytes];
  memset(key, 0, sizeof key);
  EXPECT_EQ(crc32_key(key), zlib_crc(key, kKeyBytes));
  EXPECT_EQ(crc32_key(key), crc32_bytes(key, kKeyBytes));
  memset(key, 0xFF, sizeof key);
  EXPECT_EQ(crc32_key(key), zlib_crc(key, kKeyBytes));
  // 0..95 ramp
  for (int i = 0; i < kKeyBytes; ++i) key[i] = uint8_t(i);
  EXPECT_EQ(crc32_key(key), zlib_crc(key, kKeyBytes));
}

TEST(CoreHash, Crc32KeyMatchesZlibOnRandomKeys) {
  std::mt19937_64 rng(0x5eed0001);
  uint8_t key[kKeyBytes];
  int checked = 0;
  for (int n = 0; n < 10000; ++n) {
    // Mix dense random keys with sparse ones (mostly zero, like real masked keys).
    const bool sparse = n % 4 == 3;
    for (int i = 0; i < kKeyBytes; ++i) {
      const uint8_t b = uint8_t(rng());
      key[i] = sparse ? ((rng() % 8 == 0) ? b : 0) : b;
    }
    const uint32_t want = zlib_crc(key, kKeyBytes);
    ASSERT_EQ(crc32_key(key), want) << "key #" << n << ":\n" << hex(key, kKeyBytes);
    ASSERT_EQ(crc32_bytes(key, kKeyBytes), want) << "key #" << n;
    ++checked;
  }
  RecordProperty("random_keys", checked);
}

TEST(CoreHash, Crc32BytesMatchesZlibOnRandomLengths) {
  std::mt19937 rng(0x5eed0002);
  std::vector<uint8_t> buf(300 + 16);
  // Every length 0..300 at least once, plus random lengths, at random (unaligned) offsets.
  for (int n = 0; n < 301 + 2000; ++n) {
    const uint32_t len = n <= 300 ? uint32_t(n) : rng() % 301;
    const uint32_t off = rng() % 16;
    for (auto& b : buf) b = uint8_t(rng());
    ASSERT_EQ(crc32_bytes(buf.data() + off, len), zlib_crc(buf.data() + off, len))
        << "len " << len << " offset " << off;
  }
}

// ---- xor16 ---------------------------------------------------------------------------

TEST(CoreHash, Xor16MatchesDirectWordXor) {
  std::mt19937_64 rng(0x5eed0003);
  uint8_t key[kKeyBytes];
  memset(key, 0, sizeof key);
  EXPECT_EQ(xor16_key(key), 0);
  // Each single byte lands in the right half of its word (big-endian).
  for (int i = 0; i < kKeyBytes; ++i) {
    memset(key, 0, sizeof key);
    key[i] = 0x5A;
    const uint16_t want = (i % 2 == 0) ? 0x5A00 : 0x005A;
    ASSERT_EQ(xor16_key(key), want) << "single byte at offset " << i;
  }
  for (int n = 0; n < 10000; ++n) {
    for (auto& b : key) b = uint8_t(rng());
    ASSERT_EQ(xor16_key(key), ref_xor16(key)) << "key #" << n << ":\n" << hex(key, kKeyBytes);
  }
  // A worked value: words 0x0102 ^ 0x0304 = 0x0206.
  memset(key, 0, sizeof key);
  key[0] = 1; key[1] = 2; key[94] = 3; key[95] = 4;
  EXPECT_EQ(xor16_key(key), 0x0206);
}

// ---- Key layout ----------------------------------------------------------------------

PacketFields blank() {
  PacketFields f;
  memset(&f, 0, sizeof f);
  return f;
}

void set_v4(uint8_t slot[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  memset(slot, 0, 16);
  slot[12] = a; slot[13] = b; slot[14] = c; slot[15] = d;
}
void set_v6(uint8_t slot[16], uint8_t seed) {
  for (int i = 0; i < 16; ++i) slot[i] = uint8_t(0x20 + seed + 7 * i);
}
void set_mac(uint8_t mac[6], uint8_t seed) {
  for (int i = 0; i < 6; ++i) mac[i] = uint8_t(seed + 0x11 * i + 1);
}

// IPv4/TCP with two VLAN tags.
PacketFields ipv4_tcp() {
  PacketFields f = blank();
  set_mac(f.dst_mac, 0x00);
  set_mac(f.src_mac, 0xA0);
  f.ethertype = 0x0800;
  f.vlan_count = 2;
  f.vlan = 0x123;  // the outer tag's ID (only the outer one is kept)
  f.ip_version = 4;
  f.ip_proto = 6;
  f.l4_proto = 6;
  set_v4(f.src_ip, 10, 1, 2, 3);
  set_v4(f.dst_ip, 192, 168, 200, 254);
  f.has_l4 = true;
  f.src_port = 0x1234;
  f.dst_port = 0xABCD;
  return f;
}

// IPv6 with hop-by-hop + routing headers before UDP, over MPLS.
PacketFields ipv6_ext_udp() {
  PacketFields f = blank();
  set_mac(f.dst_mac, 0x30);
  set_mac(f.src_mac, 0x40);
  f.ethertype = 0x8847;
  f.has_mpls = true;
  f.mpls = 0xABCDE;  // the top label (only the top one is kept)
  f.ip_version = 6;
  f.ip_proto = 0;    // hop-by-hop in the fixed header
  f.l4_proto = 17;   // UDP after the extension headers
  set_v6(f.src_ip, 1);
  set_v6(f.dst_ip, 2);
  f.has_l4 = true;
  f.src_port = 53;
  f.dst_port = 40000;
  return f;
}

// GTP-U over IPv4/UDP carrying inner IPv6 (inner_v6) or inner IPv4.
PacketFields gtp(bool inner_v6) {
  PacketFields f = blank();
  set_mac(f.dst_mac, 0x50);
  set_mac(f.src_mac, 0x60);
  f.ethertype = 0x0800;
  f.vlan_count = 1;
  f.vlan = 0xFFF;
  f.ip_version = 4;
  f.ip_proto = 17;
  f.l4_proto = 17;
  set_v4(f.src_ip, 172, 16, 0, 1);
  set_v4(f.dst_ip, 172, 16, 0, 2);
  f.has_l4 = true;
  f.src_port = 2152;
  f.dst_port = 2152;
  f.has_gtp = true;
  f.gtp_msgtype = 0xFF;
  f.gtp_teid = 0xDEADBEEF;
  if (inner_v6) {
    f.gtp_inner_version = 6;
    set_v6(f.gtp_inner_src, 0x40);
    set_v6(f.gtp_inner_dst, 0x50);
  } else {
    f.gtp_inner_version = 4;
    set_v4(f.gtp_inner_src, 100, 64, 0, 7);
    set_v4(f.gtp_inner_dst, 8, 8, 4, 4);
  }
  return f;
}

PacketFields non_ip() {
  PacketFields f = blank();
  set_mac(f.dst_mac, 0xF0);
  set_mac(f.src_mac, 0x70);
  f.ethertype = 0x0806;
  return f;
}

// Reference key, written from the DESIGN.md table (asymmetric).
void ref_key(const PacketFields& f, uint8_t in_port, uint16_t m, uint8_t k[kKeyBytes]) {
  memset(k, 0, kKeyBytes);
  auto be16 = [&](int off, uint32_t v) { k[off] = uint8_t(v >> 8); k[off + 1] = uint8_t(v); };
  auto be32 = [&](int off, uint32_t v) {
    k[off] = uint8_t(v >> 24); k[off + 1] = uint8_t(v >> 16);
    k[off + 2] = uint8_t(v >> 8); k[off + 3] = uint8_t(v);
  };
  if (m & (1u << 0)) k[0] = in_port;
  if (m & (1u << 1)) k[1] = f.ip_version ? f.l4_proto : 0;
  if (m & (1u << 2)) be16(2, f.ethertype);
  if (m & (1u << 3)) memcpy(k + 4, f.src_mac, 6);
  if (m & (1u << 4)) memcpy(k + 10, f.dst_mac, 6);
  // DESIGN.md fragment rule: a later fragment's key has no ports, TEID or inner addresses
  // (the fallback key); a first fragment is keyed like any packet.
  const bool later = f.fragment && f.frag_later;
  if ((m & (1u << 5)) && f.vlan_count) be16(16, f.vlan & 0xFFF);
  if ((m & (1u << 6)) && f.has_mpls) be32(18, f.mpls & 0xFFFFF);
  if ((m & (1u << 7)) && f.has_gtp && !later) be32(22, f.gtp_teid);
  if ((m & (1u << 8)) && f.gtp_inner_version && !later) {
    memcpy(k + 26, f.gtp_inner_src, 16);
    memcpy(k + 42, f.gtp_inner_dst, 16);
  }
  if (m & (1u << 9)) memcpy(k + 58, f.src_ip, 16);
  if (m & (1u << 10)) memcpy(k + 74, f.dst_ip, 16);
  if (f.has_l4 && !later) {
    if (m & (1u << 11)) be16(90, f.src_port);
    if (m & (1u << 12)) be16(92, f.dst_port);
  }
}

// The byte range each single tuple bit may touch.
struct Span { int off, len; };
const Span kSpans[13] = {{0, 1},  {1, 1},  {2, 2},   {4, 6},  {10, 6}, {16, 2}, {18, 4},
                         {22, 4}, {26, 32}, {58, 16}, {74, 16}, {90, 2}, {92, 2}};

TEST(CoreHashKey, EnumsMatchDesignTable) {
  EXPECT_EQ(kKeyBytes, 96);
  EXPECT_EQ(kKeyInputPort, 0);
  EXPECT_EQ(kKeyIpProto, 1);
  EXPECT_EQ(kKeyEthertype, 2);
  EXPECT_EQ(kKeySrcMac, 4);
  EXPECT_EQ(kKeyDstMac, 10);
  EXPECT_EQ(kKeyVlan, 16);
  EXPECT_EQ(kKeyMpls, 18);
  EXPECT_EQ(kKeyGtpTeid, 22);
  EXPECT_EQ(kKeyGtpInnerSrc, 26);
  EXPECT_EQ(kKeyGtpInnerDst, 42);
  EXPECT_EQ(kKeySrcIp, 58);
  EXPECT_EQ(kKeyDstIp, 74);
  EXPECT_EQ(kKeySrcPort, 90);
  EXPECT_EQ(kKeyDstPort, 92);
  const uint16_t bits[13] = {kTupleInputPort, kTupleIpProto,    kTupleEthertype, kTupleSrcMac,
                             kTupleDstMac,    kTupleVlan,       kTupleMpls,      kTupleGtpTeid,
                             kTupleGtpInnerIp, kTupleSrcIp,     kTupleDstIp,     kTupleSrcPort,
                             kTupleDstPort};
  for (int b = 0; b < 13; ++b) EXPECT_EQ(bits[b], 1u << b) << "tuple bit " << b;
  EXPECT_EQ(kTupleAll, 0x1FFF);
}

// Full mask, asymmetric: each field at its DESIGN.md offset, big-endian, spelled out.
TEST(CoreHashKey, Ipv4TcpLayoutByteByByte) {
  const PacketFields f = ipv4_tcp();
  uint8_t k[kKeyBytes];
  build_key(f, 5, kTupleAll, false, k);
  const uint8_t want[kKeyBytes] = {
      5,    6,    0x08, 0x00,                          // in_port, ip_proto, ethertype
      0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6,              // src_mac
      0x01, 0x12, 0x23, 0x34, 0x45, 0x56,              // dst_mac
      0x01, 0x23,                                      // vlan (outer)
      0,    0,    0,    0,                             // mpls
      0,    0,    0,    0,                             // gtp_teid
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // gtp inner src
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // gtp inner dst
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3,           // src_ip (v4 in last 4)
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 168, 200, 254,    // dst_ip
      0x12, 0x34, 0xAB, 0xCD,                          // ports
      0,    0};                                        // pad
  EXPECT_EQ(0, memcmp(k, want, kKeyBytes)) << "got:\n" << hex(k, kKeyBytes) << "\nwant:\n"
                                           << hex(want, kKeyBytes);
}

TEST(CoreHashKey, Ipv6ExtensionHeadersUseFinalNextHeader) {
  const PacketFields f = ipv6_ext_udp();
  uint8_t k[kKeyBytes];
  build_key(f, 0, kTupleAll, false, k);
  EXPECT_EQ(k[1], 17) << "ip_proto must be the IPv6 final next header (l4_proto), not "
                         "the fixed header's next header (0 = hop-by-hop)";
  EXPECT_EQ(k[2], 0x88);
  EXPECT_EQ(k[3], 0x47);
  // MPLS top label 0xABCDE as a big-endian 32-bit value: 00 0A BC DE
  EXPECT_EQ(k[18], 0x00);
  EXPECT_EQ(k[19], 0x0A);
  EXPECT_EQ(k[20], 0xBC);
  EXPECT_EQ(k[21], 0xDE);
  EXPECT_EQ(0, memcmp(k + 58, f.src_ip, 16));
  EXPECT_EQ(0, memcmp(k + 74, f.dst_ip, 16));
  EXPECT_EQ(k[90], 0);
  EXPECT_EQ(k[91], 53);
  EXPECT_EQ(k[92], 40000 >> 8);
  EXPECT_EQ(k[93], 40000 & 0xFF);
  EXPECT_EQ(k[16], 0);
  EXPECT_EQ(k[17], 0) << "no VLAN tag: zero";
  for (int i = 22; i < 58; ++i) EXPECT_EQ(k[i], 0) << "no GTP: byte " << i;
  EXPECT_EQ(k[94], 0);
  EXPECT_EQ(k[95], 0);
}

TEST(CoreHashKey, GtpLayout) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "inner IPv6" : "inner IPv4");
    const PacketFields f = gtp(v6);
    uint8_t k[kKeyBytes];
    build_key(f, 7, kTupleAll, false, k);
    EXPECT_EQ(k[0], 7);
    EXPECT_EQ(k[1], 17);
    EXPECT_EQ(k[16], 0x0F);
    EXPECT_EQ(k[17], 0xFF);
    EXPECT_EQ(k[22], 0xDE);
    EXPECT_EQ(k[23], 0xAD);
    EXPECT_EQ(k[24], 0xBE);
    EXPECT_EQ(k[25], 0xEF);
    if (!v6) {
      for (int i = 0; i < 12; ++i) {
        EXPECT_EQ(k[26 + i], 0) << "inner IPv4 src: first 12 bytes zero";
        EXPECT_EQ(k[42 + i], 0) << "inner IPv4 dst: first 12 bytes zero";
      }
      const uint8_t s[4] = {100, 64, 0, 7}, d[4] = {8, 8, 4, 4};
      EXPECT_EQ(0, memcmp(k + 38, s, 4));
      EXPECT_EQ(0, memcmp(k + 54, d, 4));
    } else {
      EXPECT_EQ(0, memcmp(k + 26, f.gtp_inner_src, 16));
      EXPECT_EQ(0, memcmp(k + 42, f.gtp_inner_dst, 16));
    }
    const uint8_t so[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 172, 16, 0, 1};
    const uint8_t dO[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 172, 16, 0, 2};
    EXPECT_EQ(0, memcmp(k + 58, so, 16));
    EXPECT_EQ(0, memcmp(k + 74, dO, 16));
    EXPECT_EQ(k[90], 2152 >> 8);
    EXPECT_EQ(k[91], 2152 & 0xFF);
    EXPECT_EQ(k[92], 2152 >> 8);
    EXPECT_EQ(k[93], 2152 & 0xFF);
  }
}

// Every single-bit tuple mask on every hand-built case: exactly the reference key, and
// nothing outside the selected field's bytes.
TEST(CoreHashKey, SingleBitMasksSelectOnlyTheirField) {
  struct Case { const char* name; PacketFields f; };
  std::vector<Case> cases = {{"ipv4_tcp", ipv4_tcp()},
                             {"ipv6_ext_udp", ipv6_ext_udp()},
                             {"gtp_inner_v4", gtp(false)},
                             {"gtp_inner_v6", gtp(true)},
                             {"non_ip", non_ip()}};
  for (const auto& c : cases) {
    for (int bit = 0; bit < 13; ++bit) {
      const uint16_t mask = uint16_t(1u << bit);
      uint8_t k[kKeyBytes], want[kKeyBytes];
      build_key(c.f, 3, mask, false, k);
      ref_key(c.f, 3, mask, want);
      EXPECT_EQ(0, memcmp(k, want, kKeyBytes))
          << c.name << " mask bit " << bit << "\ngot:\n" << hex(k, kKeyBytes) << "\nwant:\n"
          << hex(want, kKeyBytes);
      for (int i = 0; i < kKeyBytes; ++i) {
        const bool inside = i >= kSpans[bit].off && i < kSpans[bit].off + kSpans[bit].len;
        if (!inside) {
          EXPECT_EQ(k[i], 0) << c.name << " mask bit " << bit << ": byte " << i
                             << " outside the field must be zero";
        }
      }
      // Symmetric mode leaves a key without src/dst pair fields unchanged.
      uint8_t ks[kKeyBytes];
      build_key(c.f, 3, mask, true, ks);
      if (bit <= 2 || (bit >= 5 && bit <= 7)) {
        EXPECT_EQ(0, memcmp(ks, want, kKeyBytes)) << c.name << " symmetric, non-pair bit " << bit;
      }
    }
    // Full mask and a few combinations too.
    for (uint16_t mask : {uint16_t(kTupleAll), uint16_t(0x1E00), uint16_t(0x0018),
                          uint16_t(0x1E02), uint16_t(0x0180)}) {
      uint8_t k[kKeyBytes], want[kKeyBytes];
      build_key(c.f, 3, mask, false, k);
      ref_key(c.f, 3, mask, want);
      EXPECT_EQ(0, memcmp(k, want, kKeyBytes)) << c.name << " mask 0x" << std::hex << mask;
    }
  }
}

// ---- IP fragments (DESIGN.md "IP fragments") -------------------------------------------
//
// Rule 1 of the rewrite: a FIRST fragment (offset 0, MF/M set) is keyed like any packet, its
// ports, GTP TEID and inner addresses included (before, every fragment's ports were zeroed).
// A LATER fragment (offset != 0) carries no ports, TEID or inner addresses, so its key is the
// fallback key: the key with src_port, dst_port, gtp_teid and both gtp_inner_ip zero.

// What the fragment rule leaves of a datagram's fields for a later fragment: no transport
// header, no GTP, no inner addresses (spelled out here from DESIGN.md, not asked of the core).
PacketFields later_fragment_of(PacketFields f) {
  f.fragment = true;
  f.frag_later = true;
  f.has_l4 = false;
  f.src_port = f.dst_port = 0;
  f.has_gtp = false;
  f.gtp_msgtype = 0;
  f.gtp_teid = 0;
  f.gtp_inner_version = 0;
  memset(f.gtp_inner_src, 0, 16);
  memset(f.gtp_inner_dst, 0, 16);
  return f;
}

const uint16_t kFragMasks[] = {uint16_t(kTupleAll),
                               uint16_t(kTupleSrcPort),
                               uint16_t(kTupleDstPort),
                               uint16_t(kTupleSrcPort | kTupleDstPort),
                               uint16_t(kTupleGtpTeid | kTupleGtpInnerIp),
                               uint16_t(kTupleSrcIp | kTupleDstIp | kTupleSrcPort | kTupleDstPort |
                                        kTupleIpProto)};

TEST(CoreHashKey, FirstFragmentKeyedLikeAnyPacket) {
  for (const PacketFields& whole : {ipv4_tcp(), ipv6_ext_udp(), gtp(false), gtp(true)}) {
    PacketFields first = whole;
    first.fragment = true;  // offset 0, MF/M set
    first.frag_later = false;
    ASSERT_NE(first.src_port, 0);
    for (uint16_t mask : kFragMasks) {
      for (bool sym : {false, true}) {
        SCOPED_TRACE(::testing::Message() << "mask 0x" << std::hex << mask << (sym ? " symmetric" : ""));
        uint8_t k[kKeyBytes], w[kKeyBytes];
        build_key(first, 1, mask, sym, k);
        build_key(whole, 1, mask, sym, w);
        EXPECT_EQ(0, memcmp(k, w, kKeyBytes)) << "a first fragment's key is the whole datagram's\n"
                                              << hex(k, kKeyBytes) << "\nwant:\n" << hex(w, kKeyBytes);
        if (!sym) {
          uint8_t want[kKeyBytes];
          ref_key(first, 1, mask, want);
          EXPECT_EQ(0, memcmp(k, want, kKeyBytes));
        }
      }
    }
    uint8_t k[kKeyBytes];
    build_key(first, 1, kTupleAll, false, k);
    EXPECT_EQ(k[90], first.src_port >> 8) << "first fragment keeps src_port";
    EXPECT_EQ(k[91], first.src_port & 0xFF);
    EXPECT_EQ(k[92], first.dst_port >> 8) << "first fragment keeps dst_port";
    EXPECT_EQ(k[93], first.dst_port & 0xFF);
    if (first.has_gtp) {
      EXPECT_EQ(uint32_t(k[22]) << 24 | uint32_t(k[23]) << 16 | uint32_t(k[24]) << 8 | k[25], first.gtp_teid)
          << "keeps the TEID";
      EXPECT_EQ(0, memcmp(k + 26, first.gtp_inner_src, 16)) << "keeps the inner source";
      EXPECT_EQ(0, memcmp(k + 42, first.gtp_inner_dst, 16)) << "keeps the inner destination";
    }
  }
}

TEST(CoreHashKey, LaterFragmentKeyIsTheFallbackKey) {
  for (const PacketFields& whole : {ipv4_tcp(), ipv6_ext_udp(), gtp(false), gtp(true)}) {
    const PacketFields later = later_fragment_of(whole);
    for (uint16_t mask : kFragMasks) {
      uint8_t k[kKeyBytes], want[kKeyBytes], full[kKeyBytes];
      build_key(later, 1, mask, false, k);
      ref_key(later, 1, mask, want);
      EXPECT_EQ(0, memcmp(k, want, kKeyBytes)) << "mask 0x" << std::hex << mask;
      // The fallback key is the whole datagram's key with ports, TEID and inner zero.
      build_key(whole, 1, mask, false, full);
      memset(full + kKeyGtpTeid, 0, 4);
      memset(full + kKeyGtpInnerSrc, 0, 32);
      memset(full + kKeySrcPort, 0, 4);
      EXPECT_EQ(0, memcmp(k, full, kKeyBytes)) << "mask 0x" << std::hex << mask << "\n"
                                               << hex(k, kKeyBytes) << "\nwant:\n" << hex(full, kKeyBytes);
    }
  }
  // Not a fragment but no L4 header: ports zero too.
  PacketFields f = ipv4_tcp();
  f.has_l4 = false;
  f.src_port = f.dst_port = 0;
  uint8_t k[kKeyBytes];
  build_key(f, 1, kTupleAll, false, k);
  EXPECT_EQ(k[90] | k[91] | k[92] | k[93], 0);
}

// The same rule on frames through the core's parser: a datagram whole, as its first fragment
// and as later fragments. The later fragments' payload is made to look like a UDP header to
// port 2152 with a G-PDU after it: it must not be read.
namespace frag {

using Bytes = std::vector<uint8_t>;
void app16(Bytes& b, uint32_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
void app32(Bytes& b, uint32_t v) { app16(b, v >> 16); app16(b, v & 0xFFFF); }
void app(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }

Bytes eth(uint16_t type) {
  Bytes b = {0x02, 0, 0, 0, 0, 0x0B, 0x02, 0, 0, 0, 0, 0x0A};
  app16(b, type);
  return b;
}
Bytes ipv4(uint8_t proto, uint16_t id, uint16_t frag, uint16_t total, const Bytes& payload,
           uint8_t a = 1, uint8_t b = 2) {
  Bytes h = {0x45, 0};
  app16(h, total);
  app16(h, id);
  app16(h, frag);
  h.push_back(64);
  h.push_back(proto);
  app16(h, 0);
  app(h, {10, 0, 0, a});
  app(h, {10, 0, 0, b});
  app(h, payload);
  return h;
}
Bytes ipv6(uint8_t nh, const Bytes& payload) {
  Bytes h = {0x60, 0, 0, 0};
  app16(h, uint32_t(payload.size()));
  h.push_back(nh);
  h.push_back(64);
  for (int i = 0; i < 16; ++i) h.push_back(uint8_t(i == 0 ? 0x20 : i == 15 ? 1 : 0));
  for (int i = 0; i < 16; ++i) h.push_back(uint8_t(i == 0 ? 0x20 : i == 15 ? 2 : 0));
  app(h, payload);
  return h;
}
Bytes udp(uint16_t sp, uint16_t dp, const Bytes& payload) {
  Bytes h;
  app16(h, sp);
  app16(h, dp);
  app16(h, uint32_t(8 + payload.size()));
  app16(h, 0);
  app(h, payload);
  return h;
}
// GTPv1-U G-PDU around an inner IPv4 header (100.64.0.7 -> 8.8.4.4) and `body`.
Bytes gtp_gpdu(uint32_t teid, const Bytes& body) {
  Bytes inner = {0x45, 0};
  app16(inner, uint32_t(20 + body.size()));
  app(inner, {0, 1, 0, 0, 64, 17, 0, 0, 100, 64, 0, 7, 8, 8, 4, 4});
  app(inner, body);
  Bytes g = {0x30, 0xFF};
  app16(g, uint32_t(inner.size()));
  app32(g, teid);
  app(g, inner);
  return g;
}
// A later fragment's payload that would read as UDP 2152 -> 2152 carrying a G-PDU.
Bytes decoy(size_t n) {
  Bytes d = udp(2152, 2152, gtp_gpdu(0x0BADF00D, Bytes(64, 0x11)));
  d.resize(n, 0x22);
  return d;
}

PacketFields parse(const Bytes& frame) {
  uint8_t hdr[kParseBytes] = {};
  memcpy(hdr, frame.data(), std::min<size_t>(frame.size(), kParseBytes));
  PacketFields f;
  memset(&f, 0xEE, sizeof f);
  parse_frame(hdr, uint32_t(frame.size()), f);
  return f;
}

}  // namespace frag

void expect_fragment_keys(const PacketFields& whole, const PacketFields& first,
                          const std::vector<PacketFields>& laters, const char* what) {
  SCOPED_TRACE(what);
  ASSERT_FALSE(whole.fragment);
  ASSERT_TRUE(first.fragment);
  ASSERT_FALSE(first.frag_later);
  EXPECT_TRUE(first.has_l4) << "a first fragment's ports are parsed";
  EXPECT_EQ(first.src_port, whole.src_port);
  EXPECT_EQ(first.has_gtp, whole.has_gtp);
  EXPECT_EQ(first.gtp_inner_version, whole.gtp_inner_version);
  for (const PacketFields& later : laters) {
    ASSERT_TRUE(later.fragment);
    ASSERT_TRUE(later.frag_later);
    EXPECT_FALSE(later.malformed);
    EXPECT_FALSE(later.has_l4) << "a later fragment's payload is not a transport header";
    EXPECT_EQ(later.src_port | later.dst_port, 0);
    EXPECT_FALSE(later.has_gtp);
    EXPECT_EQ(later.gtp_teid, 0u);
    EXPECT_EQ(later.gtp_inner_version, 0);
  }
  for (uint16_t mask : kFragMasks) {
    for (bool sym : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "mask 0x" << std::hex << mask << (sym ? " symmetric" : ""));
      uint8_t kw[kKeyBytes], kf[kKeyBytes], fallback[kKeyBytes];
      build_key(whole, 4, mask, sym, kw);
      build_key(first, 4, mask, sym, kf);
      EXPECT_EQ(0, memcmp(kf, kw, kKeyBytes)) << "first fragment keyed like the whole datagram\n"
                                              << hex(kf, kKeyBytes) << "\nwant:\n" << hex(kw, kKeyBytes);
      // The fallback key: masking and the fragment rule come before the symmetric order.
      build_key(later_fragment_of(whole), 4, mask, sym, fallback);
      for (const PacketFields& later : laters) {
        uint8_t kl[kKeyBytes];
        build_key(later, 4, mask, sym, kl);
        EXPECT_EQ(0, memcmp(kl, fallback, kKeyBytes)) << "later fragment's key is the fallback key\n"
                                                      << hex(kl, kKeyBytes) << "\nwant:\n"
                                                      << hex(fallback, kKeyBytes);
        EXPECT_EQ(kl[90] | kl[91] | kl[92] | kl[93], 0);
        for (int i = kKeyGtpTeid; i < kKeySrcIp; ++i) EXPECT_EQ(kl[i], 0) << "byte " << i;
      }
    }
  }
}

TEST(CoreHashKey, ParsedIpv4FragmentsOfAGtpUDatagram) {
  using namespace frag;
  const Bytes l4 = udp(40000, 2152, gtp_gpdu(0xDEADBEEF, Bytes(2000, 0x33)));
  const uint16_t total = uint16_t(20 + l4.size());
  Bytes whole = eth(0x0800);
  app(whole, ipv4(17, 77, 0, total, l4));
  // First fragment: 1480 bytes of the datagram's payload, MF set, offset 0.
  Bytes first = eth(0x0800);
  app(first, ipv4(17, 77, 0x2000, 20 + 1480, Bytes(l4.begin(), l4.begin() + 1480)));
  std::vector<PacketFields> laters;
  for (uint16_t off8 : {uint16_t(185), uint16_t(1)}) {  // the real next one, and an odd one
    Bytes later = eth(0x0800);
    const size_t n = l4.size() - 1480;
    app(later, ipv4(17, 77, off8, uint16_t(20 + n), decoy(n)));
    laters.push_back(parse(later));
    EXPECT_EQ(laters.back().l4_proto, 17);
  }
  const PacketFields w = parse(whole), f = parse(first);
  ASSERT_TRUE(w.has_gtp && w.gtp_inner_version == 4) << "the whole datagram is GTP-U";
  EXPECT_FALSE(w.malformed);
  EXPECT_FALSE(f.malformed) << "a first fragment's UDP/GTP lengths describe the whole datagram";
  EXPECT_EQ(f.gtp_teid, 0xDEADBEEFu) << "a first fragment's TEID is parsed";
  expect_fragment_keys(w, f, laters, "IPv4 GTP-U");
}

TEST(CoreHashKey, ParsedIpv6FragmentsAndAtomicFragment) {
  using namespace frag;
  const Bytes l4 = udp(5353, 53, Bytes(600, 0x44));
  auto frag_hdr = [](uint16_t off8, bool more) {
    Bytes h = {17, 0};
    app16(h, uint32_t(off8 << 3 | (more ? 1 : 0)));
    app32(h, 0xCAFE0001);
    return h;
  };
  Bytes whole = eth(0x86DD);
  app(whole, ipv6(17, l4));
  Bytes fh = frag_hdr(0, true);
  app(fh, Bytes(l4.begin(), l4.begin() + 304));
  Bytes first = eth(0x86DD);
  app(first, ipv6(44, fh));
  fh = frag_hdr(38, false);
  app(fh, decoy(l4.size() - 304));
  Bytes later = eth(0x86DD);
  app(later, ipv6(44, fh));
  const PacketFields lp = parse(later);
  EXPECT_EQ(lp.l4_proto, 17) << "l4_proto from the fragment header";
  expect_fragment_keys(parse(whole), parse(first), {lp}, "IPv6 UDP");

  // An atomic fragment (offset 0, M clear) is a whole datagram: not a fragment.
  fh = frag_hdr(0, false);
  app(fh, l4);
  Bytes atomic = eth(0x86DD);
  app(atomic, ipv6(44, fh));
  const PacketFields a = parse(atomic), w = parse(whole);
  EXPECT_FALSE(a.fragment);
  EXPECT_FALSE(a.frag_later);
  EXPECT_TRUE(a.has_l4);
  uint8_t ka[kKeyBytes], kw[kKeyBytes];
  build_key(a, 4, kTupleAll, true, ka);  // ip_proto is the final next header: 17 in both
  build_key(w, 4, kTupleAll, true, kw);
  EXPECT_EQ(0, memcmp(ka, kw, kKeyBytes));
}

TEST(CoreHashKey, NonIpHasZeroIpProto) {
  PacketFields f = non_ip();
  f.l4_proto = 0;
  uint8_t k[kKeyBytes];
  build_key(f, 2, kTupleAll, false, k);
  EXPECT_EQ(k[1], 0);
  EXPECT_EQ(k[2], 0x08);
  EXPECT_EQ(k[3], 0x06);
  for (int i = 16; i < kKeyBytes; ++i) EXPECT_EQ(k[i], 0) << "byte " << i;
}

// Symmetric ordering on hand-built fields: A = (src_ip, src_port, src_mac, inner src).
TEST(CoreHashKey, SymmetricOrderingFollowsDesign) {
  PacketFields f = ipv4_tcp();  // src 10.1.2.3 < dst 192.168.200.254: already ordered
  uint8_t a[kKeyBytes], b[kKeyBytes];
  build_key(f, 0, kTupleAll, true, a);
  build_key(f, 0, kTupleAll, false, b);
  EXPECT_EQ(0, memcmp(a, b, kKeyBytes)) << "A < B: no swap";

  // Equal IPs: ports decide (src_port 0x1234 < 0xABCD: no swap); swap the ports: swap all.
  PacketFields g = f;
  memcpy(g.dst_ip, g.src_ip, 16);
  std::swap(g.src_port, g.dst_port);  // now src 0xABCD > dst 0x1234
  build_key(g, 0, kTupleAll, true, a);
  EXPECT_EQ(a[90], 0x12);
  EXPECT_EQ(a[91], 0x34);
  EXPECT_EQ(a[92], 0xAB);
  EXPECT_EQ(a[93], 0xCD);
  // ...and the MACs were swapped with them (src_mac A1.. is now at the dst slot).
  EXPECT_EQ(0, memcmp(a + 4, g.dst_mac, 6));
  EXPECT_EQ(0, memcmp(a + 10, g.src_mac, 6));

  // Only the MAC pair selected: the MACs alone decide.
  build_key(f, 0, kTupleSrcMac | kTupleDstMac, true, a);
  EXPECT_EQ(0, memcmp(a + 4, f.dst_mac, 6)) << "dst_mac 01.. < src_mac A1..: swapped";
  EXPECT_EQ(0, memcmp(a + 10, f.src_mac, 6));
  // A first fragment keeps its ports (rule changed: before, every fragment's ports were
  // zeroed), so they still decide: the same key as the unfragmented packet.
  PacketFields h = g;
  h.fragment = true;
  h.frag_later = false;
  uint8_t whole[kKeyBytes];
  build_key(g, 0, kTupleAll, true, whole);
  build_key(h, 0, kTupleAll, true, a);
  EXPECT_EQ(0, memcmp(a, whole, kKeyBytes)) << "first fragment: ports decide as for any packet";
  // A later fragment has no ports (fallback key): zero before the comparison, so the MACs
  // decide between equal IPs.
  const PacketFields later = later_fragment_of(g);
  build_key(later, 0, kTupleAll, true, a);
  EXPECT_EQ(a[90] | a[91] | a[92] | a[93], 0);
  EXPECT_EQ(0, memcmp(a + 4, later.dst_mac, 6)) << "ports absent: MACs decide";
  EXPECT_EQ(0, memcmp(a + 10, later.src_mac, 6));
}

}  // namespace
