// libFuzzer target: a raw Ethernet frame through the data path's parser, key builder, hash and
// selection (hw/hls, the one implementation of packet semantics): the per-frame entry points
// (native/frame_api.h) and the whole core as its tasks run (native/pipeline.h).
//
// Checked on every input, besides ASan/UBSan:
//  - parse_frame never reads the frame past frame_len: it runs on an exact-size heap copy
//    (ASan catches one byte too far) and must agree with the zero-padded 256-byte window;
//  - bytes of the frame past 256 never matter, and neither does its length past the window
//    for the fields (a frame longer than the window is decided before its end is known); a
//    longer frame is never more malformed;
//  - field invariants: tags walked within kVlanTags, 12-bit VLAN ID, 20-bit MPLS label,
//    nothing kept of a layer not found; a later fragment carries no ports, TEID or inner
//    addresses (DESIGN.md fragment rule);
//  - build_key: bytes 94..95 zero; every field not selected in the tuple mask all zero; a
//    selected field holds the parsed value (a first fragment keeps its ports);
//  - symmetric keys: equal to the asymmetric key or to it with every src/dst pair swapped,
//    and equal to the symmetric key of the mirrored packet (src and dst exchanged);
//  - Pipeline::forward (the tasks, configured through registers): a mapped port on an enabled
//    group always forwards to a live member, the decision's hash is the hash of the key, the
//    key is build_key's, a later fragment either follows or misses (never both, never a
//    whole datagram), and the malformed counter counts the verdict;
//  - a second core that terminates every tunnel type on every port, pushes a segment tag on odd
//    ports and runs two filters: a terminated frame leaves as the bytes after its strip (an IP
//    payload of GRE under a made Ethernet header) with the tag after the MACs, its fields are
//    the parser's on those bytes, the strip lies inside the frame, exactly one tunnel counter
//    counts it, and a frame a dropping filter matched leaves nowhere.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "broker_regmap.h"
#include "native/frame_api.h"
#include "native/pipeline.h"

using namespace broker::core;
namespace rm = broker::regmap;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_parser: invariant violated: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

// Every parsed field; the verdicts (malformed, depth_exceeded) only when `verdicts`.
bool same_fields(const PacketFields& a, const PacketFields& b, bool verdicts = true) {
  return std::memcmp(a.dst_mac, b.dst_mac, 6) == 0 && std::memcmp(a.src_mac, b.src_mac, 6) == 0 &&
         a.ethertype == b.ethertype && a.vlan_count == b.vlan_count && a.vlan == b.vlan &&
         a.has_mpls == b.has_mpls && a.mpls == b.mpls && a.ip_version == b.ip_version &&
         a.ip_proto == b.ip_proto && a.l4_proto == b.l4_proto &&
         std::memcmp(a.src_ip, b.src_ip, 16) == 0 && std::memcmp(a.dst_ip, b.dst_ip, 16) == 0 &&
         a.fragment == b.fragment && a.frag_later == b.frag_later && a.frag_proto == b.frag_proto &&
         a.frag_id == b.frag_id && a.has_l4 == b.has_l4 && a.src_port == b.src_port &&
         a.dst_port == b.dst_port && a.has_gtp == b.has_gtp && a.gtp_msgtype == b.gtp_msgtype &&
         a.gtp_teid == b.gtp_teid && a.gtp_inner_version == b.gtp_inner_version &&
         std::memcmp(a.gtp_inner_src, b.gtp_inner_src, 16) == 0 &&
         std::memcmp(a.gtp_inner_dst, b.gtp_inner_dst, 16) == 0 &&
         (!verdicts || (a.malformed == b.malformed && a.depth_exceeded == b.depth_exceeded));
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

void check_fields(const PacketFields& f, size_t size) {
  CHECK(f.vlan_count <= kVlanTags);
  CHECK(f.vlan <= 0xFFF);
  if (f.vlan_count == 0) CHECK(f.vlan == 0);
  CHECK(f.mpls <= 0xFFFFF);
  if (!f.has_mpls) CHECK(f.mpls == 0);
  CHECK(f.ip_version == 0 || f.ip_version == 4 || f.ip_version == 6);
  if (f.ip_version == 0) CHECK(all_zero(f.src_ip, 16) && all_zero(f.dst_ip, 16) && !f.fragment && !f.has_l4);
  if (f.ip_version == 4) CHECK(all_zero(f.src_ip, 12) && all_zero(f.dst_ip, 12));
  if (f.frag_later) CHECK(f.fragment);
  // DESIGN.md: later fragments carry no ports, TEID or inner addresses.
  if (f.frag_later) CHECK(!f.has_l4 && !f.has_gtp && f.gtp_inner_version == 0);
  if (!f.has_l4) CHECK(f.src_port == 0 && f.dst_port == 0 && !f.has_gtp);
  if (!f.has_gtp) CHECK(f.gtp_teid == 0 && f.gtp_inner_version == 0);
  CHECK(f.gtp_inner_version == 0 || f.gtp_inner_version == 4 || f.gtp_inner_version == 6);
  if (f.gtp_inner_version == 0) CHECK(all_zero(f.gtp_inner_src, 16) && all_zero(f.gtp_inner_dst, 16));
  if (size < 14) CHECK(f.malformed);
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
  CHECK(be16(k + kKeyVlan) == ((mask & kTupleVlan) && f.vlan_count ? f.vlan : 0));
  CHECK(be32(k + kKeyMpls) == ((mask & kTupleMpls) && f.has_mpls ? f.mpls : 0));
  // A later fragment's key is its fallback key: no TEID, inner addresses or ports.
  const bool later = f.frag_later;
  CHECK(be32(k + kKeyGtpTeid) == ((mask & kTupleGtpTeid) && f.has_gtp && !later ? f.gtp_teid : 0));
  if ((mask & kTupleGtpInnerIp) && f.gtp_inner_version && !later) {
    CHECK(std::memcmp(k + kKeyGtpInnerSrc, f.gtp_inner_src, 16) == 0);
    CHECK(std::memcmp(k + kKeyGtpInnerDst, f.gtp_inner_dst, 16) == 0);
  } else {
    CHECK(all_zero(k + kKeyGtpInnerSrc, 32));
  }
  if (mask & kTupleSrcIp) CHECK(std::memcmp(k + kKeySrcIp, f.src_ip, 16) == 0);
  else CHECK(all_zero(k + kKeySrcIp, 16));
  if (mask & kTupleDstIp) CHECK(std::memcmp(k + kKeyDstIp, f.dst_ip, 16) == 0);
  else CHECK(all_zero(k + kKeyDstIp, 16));
  // A first fragment keeps its ports (DESIGN.md); a later one has none.
  const bool ports = f.has_l4 && !later;
  CHECK(be16(k + kKeySrcPort) == ((mask & kTupleSrcPort) && ports ? f.src_port : 0));
  CHECK(be16(k + kKeyDstPort) == ((mask & kTupleDstPort) && ports ? f.dst_port : 0));
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

// The two groups' settings that stay; the rest comes from each input.
constexpr int kFuzzGroups = 2;
uint8_t member_port(int g, int m) { return uint8_t((m + 4 * g) % kOutPorts); }

struct GroupSettings {
  bool symmetric = false, xor16 = false, dynamic = false;
  uint16_t tuple = kTupleAll, live = 0x0F;
};

// The core, configured through its registers as the driver would: ingress port p maps to
// group p % 2, each group has 16 members (ports rotated by 4 per group), 4 live at first, a
// round-robin indirection table over the first four slots, 1 ms idle and fragment timeouts.
struct State {
  Pipeline core;
  GroupSettings grp[kFuzzGroups];
  uint16_t util[kOutPorts]{};
  uint64_t now_us = 0;

  State() {
    for (int p = 0; p < kInPorts; ++p) core.post_csr(rm::IN_MAP_at(p), rm::IN_MAP_VALID_MASK | uint32_t(p % 2));
    for (int g = 0; g < kFuzzGroups; ++g) {
      core.post_csr(rm::GRP_THRESH_BP_at(g), 8000);
      core.post_csr(rm::GRP_IDLE_US_at(g), 1000);
      core.post_csr(rm::GRP_FRAG_TIMEOUT_US_at(g), 1000);
      for (int m = 0; m < kMembers; ++m) core.post_csr(rm::MEMBER_at(g * kMembers + m), member_port(g, m));
      for (int w = 0; w < kBuckets / 8; ++w) {
        uint32_t v = 0;
        for (int n = 0; n < 8; ++n) v |= uint32_t((w * 8 + n) % 4) << (4 * n);
        core.post_csr(rm::IND_at(g * (kBuckets / 8) + w), v);
      }
      post_group(g);
    }
    core.post_csr(rm::CTRL, rm::CTRL_ENABLE_MASK);
    core.flush_csr(0);
  }
  void post_group(int g) {
    const GroupSettings& s = grp[g];
    core.post_csr(rm::GRP_CTRL_at(g), rm::GRP_CTRL_ENABLE_MASK |
                                          (uint32_t(s.xor16 ? rm::GRP_CTRL_HASH_XOR16 : 0) << rm::GRP_CTRL_HASH_LSB) |
                                          (s.symmetric ? rm::GRP_CTRL_SYMMETRIC_MASK : 0u) |
                                          (uint32_t(s.dynamic ? 1 : 0) << rm::GRP_CTRL_MODE_LSB));
    core.post_csr(rm::GRP_TUPLE_at(g), s.tuple);
    core.post_csr(rm::GRP_LIVE_at(g), s.live);
  }
  uint64_t counter(uint32_t lo) {
    const uint64_t l = core.read_counter(lo);
    return l | uint64_t(core.read_counter(lo + 4)) << 32;
  }
};

State& state() {
  static State* s = new State();
  return *s;
}

// Termination, segment tags and filters (tunnel_parse, decap, filter, egress).
struct TunnelState {
  Pipeline core;
  TunnelState() {
    for (int p = 0; p < kInPorts; ++p) {
      core.post_csr(rm::IN_MAP_at(p), rm::IN_MAP_VALID_MASK);
      core.post_csr(rm::TUN_CTRL_at(p), rm::TUN_CTRL_GRE_MASK | rm::TUN_CTRL_ERSPAN_MASK | rm::TUN_CTRL_VXLAN_MASK);
      core.post_csr(rm::SEG_TAG_at(p), p % 2 ? uint32_t(100 + p) : 0u);
    }
    core.post_csr(rm::GRP_CTRL_at(0), rm::GRP_CTRL_ENABLE_MASK | rm::GRP_CTRL_SYMMETRIC_MASK);
    core.post_csr(rm::GRP_TUPLE_at(0), kTupleAll);
    core.post_csr(rm::GRP_LIVE_at(0), 0x3);
    core.post_csr(rm::GRP_CTRL_at(1), rm::GRP_CTRL_ENABLE_MASK);
    core.post_csr(rm::GRP_TUPLE_at(1), kTupleSrcIp);
    core.post_csr(rm::GRP_LIVE_at(1), 0x1);
    core.post_csr(rm::MEMBER_at(0), 0);
    core.post_csr(rm::MEMBER_at(1), 1);
    core.post_csr(rm::MEMBER_at(kMembers), 2);
    // Rule 0 drops UDP to ports 0..99; rule 1 copies IPv4 from 10.0.0.0/8 to groups 0 and 1.
    core.post_csr(rm::FLT_TYPE_at(0), 17u << rm::FLT_TYPE_IP_PROTO_LSB);
    core.post_csr(rm::FLT_DPORT_at(0), 99u << rm::FLT_DPORT_MAX_LSB);
    core.post_csr(rm::FLT_CTRL_at(0), rm::FLT_CTRL_VALID_MASK | rm::FLT_CTRL_DROP_MASK | rm::FLT_CTRL_IN_PORTS_MASK |
                                          rm::FLT_CTRL_IP_PROTO_MASK | rm::FLT_CTRL_DPORT_MASK);
    core.post_csr(rm::FLT_SRC_ADDR3_at(1), 10u);
    core.post_csr(rm::FLT_PREFIX_LEN_at(1), 8u << rm::FLT_PREFIX_LEN_SRC_LSB);
    core.post_csr(rm::FLT_GROUPS_at(1), 0x3u << rm::FLT_GROUPS_MASK_LSB);
    core.post_csr(rm::FLT_CTRL_at(1), rm::FLT_CTRL_VALID_MASK | rm::FLT_CTRL_IN_PORTS_MASK |
                                          (1u << rm::FLT_CTRL_SRC_VER_LSB));
    core.post_csr(rm::CTRL, rm::CTRL_ENABLE_MASK);
    core.flush_csr(0);
  }
  uint64_t counter(uint32_t lo) {
    const uint64_t l = core.read_counter(lo);
    return l | uint64_t(core.read_counter(lo + 4)) << 32;
  }
};

TunnelState& tunnel_state() {
  static TunnelState* s = new TunnelState();
  return *s;
}

void check_termination(const uint8_t* data, size_t size, uint8_t in_port) {
  if (size == 0 || in_port >= kInPorts) return;
  TunnelState& s = tunnel_state();
  const uint64_t before[3] = {s.counter(rm::TUN_TERMINATED_LO_at(in_port)), s.counter(rm::TUN_PASSED_LO_at(in_port)),
                              s.counter(rm::TUN_FRAGMENTS_LO_at(in_port))};
  static const uint16_t kIdle[kOutPorts] = {};
  FrameResult r;
  s.core.forward(in_port, data, uint32_t(size), 1, kIdle, r);
  const uint64_t after[3] = {s.counter(rm::TUN_TERMINATED_LO_at(in_port)), s.counter(rm::TUN_PASSED_LO_at(in_port)),
                             s.counter(rm::TUN_FRAGMENTS_LO_at(in_port))};
  CHECK(r.term.verdict >= kTunTerminated && r.term.verdict <= kTunFragment);
  for (int k = 0; k < 3; ++k) CHECK(after[k] - before[k] == (r.term.verdict == k + 1 ? 1u : 0u));
  CHECK(size_t(r.term.strip) < size);
  CHECK((r.term.verdict == kTunTerminated) == (r.fields.tunnel != kTunNone));
  CHECK(r.term.verdict == kTunTerminated || r.term.strip == 0);
  // The golden model: the bytes after the strip, an IP payload under a made Ethernet header.
  std::vector<uint8_t> inner(data + r.term.strip, data + size);
  if (r.term.l3) {
    CHECK(inner.size() >= 14);
    std::memset(inner.data(), 0, 12);
    inner[12] = uint8_t(r.fields.ethertype >> 8);
    inner[13] = uint8_t(r.fields.ethertype);
    CHECK(r.fields.ethertype == 0x0800 || r.fields.ethertype == 0x86DD);
  }
  uint8_t hdr[kParseBytes] = {};
  std::memcpy(hdr, inner.data(), inner.size() < size_t(kParseBytes) ? inner.size() : size_t(kParseBytes));
  PacketFields g;
  parse_frame(hdr, uint32_t(inner.size()), g);
  CHECK(same_fields(r.fields, g));
  if (r.decision.filter_drop) CHECK(r.decision.out_port == kNoPort && r.decision.out_mask == 0);
  // Rule 1's copies: one to group 0 (port 0 or 1), one to group 1 (port 2).
  if (r.decision.filtered && !r.decision.filter_drop) {
    CHECK(r.decision.copy_groups == 0x3);
    CHECK(r.decision.port_of[1] == 2 && r.decision.port_of[0] <= 1);
    CHECK(r.decision.out_mask == ((1u << r.decision.port_of[0]) | (1u << 2)));
  }
  if (r.decision.out_port == kNoPort) {
    CHECK(s.core.delivered().empty());
    return;
  }
  if (in_port % 2 && inner.size() >= 12) {
    const uint8_t tag[4] = {0x81, 0x00, 0x00, uint8_t(100 + in_port)};
    inner.insert(inner.begin() + 12, tag, tag + 4);
  }
  CHECK(s.core.delivered() == inner);
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
  check_fields(f, size);

  // The same frame on an exact-size heap buffer: a read past frame_len is an ASan report.
  if (size <= size_t(kParseBytes)) {
    std::unique_ptr<uint8_t[]> exact(new uint8_t[size ? size : 1]);
    if (size) std::memcpy(exact.get(), data, size);
    PacketFields g;
    parse_frame(exact.get(), uint32_t(size), g);
    CHECK(same_fields(f, g));
  }
  // Past the window, neither the bytes nor the length change a field: the fabric decides a
  // long frame before its end is known. A longer frame satisfies every length a shorter one
  // did: never more malformed.
  if (size > size_t(kParseBytes)) {
    PacketFields g;
    parse_frame(hdr, uint32_t(size) + 1000u * t1 + 1u, g);
    CHECK(same_fields(f, g, false));
    if (!f.malformed) CHECK(!g.malformed);
  }

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

  // The whole decision by the core's tasks, with the groups' settings from the input.
  State& s = state();
  for (int g = 0; g < kFuzzGroups; ++g) {
    GroupSettings& gs = s.grp[g];
    gs.symmetric = (t1 >> 4) & 1;
    gs.xor16 = gs.symmetric && ((t1 >> 5) & 1);  // asymmetric xor16 is refused configuration
    gs.dynamic = (t1 >> 6) & 1;
    gs.tuple = gs.symmetric ? pair_closed(derived | 1) : uint16_t(derived | 1);
    gs.live = uint16_t(t0 >> 4) ? uint16_t(t0 >> 4) : 0x0F;
    s.post_group(g);
  }
  s.now_us += t1;
  s.core.flush_csr(s.now_us);
  for (int p = 0; p < kOutPorts; ++p) s.util[p] = uint16_t((p * 1111 + t0 * 7) % 10001);
  const uint64_t malformed_before = s.counter(rm::MALFORMED_LO);
  FrameResult r;
  s.core.forward(in_port, data, uint32_t(size), s.now_us, s.util, r);
  CHECK(s.counter(rm::MALFORMED_LO) == malformed_before + (r.fields.malformed ? 1 : 0));
  CHECK(same_fields(r.fields, f));
  CHECK(!(r.decision.frag_follow && r.decision.frag_miss));
  if (in_port < kInPorts) {
    const int g = in_port % 2;
    const GroupSettings& gs = s.grp[g];
    CHECK(r.decision.group == g);
    CHECK(r.decision.out_port != kNoPort);
    CHECK((gs.live >> r.decision.slot) & 1);
    CHECK(r.decision.out_port == member_port(g, r.decision.slot));
    CHECK(r.decision.hash == (gs.xor16 ? uint32_t(xor16_key(r.key)) : crc32_key(r.key)));
    CHECK(r.decision.bucket == (r.decision.hash & (kBuckets - 1)));
    uint8_t k[kKeyBytes];
    build_key(f, in_port, gs.tuple, gs.symmetric, k);
    CHECK(std::memcmp(k, r.key, kKeyBytes) == 0);
    // A later fragment follows its first fragment or is decided by its fallback key (a
    // miss); nothing else does either.
    if (f.frag_later) CHECK(r.decision.frag_follow != r.decision.frag_miss);
    else CHECK(!r.decision.frag_follow && !r.decision.frag_miss);
  } else {
    CHECK(r.decision.out_port == kNoPort);
    CHECK(!r.decision.frag_follow && !r.decision.frag_miss);
  }
  check_termination(data, size, in_port);
  return 0;
}
