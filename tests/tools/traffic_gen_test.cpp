// The generator is the project's only source of example traffic, so its frames must be what
// it says they are: checked here by reading them back independently (a small header walker
// for lengths and checksums) and through the data path's own parser.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

#include <unistd.h>

#include <gtest/gtest.h>

#include "native/frame_api.h"
#include "pcap_source.h"
#include "traffic_gen.h"

namespace {

using namespace broker::tools;
namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

TrafficOptions small_options(uint64_t seed) {
  TrafficOptions o;
  o.seed = seed;
  o.sessions = 300;
  o.duration_ms = 500;
  return o;
}

const Traffic& traffic() {
  static const Traffic t = generate_traffic(small_options(42));
  return t;
}

unsigned rd16(const Bytes& b, size_t o) { return (unsigned(b.at(o)) << 8) | b.at(o + 1); }
uint32_t rd32(const Bytes& b, size_t o) { return (uint32_t(rd16(b, o)) << 16) | rd16(b, o + 2); }

uint32_t sum_words(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t(p[i]) << 8) | p[i + 1];
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return uint16_t(acc);
}
// 0xFFFF when the one's-complement sum over data carrying its own checksum is right.
uint16_t ones_sum(const uint8_t* p, size_t n, uint32_t acc = 0) { return fold(sum_words(p, n, acc)); }

uint32_t pseudo(bool v6, const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t len) {
  const size_t n = v6 ? 16 : 4;
  return sum_words(src, n, sum_words(dst, n)) + proto + (len >> 16) + (len & 0xFFFF);
}

// Where the headers of a generated frame sit, found by walking the bytes (not by asking the
// generator).
struct Layout {
  size_t l3 = 0;        // outer IP header
  size_t ip = 0;        // the IP header in front of the session's transport (GTP: inner)
  size_t l4 = 0;        // that transport header; 0 in a non-first fragment
  size_t l4_end = 0;    // end of the transport message by the IP length
};

Layout walk(const SessionInfo& s, const Bytes& b) {
  Layout L;
  L.l3 = 14 + 4 * size_t(s.vlan_count) + 4 * size_t(s.mpls_count);
  L.ip = L.l3;
  if (s.kind == SessionKind::kGtpU) {
    const size_t g = L.l3 + 20 + 8;
    size_t p = g + 8;
    if (b.at(g) & 0x07) {
      uint8_t next = b.at(g + 11);
      p = g + 12;
      while (next) {
        const size_t len = size_t(b.at(p)) * 4;
        next = b.at(p + len - 1);
        p += len;
      }
    }
    L.ip = p;
  }
  if (s.ip_version == 6 && s.kind != SessionKind::kGtpU) {
    L.l4 = L.ip + 40;
    L.l4_end = L.l4 + rd16(b, L.ip + 4);
  } else {
    const size_t ihl = size_t(b.at(L.ip) & 0x0F) * 4;
    L.l4_end = L.ip + rd16(b, L.ip + 2);
    L.l4 = (rd16(b, L.ip + 6) & 0x1FFF) ? 0 : L.ip + ihl;
  }
  return L;
}

const SessionInfo& session_of(const GeneratedFrame& f) { return traffic().sessions.at(f.session); }

TEST(traffic_gen, SameSeedSameFramesOtherSeedOtherFrames) {
  const Traffic again = generate_traffic(small_options(42));
  const Traffic& t = traffic();
  ASSERT_EQ(t.frames.size(), again.frames.size());
  for (size_t i = 0; i < t.frames.size(); ++i) {
    ASSERT_EQ(t.frames[i].point, again.frames[i].point) << i;
    ASSERT_EQ(t.frames[i].ts_ns, again.frames[i].ts_ns) << i;
    ASSERT_EQ(t.frames[i].bytes, again.frames[i].bytes) << i;
  }
  const Traffic other = generate_traffic(small_options(43));
  size_t same = 0;
  for (size_t i = 0; i < std::min(t.frames.size(), other.frames.size()); ++i)
    same += t.frames[i].bytes == other.frames[i].bytes;
  EXPECT_LT(same, t.frames.size() / 100);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(traffic_gen, FilesAreByteIdenticalTimeOrderedAndSummarized) {
  const fs::path base = fs::temp_directory_path() / ("traffic_gen_test_" + std::to_string(::getpid()));
  fs::remove_all(base);
  TrafficOptions o = small_options(7);
  o.sessions = 200;
  const auto s1 = write_traffic(o, (base / "a").string());
  const auto s2 = write_traffic(o, (base / "b").string());
  const Traffic mem = generate_traffic(o);
  ASSERT_EQ(s1.size(), 8u);
  uint64_t frames = 0;
  for (int p = 0; p < 8; ++p) {
    const fs::path a = base / "a" / point_file_name(p), b = base / "b" / point_file_name(p);
    EXPECT_EQ(a.filename(), "tap-" + std::to_string(p + 1) + ".pcap");
    const std::string bytes = slurp(a);
    EXPECT_EQ(bytes, slurp(b)) << a;
    // Nanosecond pcap magic, as written on a little-endian host.
    ASSERT_GE(bytes.size(), 24u);
    EXPECT_EQ(uint8_t(bytes[0]), 0x4D);
    EXPECT_EQ(uint8_t(bytes[3]), 0xA1);

    broker::io::PcapSource src(a.string());
    broker::io::Frame f;
    uint64_t n = 0, total = 0, last = 0;
    std::vector<const GeneratedFrame*> expected;
    for (const auto& g : mem.frames)
      if (g.point == p) expected.push_back(&g);
    while (src.next(f)) {
      if (n) {
        EXPECT_GT(f.ts_ns, last) << a << " frame " << n + 1;
      }
      last = f.ts_ns;
      ASSERT_LT(n, expected.size());
      EXPECT_EQ(f.ts_ns, expected[n]->ts_ns);
      EXPECT_EQ(f.data, expected[n]->bytes);
      total += f.data.size();
      ++n;
    }
    EXPECT_EQ(n, expected.size());
    EXPECT_EQ(n, s1[p].frames);
    EXPECT_EQ(total, s1[p].bytes);
    EXPECT_GT(s1[p].sessions, 0u);
    EXPECT_EQ(s1[p].sessions, s2[p].sessions);
    frames += n;
  }
  EXPECT_EQ(frames, mem.frames.size());
  fs::remove_all(base);
}

TEST(traffic_gen, LengthsAndChecksumsAreRight) {
  size_t checked_ip = 0, checked_l4 = 0;
  for (const auto& f : traffic().frames) {
    const SessionInfo& s = session_of(f);
    const Bytes& b = f.bytes;
    const Layout L = walk(s, b);
    const bool gtp = s.kind == SessionKind::kGtpU;
    // Outer IP header and length.
    size_t outer_len;
    if (s.ip_version == 4) {
      ASSERT_EQ(b.at(L.l3), 0x45);
      EXPECT_EQ(ones_sum(&b[L.l3], 20), 0xFFFF) << "outer IPv4 checksum, session " << f.session;
      outer_len = rd16(b, L.l3 + 2);
      ++checked_ip;
    } else {
      ASSERT_EQ(b.at(L.l3) >> 4, 6);
      outer_len = 40 + rd16(b, L.l3 + 4);
    }
    EXPECT_EQ(b.size(), std::max<size_t>(60, L.l3 + outer_len)) << "session " << f.session;
    if (gtp) {
      const size_t udp = L.l3 + 20, g = udp + 8;
      EXPECT_EQ(rd16(b, udp), 2152u);
      EXPECT_EQ(rd16(b, udp + 4), outer_len - 20);
      EXPECT_EQ(rd16(b, g + 2) + 8, outer_len - 28) << "GTP length";
      EXPECT_EQ(ones_sum(&b[L.ip], 20), 0xFFFF) << "inner IPv4 checksum";
      EXPECT_EQ(L.ip + rd16(b, L.ip + 2), L.l3 + outer_len) << "inner IPv4 length";
      ++checked_ip;
    }
    if (f.fragment) continue;  // transport checksums span fragments: see the fragment test
    const bool v6 = s.ip_version == 6 && !gtp;
    const size_t n = L.l4_end - L.l4;
    const uint8_t proto = v6 ? b.at(L.ip + 6) : b.at(L.ip + 9);
    if (proto == 1) {
      EXPECT_EQ(ones_sum(&b[L.l4], n), 0xFFFF) << "ICMP checksum";
    } else {
      const uint8_t* src = v6 ? &b[L.ip + 8] : &b[L.ip + 12];
      const uint8_t* dst = v6 ? &b[L.ip + 24] : &b[L.ip + 16];
      EXPECT_EQ(ones_sum(&b[L.l4], n, pseudo(v6, src, dst, proto, uint32_t(n))), 0xFFFF)
          << "L4 checksum, proto " << int(proto) << ", session " << f.session;
      if (proto == 17) {
        EXPECT_EQ(rd16(b, L.l4 + 4), n);
      }
    }
    ++checked_l4;
  }
  EXPECT_GT(checked_ip, 1000u);
  EXPECT_GT(checked_l4, 1000u);
}

TEST(traffic_gen, MixHasEveryKindElephantsAndRealisticSizes) {
  const Traffic& t = traffic();
  std::map<SessionKind, size_t> sessions, frames;
  for (const auto& s : t.sessions) ++sessions[s.kind];
  for (const auto& f : t.frames) ++frames[session_of(f).kind];
  for (int k = 0; k < kSessionKinds; ++k) {
    EXPECT_GE(sessions[SessionKind(k)], 1u) << to_string(SessionKind(k));
    EXPECT_GE(frames[SessionKind(k)], 2u) << to_string(SessionKind(k));
  }
  // Most sessions are plain IPv4 TCP.
  EXPECT_GT(sessions[SessionKind::kIpv4Tcp], t.sessions.size() / 3);

  std::map<uint32_t, size_t> per_session;
  for (const auto& f : t.frames) ++per_session[f.session];
  size_t elephants = 0, jumbo_frames = 0, full_frames = 0, min_frames = 0;
  for (const auto& s : t.sessions) {
    if (!s.elephant) {
      // Four exchanges of the largest response (120 kB) stay below this; elephants go far above.
      EXPECT_LT(per_session[s.id], 600u) << "session " << s.id;
      continue;
    }
    ++elephants;
    EXPECT_GT(per_session[s.id], 400u) << "elephant " << s.id;
  }
  EXPECT_GE(elephants, 1u);
  for (const auto& f : t.frames) {
    const SessionInfo& s = session_of(f);
    EXPECT_GE(f.bytes.size(), 60u);
    EXPECT_LE(f.bytes.size(), s.jumbo ? 9014u : 1514u + 4u * s.vlan_count + 4u * s.mpls_count);
    jumbo_frames += f.bytes.size() > 1522;
    full_frames += f.bytes.size() >= 1514 && f.bytes.size() <= 1522;
    min_frames += f.bytes.size() == 60;
  }
  EXPECT_GT(jumbo_frames, 0u);
  EXPECT_GT(full_frames, 0u);
  EXPECT_GT(min_frames, 0u);
}

TEST(traffic_gen, DirectionsAppearWhereTheTopologySays) {
  const Traffic& t = traffic();
  std::vector<std::set<uint8_t>> up(t.sessions.size()), down(t.sessions.size());
  for (const auto& f : t.frames) (f.to_server ? up : down)[f.session].insert(f.point);
  size_t split = 0, span = 0;
  std::set<SessionKind> split_kinds;
  for (const auto& s : t.sessions) {
    ASSERT_EQ(up[s.id].size(), 1u) << "session " << s.id;
    ASSERT_EQ(down[s.id].size(), 1u) << "session " << s.id << " has no reverse direction";
    EXPECT_EQ(*up[s.id].begin(), s.point_to_server);
    EXPECT_EQ(*down[s.id].begin(), s.point_to_client);
    if (s.split()) {
      ++split;
      split_kinds.insert(s.kind);
      EXPECT_EQ(s.point_to_client, s.point_to_server ^ 1) << "a TAP pair's partner";
    } else {
      ++span;
    }
  }
  EXPECT_GT(split, t.sessions.size() / 4);
  EXPECT_GT(span, t.sessions.size() / 4);
  EXPECT_GE(split_kinds.size(), 5u);
  std::set<uint8_t> points;
  for (const auto& f : t.frames) points.insert(f.point);
  EXPECT_EQ(points.size(), 8u);
}

bool same_ip(const uint8_t a[16], const uint8_t b[16]) { return std::memcmp(a, b, 16) == 0; }

TEST(traffic_gen, ParserReadsWhatWasGenerated) {
  using broker::core::kParseBytes;
  size_t gtp_frames = 0;
  for (const auto& f : traffic().frames) {
    const SessionInfo& s = session_of(f);
    const bool up = f.to_server;
    uint8_t hdr[kParseBytes] = {};
    std::memcpy(hdr, f.bytes.data(), std::min<size_t>(f.bytes.size(), kParseBytes));
    broker::core::PacketFields p;
    broker::core::parse_frame(hdr, uint32_t(f.bytes.size()), p);
    SCOPED_TRACE(::testing::Message() << to_string(s.kind) << " session " << s.id
                                      << (up ? " to server" : " to client"));
    ASSERT_FALSE(p.malformed);
    ASSERT_FALSE(p.depth_exceeded);
    EXPECT_EQ(std::memcmp(p.src_mac, up ? s.client_mac : s.server_mac, 6), 0);
    EXPECT_EQ(std::memcmp(p.dst_mac, up ? s.server_mac : s.client_mac, 6), 0);
    // The parser counts the tags it walked and keeps the outer ID and the top label only
    // (DESIGN.md); the inner tags and deeper labels are checked in the bytes.
    EXPECT_EQ(p.vlan_count, s.vlan_count);
    if (s.vlan_count) EXPECT_EQ(p.vlan, s.vlan_id[0]);
    for (int i = 0; i < s.vlan_count; ++i) {
      EXPECT_EQ(rd16(f.bytes, 12 + 4 * size_t(i)), s.vlan_tpid[i]) << "tag " << i;
      EXPECT_EQ(rd16(f.bytes, 14 + 4 * size_t(i)) & 0xFFF, s.vlan_id[i]) << "tag " << i;
    }
    EXPECT_EQ(p.ethertype, s.mpls_count ? 0x8847 : s.ip_version == 6 ? 0x86DD : 0x0800);
    EXPECT_EQ(p.has_mpls, s.mpls_count > 0);
    if (s.mpls_count) EXPECT_EQ(p.mpls, up ? s.mpls_to_server[0] : s.mpls_to_client[0]);
    for (int i = 0; i < s.mpls_count; ++i) {
      const uint32_t lse = rd32(f.bytes, 14 + 4 * size_t(s.vlan_count) + 4 * size_t(i));
      EXPECT_EQ(lse >> 12, up ? s.mpls_to_server[i] : s.mpls_to_client[i]) << "label " << i;
      EXPECT_EQ((lse >> 8) & 1, i + 1 == s.mpls_count ? 1u : 0u) << "bottom of stack, label " << i;
    }
    EXPECT_EQ(p.ip_version, s.ip_version);
    const bool gtp = s.kind == SessionKind::kGtpU;
    EXPECT_EQ(p.ip_proto, gtp ? 17 : s.l4_proto);
    EXPECT_TRUE(same_ip(p.src_ip, up ? s.client_ip : s.server_ip));
    EXPECT_TRUE(same_ip(p.dst_ip, up ? s.server_ip : s.client_ip));
    EXPECT_EQ(p.fragment, f.fragment != 0);
    if (s.kind == SessionKind::kIpv4Fragmented && !up) {
      EXPECT_NE(f.fragment, 0) << "answers are always fragmented";
    }
    const bool ports = s.l4_proto != 1 && f.fragment <= 1;
    EXPECT_EQ(p.has_l4, ports);
    EXPECT_EQ(p.src_port, ports ? (up ? s.client_port : s.server_port) : 0);
    EXPECT_EQ(p.dst_port, ports ? (up ? s.server_port : s.client_port) : 0);
    EXPECT_EQ(p.has_gtp, gtp);
    if (gtp) {
      ++gtp_frames;
      EXPECT_EQ(p.gtp_msgtype, 0xFF);
      EXPECT_EQ(p.gtp_teid, up ? s.teid_uplink : s.teid_downlink);
      EXPECT_NE(s.teid_uplink, s.teid_downlink);
      EXPECT_EQ(p.gtp_inner_version, 4);
      EXPECT_TRUE(same_ip(p.gtp_inner_src, up ? s.inner_client_ip : s.inner_server_ip));
      EXPECT_TRUE(same_ip(p.gtp_inner_dst, up ? s.inner_server_ip : s.inner_client_ip));
    }
    if (::testing::Test::HasFailure()) return;  // one frame's story is enough
  }
  EXPECT_GT(gtp_frames, 0u);
  std::set<std::vector<uint8_t>> ues;
  for (const auto& s : traffic().sessions)
    if (s.kind == SessionKind::kGtpU) ues.emplace(s.inner_client_ip, s.inner_client_ip + 16);
  EXPECT_GE(ues.size(), 3u) << "GTP-U carries many UEs";
}

TEST(traffic_gen, TcpSessionsHandshakeExchangeAndClose) {
  const Traffic& t = traffic();
  std::vector<std::vector<const GeneratedFrame*>> by_session(t.sessions.size());
  for (const auto& f : t.frames) by_session[f.session].push_back(&f);
  size_t checked = 0;
  for (const auto& s : t.sessions) {
    if (s.l4_proto != 6) continue;
    SCOPED_TRACE(::testing::Message() << to_string(s.kind) << " session " << s.id);
    const auto& fs = by_session[s.id];
    ASSERT_GE(fs.size(), 7u);
    uint32_t next_seq[2] = {0, 0};
    bool data[2] = {false, false}, fin[2] = {false, false};
    for (size_t i = 0; i < fs.size(); ++i) {
      const Bytes& b = fs[i]->bytes;
      const Layout L = walk(s, b);
      const int d = fs[i]->to_server ? 0 : 1;
      const uint8_t flags = b.at(L.l4 + 13);
      const uint32_t seq = rd32(b, L.l4 + 4), ack = rd32(b, L.l4 + 8);
      const size_t payload = L.l4_end - L.l4 - size_t(b.at(L.l4 + 12) >> 4) * 4;
      if (i == 0) {
        EXPECT_TRUE(d == 0 && flags == 0x02) << "SYN first";
      } else if (i == 1) {
        EXPECT_TRUE(d == 1 && flags == 0x12) << "SYN-ACK second";
      } else if (i == 2) {
        EXPECT_TRUE(d == 0 && flags == 0x10) << "ACK third";
      }
      if (i >= 2) {
        EXPECT_EQ(seq, next_seq[d]) << "frame " << i;
        EXPECT_EQ(ack, next_seq[1 - d]) << "frame " << i;
      }
      next_seq[d] = seq + uint32_t(payload) + ((flags & 0x02) ? 1 : 0) + ((flags & 0x01) ? 1 : 0);
      data[d] |= payload > 0;
      fin[d] |= (flags & 0x01) != 0;
      if (i + 1 < fs.size()) {
        EXPECT_LT(fs[i]->ts_ns, fs[i + 1]->ts_ns);
      }
    }
    EXPECT_TRUE(data[0] && data[1]) << "data both ways";
    EXPECT_TRUE(fin[0] && fin[1]) << "FIN both ways";
    ++checked;
  }
  EXPECT_GT(checked, 100u);
}

TEST(traffic_gen, FragmentedDatagramsReassemble) {
  const Traffic& t = traffic();
  struct Datagram {
    const SessionInfo* s;
    std::map<size_t, Bytes> parts;  // offset -> payload
    size_t end = 0;
    int last_flags = -1;
    int frames = 0;
    const uint8_t* ip = nullptr;
    Bytes header;
  };
  std::map<std::tuple<uint32_t, bool, unsigned>, Datagram> datagrams;
  for (const auto& f : t.frames) {
    if (!f.fragment) continue;
    const SessionInfo& s = session_of(f);
    ASSERT_EQ(s.kind, SessionKind::kIpv4Fragmented);
    const Bytes& b = f.bytes;
    const size_t l3 = 14;
    const unsigned ff = rd16(b, l3 + 6);
    const size_t off = size_t(ff & 0x1FFF) * 8, len = rd16(b, l3 + 2) - 20;
    Datagram& d = datagrams[{f.session, f.to_server, rd16(b, l3 + 4)}];
    d.s = &s;
    d.parts[off] = Bytes(b.begin() + l3 + 20, b.begin() + l3 + 20 + len);
    if (off == 0) d.header = Bytes(b.begin() + l3, b.begin() + l3 + 20);
    if (!(ff & 0x2000)) {
      EXPECT_EQ(d.end, 0u) << "one last fragment";
      d.end = off + len;
    }
    ++d.frames;
  }
  ASSERT_GT(datagrams.size(), 5u);
  for (auto& [key, d] : datagrams) {
    EXPECT_GE(d.frames, 2);
    EXPECT_LE(d.frames, 3);
    Bytes whole;
    for (const auto& [off, part] : d.parts) {
      ASSERT_EQ(off, whole.size()) << "contiguous offsets";
      if (whole.size() + part.size() < d.end) {
        EXPECT_EQ(part.size() % 8, 0u);
      }
      whole.insert(whole.end(), part.begin(), part.end());
    }
    ASSERT_EQ(whole.size(), d.end);
    ASSERT_EQ(d.header.size(), 20u);
    EXPECT_EQ(rd16(whole, 4), whole.size()) << "UDP length covers the datagram";
    EXPECT_EQ(ones_sum(whole.data(), whole.size(),
                       pseudo(false, &d.header[12], &d.header[16], 17, uint32_t(whole.size()))),
              0xFFFF)
        << "UDP checksum over the reassembled datagram";
  }
}

TEST(traffic_gen, TimestampsFollowDurationAndLineRate) {
  TrafficOptions o = small_options(5);
  o.rate_mbps = 100;  // slow enough that points get busy and frames queue
  const Traffic t = generate_traffic(o);
  for (const auto& s : t.sessions) {
    EXPECT_GE(s.start_ns, o.start_ns);
    EXPECT_LT(s.start_ns, o.start_ns + o.duration_ms * 1000000);
  }
  std::vector<const GeneratedFrame*> last(8, nullptr);
  size_t queued = 0;
  for (const auto& f : t.frames) {
    if (const GeneratedFrame* prev = last[f.point]) {
      const double wire_ns = double(prev->bytes.size() + 24) * 8 * 1000 / o.rate_mbps;
      EXPECT_GE(double(f.ts_ns - prev->ts_ns), wire_ns - 1e-6);
      queued += double(f.ts_ns - prev->ts_ns) < wire_ns + 1;
    }
    last[f.point] = &f;
  }
  EXPECT_GT(queued, 0u) << "at 100 Mbit/s some frames must have waited for the link";
}

TEST(traffic_gen, RefusesOptionsOutOfRange) {
  TrafficOptions o;
  o.points = 0;
  EXPECT_THROW(TrafficGenerator{o}, std::invalid_argument);
  o = {};
  o.rate_mbps = 0;
  EXPECT_THROW(TrafficGenerator{o}, std::invalid_argument);
  o = {};
  o.duration_ms = 0;
  EXPECT_THROW(TrafficGenerator{o}, std::invalid_argument);
  o = {};
  o.sessions = 0;
  o.points = 3;  // an odd count: the last point has no TAP partner
  TrafficGenerator empty(o);
  GeneratedFrame f;
  EXPECT_FALSE(empty.next(f));
}

TEST(traffic_gen, OddPointCountsKeepEveryPointInRange) {
  TrafficOptions o = small_options(9);
  o.points = 3;
  o.sessions = 60;
  const Traffic t = generate_traffic(o);
  for (const auto& f : t.frames) ASSERT_LT(f.point, 3);
  for (const auto& s : t.sessions) {
    if (s.point_to_server == 2) {
      EXPECT_FALSE(s.split()) << "point 3 has no partner";
    }
  }
}

}  // namespace
