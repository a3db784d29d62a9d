// Symmetric hashing (DESIGN.md "Symmetric mode"): hash(packet) == hash(reverse packet).
// Checked two ways: on every IP frame of every shared capture by mirroring the parsed fields,
// and on synthetic frames whose bytes are mirrored (so parser, key and hash run end to end).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core_test_util.h"
#include "hash.h"
#include "testdata.h"

namespace {

using namespace broker::coretest;

struct MaskCase {
  const char* name;
  uint16_t mask;
};
const MaskCase kMasks[] = {
    {"all", uint16_t(kTupleAll)},
    {"5-tuple", kFiveTuple},
    {"ip pair", uint16_t(kTupleSrcIp | kTupleDstIp)},
    {"port pair", uint16_t(kTupleSrcPort | kTupleDstPort)},
    {"mac pair", uint16_t(kTupleSrcMac | kTupleDstMac)},
    {"gtp inner", uint16_t(kTupleGtpInnerIp)},
    {"ip+gtp inner+teid", uint16_t(kTupleSrcIp | kTupleDstIp | kTupleGtpInnerIp | kTupleGtpTeid)},
    {"mac pair+l2", uint16_t(kTupleSrcMac | kTupleDstMac | kTupleEthertype | kTupleVlan |
                             kTupleMpls | kTupleInputPort)},
    {"ip+mac pairs", uint16_t(kTupleSrcIp | kTupleDstIp | kTupleSrcMac | kTupleDstMac)},
    {"ports+proto+inner", uint16_t(kTupleSrcPort | kTupleDstPort | kTupleIpProto |
                                   kTupleGtpInnerIp)},
};

PacketFields mirror(const PacketFields& f) {
  PacketFields r = f;
  memcpy(r.src_mac, f.dst_mac, 6);
  memcpy(r.dst_mac, f.src_mac, 6);
  memcpy(r.src_ip, f.dst_ip, 16);
  memcpy(r.dst_ip, f.src_ip, 16);
  r.src_port = f.dst_port;
  r.dst_port = f.src_port;
  memcpy(r.gtp_inner_src, f.gtp_inner_dst, 16);
  memcpy(r.gtp_inner_dst, f.gtp_inner_src, 16);
  return r;
}

std::string hex(const uint8_t* p, int n) {
  std::string s;
  char buf[4];
  for (int i = 0; i < n; ++i) {
    snprintf(buf, sizeof buf, "%02x", p[i]);
    s += buf;
    if (i % 16 == 15) s += ' ';
  }
  return s;
}

TEST(CoreSymmetry, MirroredFieldsOfEveryCaptureFrame) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  uint64_t frames = 0, ip_frames = 0, checks = 0, failures = 0;
  uint64_t non_palindromic = 0, asym_crc_differs = 0;
  int captures = 0;
  std::vector<std::string> refused;
  for (const auto& path : broker::testing::shared_captures()) {
    const Capture cap = load_capture(path);
    if (!cap.error.empty()) {
      refused.push_back(cap.name + ": " + cap.error);
      continue;
    }
    ++captures;
    uint64_t index = 0;
    for (const auto& fr : cap.frames) {
      ++index;
      ++frames;
      const PacketFields f = parse(fr.data);
      if (f.ip_version == 0) continue;
      ++ip_frames;
      const PacketFields r = mirror(f);
      for (const auto& m : kMasks) {
        uint8_t ko[kKeyBytes], kr[kKeyBytes];
        build_key(f, 0, m.mask, true, ko);
        build_key(r, 0, m.mask, true, kr);
        const bool same_key = memcmp(ko, kr, kKeyBytes) == 0;
        const bool same_crc = crc32_key(ko) == crc32_key(kr);
        const bool same_xor = xor16_key(ko) == xor16_key(kr);
        ++checks;
        if (!(same_key && same_crc && same_xor)) {
          ++failures;
          if (failures <= 20)
            ADD_FAILURE() << cap.name << " frame " << index << " mask " << m.name
                          << ": symmetric key of the mirrored fields differs\n  orig "
                          << hex(ko, kKeyBytes) << "\n  rev  " << hex(kr, kKeyBytes);
        }
      }
      // Sanity: the asymmetric key does tell the directions apart.
      uint8_t ao[kKeyBytes], ar[kKeyBytes];
      build_key(f, 0, kTupleAll, false, ao);
      build_key(r, 0, kTupleAll, false, ar);
      if (memcmp(ao, ar, kKeyBytes) != 0) {
        ++non_palindromic;
        if (crc32_key(ao) != crc32_key(ar)) ++asym_crc_differs;
      }
    }
  }
  for (const auto& s : refused) printf("[ note ] capture refused by PcapSource: %s\n", s.c_str());
  printf("[ info ] symmetry: %d captures, %llu frames, %llu IP frames checked, %llu key/hash "
         "comparisons, %llu non-palindromic, %llu with differing asymmetric crc32\n",
         captures, (unsigned long long)frames, (unsigned long long)ip_frames,
         (unsigned long long)checks, (unsigned long long)non_palindromic,
         (unsigned long long)asym_crc_differs);
  RecordProperty("captures", captures);
  RecordProperty("ip_frames_checked", int(ip_frames));
  RecordProperty("comparisons", int(checks));
  EXPECT_EQ(failures, 0u);
  EXPECT_GT(ip_frames, 100u) << "suspiciously few IP frames in the shared captures";
  EXPECT_GT(non_palindromic, 0u);
  EXPECT_GE(asym_crc_differs * 100, non_palindromic * 99)
      << "asymmetric crc32 should tell the two directions apart for nearly all frames";
}

// ---- Mirrored synthetic frames --------------------------------------------------------

struct Synthetic {
  std::string name;
  Bytes frame;
  // byte ranges to swap to mirror the frame: (offset a, offset b, length)
  std::vector<std::tuple<size_t, size_t, size_t>> swaps;
};

const uint8_t kMacA[6] = {0x02, 0x00, 0x00, 0xAA, 0x00, 0x01};
const uint8_t kMacB[6] = {0x00, 0x1B, 0x21, 0x3C, 0x9D, 0xF8};
const uint8_t kIp4A[4] = {10, 0, 0, 1};
const uint8_t kIp4B[4] = {192, 0, 2, 77};
const uint8_t kIp6A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const uint8_t kIp6B[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};

std::vector<Synthetic> synthetic_frames() {
  std::vector<Synthetic> v;
  {  // IPv4/TCP
    Bytes f = eth(kMacB, kMacA, 0x0800);
    app(f, ipv4(kIp4A, kIp4B, 6, 0x1111, tcp(49152, 443, payload(40, 1))));
    v.push_back({"ipv4_tcp", f, {{0, 6, 6}, {26, 30, 4}, {34, 36, 2}}});
  }
  {  // IPv4/TCP, both MACs and IPs chosen so the ports decide
    Bytes f = eth(kMacA, kMacA, 0x0800);
    app(f, ipv4(kIp4A, kIp4A, 6, 0x2222, tcp(80, 8080, payload(10, 2))));
    v.push_back({"ipv4_tcp_same_hosts", f, {{0, 6, 6}, {26, 30, 4}, {34, 36, 2}}});
  }
  {  // IPv6/UDP
    Bytes f = eth(kMacA, kMacB, 0x86DD);
    app(f, ipv6(kIp6B, kIp6A, 17, udp(5353, 53, payload(30, 3))));
    v.push_back({"ipv6_udp", f, {{0, 6, 6}, {22, 38, 16}, {54, 56, 2}}});
  }
  {  // IPv6 hop-by-hop + destination options, then UDP
    Bytes ext = {60, 0, 0x01, 0x04, 0, 0, 0, 0,     // HbH: next = dst opts, PadN
                 17, 0, 0x01, 0x04, 0, 0, 0, 0};    // dst opts: next = UDP, PadN
    app(ext, udp(40000, 4789, payload(20, 4)));
    Bytes f = eth(kMacB, kMacA, 0x86DD);
    app(f, ipv6(kIp6A, kIp6B, 0, ext));
    v.push_back({"ipv6_ext_udp", f, {{0, 6, 6}, {22, 38, 16}, {70, 72, 2}}});
  }
  {  // GTP-U over IPv4/UDP, inner IPv4/TCP
    Bytes inner = ipv4(kIp4B, kIp4A, 6, 0x3333, tcp(1234, 80, payload(16, 5)));
    Bytes f = eth(kMacA, kMacB, 0x0800);
    const uint8_t s[4] = {172, 16, 1, 1}, d[4] = {172, 16, 9, 9};
    app(f, ipv4(s, d, 17, 0x4444, udp(2152, 2152, gtpu(0x01020304, inner))));
    // outer MACs, IPs, ports; inner IPs at 50+12, inner ports at 70
    v.push_back({"gtp_ipv4_inner_ipv4", f,
                 {{0, 6, 6}, {26, 30, 4}, {34, 36, 2}, {62, 66, 4}, {70, 72, 2}}});
  }
  {  // VLAN, GTP-U over IPv6/UDP, inner IPv6/UDP
    Bytes inner = ipv6(kIp6A, kIp6B, 17, udp(7000, 7001, payload(12, 6)));
    Bytes f = eth(kMacB, kMacA, 0x8100);
    app16(f, 0x2064);  // PCP 1, VID 100
    app16(f, 0x86DD);
    const uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    const uint8_t d[16] = {0x20, 0x01, 0x0d, 0xb8, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20};
    app(f, ipv6(s, d, 17, udp(2152, 2152, gtpu(0xCAFEF00D, inner))));
    // eth 18; outer v6 IPs at 26/42; UDP at 58; GTP at 66; inner v6 at 74: IPs 82/98, ports 114
    v.push_back({"vlan_gtp_ipv6_inner_ipv6", f,
                 {{0, 6, 6}, {26, 42, 16}, {58, 60, 2}, {82, 98, 16}, {114, 116, 2}}});
  }
  return v;
}

Bytes mirrored(const Synthetic& s) {
  Bytes b = s.frame;
  for (const auto& [a, c, n] : s.swaps) swap_ranges_in(b, a, c, n);
  return b;
}

TEST(CoreSymmetry, MirroredSyntheticFramesEndToEnd) {
  auto cfg_crc = make_config(8);
  auto cfg_xor = make_config(8);
  cfg_xor->group[0].hash = kHashXor16;
  cfg_xor->group[0].tuple = kTupleAll & ~kTupleGtpTeid;
  int frames = 0;
  for (const auto& s : synthetic_frames()) {
    SCOPED_TRACE(s.name);
    const Bytes rev = mirrored(s);
    ASSERT_NE(rev, s.frame) << "mirroring must change the frame";
    const PacketFields f = parse(s.frame);
    const PacketFields r = parse(rev);
    // The parser saw what the test built.
    ASSERT_NE(f.ip_version, 0);
    ASSERT_FALSE(f.malformed);
    ASSERT_TRUE(f.has_l4);
    ASSERT_NE(f.src_port, 0);
    const bool is_gtp = s.name.find("gtp") != std::string::npos;
    ASSERT_EQ(f.has_gtp, is_gtp);
    if (is_gtp) {
      ASSERT_NE(f.gtp_inner_version, 0);
    }
    // The mirrored frame parses to the mirrored fields.
    EXPECT_EQ(0, memcmp(r.src_mac, f.dst_mac, 6));
    EXPECT_EQ(0, memcmp(r.dst_mac, f.src_mac, 6));
    EXPECT_EQ(0, memcmp(r.src_ip, f.dst_ip, 16));
    EXPECT_EQ(0, memcmp(r.dst_ip, f.src_ip, 16));
    EXPECT_EQ(r.src_port, f.dst_port);
    EXPECT_EQ(r.dst_port, f.src_port);
    EXPECT_EQ(0, memcmp(r.gtp_inner_src, f.gtp_inner_dst, 16));
    EXPECT_EQ(0, memcmp(r.gtp_inner_dst, f.gtp_inner_src, 16));
    EXPECT_EQ(r.l4_proto, f.l4_proto);
    EXPECT_EQ(r.gtp_teid, f.gtp_teid);
    for (const auto& m : kMasks) {
      uint8_t ko[kKeyBytes], kr[kKeyBytes];
      build_key(f, 0, m.mask, true, ko);
      build_key(r, 0, m.mask, true, kr);
      EXPECT_EQ(0, memcmp(ko, kr, kKeyBytes)) << "mask " << m.name << "\n  orig "
                                              << hex(ko, kKeyBytes) << "\n  rev  "
                                              << hex(kr, kKeyBytes);
      EXPECT_EQ(crc32_key(ko), crc32_key(kr)) << "mask " << m.name;
      EXPECT_EQ(xor16_key(ko), xor16_key(kr)) << "mask " << m.name;
      uint8_t ao[kKeyBytes], ar[kKeyBytes];
      build_key(f, 0, m.mask, false, ao);
      build_key(r, 0, m.mask, false, ar);
      if (memcmp(ao, ar, kKeyBytes) != 0) {
        EXPECT_NE(crc32_key(ao), crc32_key(ar)) << "asymmetric crc32, mask " << m.name;
      }
    }
    // And the whole data path sends both directions to the same port, both hashes.
    for (CoreConfig* cfg : {cfg_crc.get(), cfg_xor.get()}) {
      TestCore core(*cfg);
      const FrameResult a = core.forward(s.frame, 0, 1), b = core.forward(rev, 0, 2);
      EXPECT_EQ(a.decision.hash, b.decision.hash) << "hash kind " << int(cfg->group[0].hash);
      EXPECT_EQ(a.decision.out_port, b.decision.out_port);
      EXPECT_NE(a.decision.out_port, kNoPort);
    }
    frames += 2;
  }
  printf("[ info ] symmetry: %d synthetic frames (%d mirrored pairs) checked end to end\n", frames,
         frames / 2);
  RecordProperty("synthetic_frames", frames);
}

}  // namespace
