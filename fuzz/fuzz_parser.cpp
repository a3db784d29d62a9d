// libFuzzer target: a raw Ethernet frame through the data path's parser, key builder, hash and
// selection (hw/hls, the one implementation of packet semantics).
//
// Checked on every input, besides ASan/UBSan:
//  - parse_frame never reads the frame past frame_len: it runs on an exact-size heap copy
//    (ASan catches one byte too far) and must agree with the zero-padded 256-byte window;
//  - bytes of the frame past 256 never matter;
//  - build_key: bytes 94..95 zero; every field not selected in the tuple mask all zero; a
//    selected field holds the parsed value; fragments carry no ports;
//  - symmetric keys: equal to the asymmetric key or to it with every src/dst pair swapped,
//    and equal to the symmetric key of the mirrored packet (src and dst exchanged);
//  - process_frame: a mapped port on an enabled group always forwards to a member, the
//    decision's hash is the hash of the key, and the malformed counter counts the verdict.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "broker_core.h"
#include "hash.h"
#include "hash_key.h"
#include "parser.h"

using namespace broker::core;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_parser: invariant violated: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

bool same_fields(const PacketFields& a, const PacketFields& b) {
  bool same = std::memcmp(a.dst_mac, b.dst_mac, 6) == 0 && std::memcmp(a.src_mac, b.src_mac, 6) == 0 &&
              a.ethertype == b.ethertype && a.vlan_count == b.vlan_count &&
              a.mpls_count == b.mpls_count && a.ip_version == b.ip_version &&
              a.ip_proto == b.ip_proto && a.l4_proto == b.l4_proto &&
              std::memcmp(a.src_ip, b.src_ip, 16) == 0 && std::memcmp(a.dst_ip, b.dst_ip, 16) == 0 &&
              a.fragment == b.fragment && a.has_l4 == b.has_l4 && a.src_port == b.src_port &&
              a.dst_port == b.dst_port && a.has_gtp == b.has_gtp && a.gtp_msgtype == b.gtp_msgtype &&
              a.gtp_teid == b.gtp_teid && a.gtp_inner_version == b.gtp_inner_version &&
              std::memcmp(a.gtp_inner_src, b.gtp_inner_src, 16) == 0 &&
              std::memcmp(a.gtp_inner_dst, b.gtp_inner_dst, 16) == 0 && a.malformed == b.malformed &&
              a.depth_exceeded == b.depth_exceeded;
  for (int i = 0; i < kMaxVlanTags; ++i) same = same && a.vlan_ids[i] == b.vlan_ids[i];
  for (int i = 0; i < kMaxMplsLabels; ++i) same = same && a.mpls_labels[i] == b.mpls_labels[i];
  return same;
}

PacketFields mirrored(const PacketFields& f) {
  PacketFields m = f;
  std::memcpy(m.src_mac, f.dst_mac, 6);
  std::memcpy(m.dst_mac, f.src_mac, 6);
  std::memcpy(m.src_ip, f.dst_ip, 16);
  std::memcpy(m.dst_ip, f.src_ip, 16);
  m.src_port = f.dst_port;
  m.dst_port = f.src_port;
  std::memcpy(m.gtp_inner_src, f.gtp_inner_dst, 16);
  std::memcpy(m.gtp_inner_dst, f.gtp_inner_src, 16);
  return m;
}

bool all_zero(const uint8_t* p, int n) {
  for (int i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}
uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// A mask whose src/dst halves are both selected or both not (what the validator accepts
// for symmetric groups).
uint16_t pair_closed(uint16_t m) {
  const uint16_t pairs[3][2] = {{kTupleSrcMac, kTupleDstMac}, {kTupleSrcIp, kTupleDstIp},
                                {kTupleSrcPort, kTupleDstPort}};
  for (auto& p : pairs)
    if (m & (p[0] | p[1])) m |= p[0] | p[1];
  return m;
}

void check_plain_key(const PacketFields& f, uint8_t in_port, uint16_t mask, const uint8_t* k) {
  CHECK(k[94] == 0 && k[95] == 0);
  CHECK(k[kKeyInputPort] == ((mask & kTupleInputPort) ? in_port : 0));
  CHECK(k[kKeyIpProto] == ((mask & kTupleIpProto) && f.ip_version ? f.l4_proto : 0));
  CHECK(be16(k + kKeyEthertype) == ((mask & kTupleEthertype) ? f.ethertype : 0));
  if (mask & kTupleSrcMac) CHECK(std::memcmp(k + kKeySrcMac, f.src_mac, 6) == 0);
  else CHECK(all_zero(k + kKeySrcMac, 6));
  if (mask & kTupleDstMac) CHECK(std::memcmp(k + kKeyDstMac, f.dst_mac, 6) == 0);
  else CHECK(all_zero(k + kKeyDstMac, 6));
  CHECK(be16(k + kKeyVlan) == ((mask & kTupleVlan) && f.vlan_count ? (f.vlan_ids[0] & 0xFFF) : 0));
  CHECK(be32(k + kKeyMpls) == ((mask & kTupleMpls) && f.mpls_count ? (f.mpls_labels[0] & 0xFFFFF) : 0));
  CHECK(be32(k + kKeyGtpTeid) == ((mask & kTupleGtpTeid) && f.has_gtp ? f.gtp_teid : 0));
  if ((mask & kTupleGtpInnerIp) && f.gtp_inner_version) {
    CHECK(std::memcmp(k + kKeyGtpInnerSrc, f.gtp_inner_src, 16) == 0);
    CHECK(std::memcmp(k + kKeyGtpInnerDst, f.gtp_inner_dst, 16) == 0);
  } else {
    CHECK(all_zero(k + kKeyGtpInnerSrc, 32));
  }
  if (mask & kTupleSrcIp) CHECK(std::memcmp(k + kKeySrcIp, f.src_ip, 16) == 0);
  else CHECK(all_zero(k + kKeySrcIp, 16));
  if (mask & kTupleDstIp) CHECK(std::memcmp(k + kKeyDstIp, f.dst_ip, 16) == 0);
  else CHECK(all_zero(k + kKeyDstIp, 16));
  const bool ports = f.has_l4 && !f.fragment;
  CHECK(be16(k + kKeySrcPort) == ((mask & kTupleSrcPort) && ports ? f.src_port : 0));
  CHECK(be16(k + kKeyDstPort) == ((mask & kTupleDstPort) && ports ? f.dst_port : 0));
  // IPv4 addresses: the first 12 bytes of the slot are zero.
  if (f.ip_version == 4) CHECK(all_zero(k + kKeySrcIp, 12) && all_zero(k + kKeyDstIp, 12));
}

void swap_pairs(uint8_t* k) {
  const int pairs[4][3] = {{kKeySrcIp, kKeyDstIp, 16}, {kKeySrcPort, kKeyDstPort, 2},
                           {kKeySrcMac, kKeyDstMac, 6}, {kKeyGtpInnerSrc, kKeyGtpInnerDst, 16}};
  for (auto& p : pairs)
    for (int i = 0; i < p[2]; ++i) std::swap(k[p[0] + i], k[p[1] + i]);
}

void check_keys(const PacketFields& f, uint8_t in_port, uint16_t mask) {
  uint8_t plain[kKeyBytes], sym[kKeyBytes], sym_m[kKeyBytes], swapped[kKeyBytes];
  build_key(f, in_port, mask, false, plain);
  check_plain_key(f, in_port, mask, plain);
  build_key(f, in_port, mask, true, sym);
  std::memcpy(swapped, plain, kKeyBytes);
  swap_pairs(swapped);
  CHECK(std::memcmp(sym, plain, kKeyBytes) == 0 || std::memcmp(sym, swapped, kKeyBytes) == 0);
  // Both directions of a session give the same symmetric key (for masks the validator
  // accepts in symmetric groups: each src/dst pair whole).
  if (mask == pair_closed(mask)) {
    const PacketFields m = mirrored(f);
    build_key(m, in_port, mask, true, sym_m);
    CHECK(std::memcmp(sym, sym_m, kKeyBytes) == 0);
    CHECK(crc32_key(sym) == crc32_key(sym_m));
    CHECK(xor16_key(plain) == xor16_key(swapped));
  }
}

struct State {
  CoreConfig cfg{};
  FlowTable flows{};
  CoreCounters counters{};
  uint16_t util[kOutPorts]{};
};

State& state() {
  static State* s = [] {
    auto* st = new State();
    st->cfg.enable = true;
    for (int p = 0; p < kInPorts; ++p) st->cfg.in_map[p] = uint8_t(kInMapValid | (p % 2));
    for (int g = 0; g < 2; ++g) {
      GroupConfig& gc = st->cfg.group[g];
      gc.enable = true;
      gc.live = 0x0F;
      for (int m = 0; m < kMembers; ++m) gc.member_port[m] = uint8_t((m + 4 * g) % kOutPorts);
      gc.idle_us = 1000;
      gc.threshold_bp = 8000;
      for (int b = 0; b < kBuckets; ++b) st->cfg.ind[g][b] = uint8_t(b % 4);
    }
    return st;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  // Parameters come from the last bytes (a frame's trailer rarely matters to the parser),
  // so the frame itself stays the whole input and corpus files are plain frames.
  const uint8_t t0 = size ? data[size - 1] : 0, t1 = size > 1 ? data[size - 2] : 0;
  const uint8_t in_port = t0 % 9;  // 8: an unmapped (nonexistent) port

  // The window as the soft card builds it: the first 256 bytes, zero-padded.
  uint8_t hdr[kParseBytes] = {};
  std::memcpy(hdr, data, size < size_t(kParseBytes) ? size : size_t(kParseBytes));
  PacketFields f;
  parse_frame(hdr, uint32_t(size), f);

  // The same frame on an exact-size heap buffer: a read past frame_len is an ASan report.
  if (size <= size_t(kParseBytes)) {
    std::unique_ptr<uint8_t[]> exact(new uint8_t[size ? size : 1]);
    if (size) std::memcpy(exact.get(), data, size);
    PacketFields g;
    parse_frame(exact.get(), uint32_t(size), g);
    CHECK(same_fields(f, g));
  }
  // Bytes past the window do not matter: the fabric decides with frame_len known early.
  if (size > size_t(kParseBytes)) {
    PacketFields g;
    parse_frame(hdr, uint32_t(size) + 1000u * t1, g);
    CHECK(g.ip_version == f.ip_version && std::memcmp(g.src_ip, f.src_ip, 16) == 0);
  }
  if (f.vlan_count > kMaxVlanTags || f.mpls_count > kMaxMplsLabels) fail("tag counts over bounds");
  if (f.ip_version != 0 && f.ip_version != 4 && f.ip_version != 6) fail("ip_version");
  if (!f.has_l4) CHECK(f.src_port == 0 && f.dst_port == 0);
  if (!f.has_gtp) CHECK(f.gtp_teid == 0 && f.gtp_inner_version == 0);
  if (size < 14) CHECK(f.malformed);

  // Keys for fixed masks and for masks taken from the input.
  static const uint16_t kMasks[] = {
      kTupleAll, kTupleSrcIp | kTupleDstIp | kTupleSrcPort | kTupleDstPort | kTupleIpProto,
      kTupleSrcIp | kTupleDstIp, kTupleSrcMac | kTupleDstMac | kTupleVlan | kTupleEthertype,
      kTupleGtpTeid | kTupleGtpInnerIp, kTupleMpls | kTupleInputPort, kTupleSrcIp,
      kTupleSrcPort | kTupleDstMac};
  for (uint16_t m : kMasks) check_keys(f, in_port, m);
  const uint16_t derived = uint16_t((t1 << 8 | t0) & kTupleAll);
  check_keys(f, in_port, derived);
  check_keys(f, in_port, pair_closed(derived));

  // The whole decision, with the group's settings from the input.
  State& s = state();
  for (int g = 0; g < 2; ++g) {
    GroupConfig& gc = s.cfg.group[g];
    gc.symmetric = (t1 >> 4) & 1;
    gc.hash = gc.symmetric && ((t1 >> 5) & 1) ? kHashXor16 : kHashCrc32;
    gc.mode = (t1 >> 6) & 1 ? kModeDynamic : kModeStatic;
    gc.tuple = gc.symmetric ? pair_closed(derived | 1) : uint16_t(derived | 1);
    gc.live = uint16_t(t0 >> 4) ? uint16_t(t0 >> 4) : 0x0F;
  }
  for (int p = 0; p < kOutPorts; ++p) s.util[p] = uint16_t((p * 1111 + t0 * 7) % 10001);
  static uint64_t now_us = 0;
  now_us += t1;
  const uint64_t malformed_before = s.counters.malformed;
  FrameResult r;
  process_frame(hdr, uint32_t(size), in_port, now_us, s.cfg, s.util, s.flows, s.counters, r);
  CHECK(s.counters.malformed == malformed_before + (r.fields.malformed ? 1 : 0));
  CHECK(same_fields(r.fields, f));
  if (in_port < kInPorts) {
    const GroupConfig& gc = s.cfg.group[in_port % 2];
    CHECK(r.decision.group == in_port % 2);
    CHECK(r.decision.out_port != kNoPort);
    CHECK((gc.live >> r.decision.slot) & 1);
    CHECK(r.decision.out_port == gc.member_port[r.decision.slot]);
    CHECK(r.decision.hash == (gc.hash == kHashXor16 ? uint32_t(xor16_key(r.key)) : crc32_key(r.key)));
    CHECK(r.decision.bucket == (r.decision.hash & (kBuckets - 1)));
    uint8_t k[kKeyBytes];
    build_key(f, in_port, gc.tuple, gc.symmetric, k);
    CHECK(std::memcmp(k, r.key, kKeyBytes) == 0);
  } else {
    CHECK(r.decision.out_port == kNoPort);
  }
  return 0;
}
