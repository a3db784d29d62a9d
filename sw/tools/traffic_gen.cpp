#include "traffic_gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <queue>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "pcap_source.h"

namespace broker::tools {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86DD;
constexpr uint16_t kEthMpls = 0x8847;
constexpr uint16_t kGtpPort = 2152;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
constexpr size_t kMinFrame = 60;  // 64 on the wire with the FCS, which captures do not keep
constexpr uint32_t kMtu = 1500;
constexpr uint32_t kJumboMtu = 9000;
constexpr uint64_t kUs = 1000;
constexpr uint64_t kMs = 1000 * kUs;

// Raw mt19937_64 output only: std::uniform_int_distribution and friends are allowed to differ
// between standard libraries, which would make "same seed, same bytes" a per-platform promise.
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint64_t bits() { return g_(); }
  // Uniform in [0, n); rejecting the short top interval keeps it free of modulo bias.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t x = g_();
      if (x >= threshold) return x % n;
    }
  }
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  bool chance(double p) { return double(g_() >> 11) * 0x1.0p-53 < p; }
  void fill(uint8_t* p, size_t n) {
    while (n >= 8) {
      uint64_t x = g_();
      for (int i = 0; i < 8; ++i, x >>= 8) *p++ = uint8_t(x);
      n -= 8;
    }
    if (n) {
      uint64_t x = g_();
      for (; n; --n, x >>= 8) *p++ = uint8_t(x);
    }
  }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& a) {
    return a[below(N)];
  }

 private:
  std::mt19937_64 g_;
};

void put8(Bytes& b, unsigned v) { b.push_back(uint8_t(v)); }
void put16(Bytes& b, unsigned v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}
void set16(uint8_t* p, unsigned v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void append(Bytes& b, const uint8_t* p, size_t n) { b.insert(b.end(), p, p + n); }

uint32_t add_words(uint32_t acc, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t(p[i]) << 8) | p[i + 1];
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  return acc;
}
uint16_t finish(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return uint16_t(~acc);
}

// Addresses of one IP header; IPv4 in the last 4 bytes of each 16-byte slot.
struct Addrs {
  bool v6;
  const uint8_t* src;
  const uint8_t* dst;
};

uint32_t pseudo_header(const Addrs& a, uint8_t proto, uint32_t len) {
  uint32_t acc = 0;
  const size_t off = a.v6 ? 0 : 12, n = a.v6 ? 16 : 4;
  acc = add_words(acc, a.src + off, n);
  acc = add_words(acc, a.dst + off, n);
  return acc + proto + (len >> 16) + (len & 0xFFFF);
}

void ipv4_header(Bytes& out, const Addrs& a, uint8_t proto, uint16_t id, uint16_t flags_frag,
                 uint8_t ttl, uint8_t tos, size_t total) {
  const size_t o = out.size();
  put8(out, 0x45);
  put8(out, tos);
  put16(out, unsigned(total));
  put16(out, id);
  put16(out, flags_frag);
  put8(out, ttl);
  put8(out, proto);
  put16(out, 0);
  append(out, a.src + 12, 4);
  append(out, a.dst + 12, 4);
  set16(&out[o + 10], finish(add_words(0, &out[o], 20)));
}

void ipv6_header(Bytes& out, const Addrs& a, uint8_t next, uint8_t hop_limit, uint32_t flow,
                 size_t payload) {
  put32(out, 0x60000000u | (flow & 0xFFFFF));
  put16(out, unsigned(payload));
  put8(out, next);
  put8(out, hop_limit);
  append(out, a.src, 16);
  append(out, a.dst, 16);
}

// ---------------------------------------------------------------------------------------------
// The world the sessions live in: hosts, servers, UEs, gateways. Pools rather than fresh
// addresses per session, because real traffic repeats clients and servers, and that is what
// makes a load balancer's spread interesting.

using Addr = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 6>;

constexpr std::array<std::array<uint8_t, 3>, 7> kHostOuis = {{
    {0x00, 0x1b, 0x21}, {0x3c, 0xfd, 0xfe}, {0x00, 0x50, 0x56}, {0xf8, 0xbc, 0x12},
    {0xa4, 0xbb, 0x6d}, {0x00, 0x25, 0x90}, {0xac, 0x1f, 0x6b}}};
constexpr std::array<std::array<uint8_t, 3>, 4> kRouterOuis = {{
    {0x00, 0x1c, 0x73}, {0x28, 0x99, 0x3a}, {0x00, 0x00, 0x0c}, {0x84, 0xb8, 0x02}}};

template <size_t N>
Mac make_mac(Rng& rng, const std::array<std::array<uint8_t, 3>, N>& ouis) {
  const auto& oui = rng.pick(ouis);
  Mac m{oui[0], oui[1], oui[2], 0, 0, 0};
  rng.fill(m.data() + 3, 3);
  return m;
}
Addr v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  Addr x{};
  x[12] = uint8_t(a), x[13] = uint8_t(b), x[14] = uint8_t(c), x[15] = uint8_t(d);
  return x;
}
// 2001:db8:<site>:<subnet>::/64 with a random interface identifier, like SLAAC privacy addresses.
Addr v6(Rng& rng, unsigned site, unsigned subnet) {
  Addr x{0x20, 0x01, 0x0d, 0xb8};
  x[4] = uint8_t(site >> 8), x[5] = uint8_t(site);
  x[6] = uint8_t(subnet >> 8), x[7] = uint8_t(subnet);
  rng.fill(x.data() + 8, 8);
  return x;
}

struct Host {
  Addr ip4, ip6;
  Mac mac;
  uint16_t next_port;  // Linux hands out ephemeral ports from a moving counter
};
struct Server {
  Addr ip4, ip6;
};
struct Enb {
  Addr ip;
  Mac mac;
};
struct Ue {
  Addr ip;
  uint32_t teid_uplink, teid_downlink;
  uint32_t enb;
  uint16_t next_port;
};

uint16_t take_port(uint16_t& next, Rng& rng) {
  const uint16_t p = next;
  next = uint16_t(next + rng.range(1, 7));
  if (next > 60999 || next < 32768) next = uint16_t(32768 + (next % 1000));
  return p;
}

constexpr std::array<uint16_t, 20> kTcpServices = {443, 443, 443, 443, 443, 443, 443, 443, 443, 443,
                                                   443, 443, 80,  80,  80,  80,  22,  8080, 3306, 993};
constexpr std::array<uint16_t, 10> kUdpServices = {53, 53, 53, 53, 53, 443, 443, 443, 123, 5060};

// Per-mille shares of the session kinds (SessionKind order): mostly plain IPv4 TCP, as on a
// real enterprise or carrier link, with every other kind present.
constexpr std::array<uint32_t, kSessionKinds> kKindWeights = {450, 60, 80, 40, 90,
                                                              40,  60, 100, 40, 40};

std::vector<SessionKind> assign_kinds(uint32_t n, Rng& rng) {
  std::array<uint64_t, kSessionKinds> count{}, rem{};
  uint64_t given = 0;
  for (int k = 0; k < kSessionKinds; ++k) {
    count[k] = uint64_t(n) * kKindWeights[k] / 1000;
    rem[k] = uint64_t(n) * kKindWeights[k] % 1000;
    given += count[k];
  }
  std::array<int, kSessionKinds> order;
  for (int k = 0; k < kSessionKinds; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rem[a] > rem[b]; });
  for (int i = 0; given < n; ++i, ++given) ++count[order[i % kSessionKinds]];
  // Small runs (tests) still get every kind: the rarest would otherwise round to zero.
  if (n >= uint32_t(kSessionKinds)) {
    for (int k = 0; k < kSessionKinds; ++k) {
      if (count[k]) continue;
      auto largest = std::max_element(count.begin(), count.end());
      --*largest;
      ++count[k];
    }
  }
  std::vector<SessionKind> kinds;
  kinds.reserve(n);
  for (int k = 0; k < kSessionKinds; ++k) kinds.insert(kinds.end(), count[k], SessionKind(k));
  for (size_t i = kinds.size(); i > 1; --i) std::swap(kinds[i - 1], kinds[rng.below(i)]);
  return kinds;
}

// Points come in pairs (tap-1/2, tap-3/4, ...). Even pairs are optical TAPs, which split one
// link's two directions over their two points; odd pairs are SPAN ports, each seeing both
// directions of its own link. A point without a partner is a SPAN port.
bool is_tap_point(int p, int points) { return (p / 2) % 2 == 0 && (p ^ 1) < points; }

// ---------------------------------------------------------------------------------------------
// A session's frames, built whole when it starts: each step's gap is measured from the actual
// time of the step before, so a busy point that delays a frame delays the replies too.

struct Step {
  uint64_t gap_ns;
  bool to_server;
  uint8_t fragment;
  Bytes bytes;
};

class ScriptBuilder {
 public:
  ScriptBuilder(const SessionInfo& s, uint64_t seed) : s_(s), rng_(seed) {
    gtp_ = s.kind == SessionKind::kGtpU;
    v6_ = s.ip_version == 6;
    ip_mtu_ = s.jumbo ? kJumboMtu : kMtu;
    gtp_ext_ = gtp_ && rng_.chance(0.3);  // 5G N3: PDU session container extension header
    qfi_ = uint8_t(rng_.range(1, 9));
    const uint32_t gtp_overhead = gtp_ ? 20 + 8 + 8 + (gtp_ext_ ? 8 : 0) : 0;
    inner_mtu_ = ip_mtu_ - gtp_overhead;
    rtt_ns_ = rng_.range(300 * kUs, 6 * kMs);
    // Windows clients do not offer TCP timestamps by default; then neither side uses them.
    timestamps_ = rng_.chance(0.7);
    for (int i = 0; i < 2; ++i) {
      Side& d = side_[i];
      d.seq = uint32_t(rng_.bits());
      d.ip_id = uint16_t(rng_.bits());
      d.inner_ip_id = uint16_t(rng_.bits());
      // The client sits a hop or two from the measurement point, the server further away.
      d.ttl = i == 0 ? uint8_t(rng_.chance(0.7) ? 64 - rng_.range(0, 2) : 128 - rng_.range(0, 2))
                     : uint8_t((rng_.chance(0.5) ? 64 : rng_.chance(0.5) ? 128 : 255) -
                               rng_.range(4, 20));
      d.inner_ttl = uint8_t(64 - rng_.range(0, 1));
      d.mpls_ttl = uint8_t(255 - rng_.range(0, 6));
      d.flow = uint32_t(rng_.range(1, 0xFFFFF));
      d.ts_base = uint32_t(rng_.bits());
      d.syn_win = i == 0 ? (rng_.chance(0.7) ? 64240 : 65535) : (rng_.chance(0.5) ? 65160 : 28960);
      d.win = uint16_t(rng_.range(250, 3000));
      d.wscale = uint8_t(rng_.range(7, 9));
      const uint32_t l3 = v6_ ? 40 : 20;
      d.mss = uint16_t(inner_mtu_ - l3 - 20);
    }
    l4_client_port_ = gtp_ ? s.inner_client_port : s.client_port;
    l4_server_port_ = gtp_ ? s.inner_server_port : s.server_port;
  }

  std::vector<Step> build() {
    switch (s_.kind) {
      case SessionKind::kIcmpEcho:
        icmp_session();
        break;
      case SessionKind::kIpv4Fragmented:
        fragmented_session();
        break;
      default:
        if (s_.l4_proto == kProtoTcp) tcp_session();
        else udp_session();
    }
    return std::move(steps_);
  }

 private:
  struct Side {
    uint32_t seq;
    uint16_t ip_id, inner_ip_id;
    uint8_t ttl, inner_ttl, mpls_ttl;
    uint32_t flow;
    uint32_t ts_base, last_tsval = 0;
    uint16_t syn_win, win;
    uint8_t wscale;
    uint16_t mss;
  };
  static constexpr int kClient = 0, kServer = 1;

  uint64_t rtt() { return rtt_ns_ - rtt_ns_ / 5 + rng_.below(rtt_ns_ * 2 / 5 + 1); }
  uint64_t think() { return rng_.range(200 * kUs, 5 * kMs); }
  uint64_t burst() { return rng_.range(3 * kUs, 60 * kUs); }
  uint64_t ack_delay() { return rng_.range(20 * kUs, 400 * kUs); }
  size_t data_mss(int from) const { return side_[from].mss - (timestamps_ ? 12 : 0); }
  size_t udp_max() const { return inner_mtu_ - (v6_ ? 40 : 20) - 8; }

  // --- L2 and L3 around a transport message --------------------------------------------------

  void l2(Bytes& f, bool up, uint16_t ethertype) {
    append(f, up ? s_.server_mac : s_.client_mac, 6);
    append(f, up ? s_.client_mac : s_.server_mac, 6);
    for (int i = 0; i < s_.vlan_count; ++i) {
      put16(f, s_.vlan_tpid[i]);
      put16(f, s_.vlan_id[i]);
    }
    if (s_.mpls_count == 0) {
      put16(f, ethertype);
      return;
    }
    put16(f, kEthMpls);
    const uint32_t* labels = up ? s_.mpls_to_server : s_.mpls_to_client;
    for (int i = 0; i < s_.mpls_count; ++i) {
      const bool bottom = i + 1 == s_.mpls_count;
      put32(f, (labels[i] << 12) | (bottom ? 0x100u : 0u) | side_[up ? 0 : 1].mpls_ttl);
    }
  }

  void push(uint64_t gap, bool up, uint8_t fragment, Bytes&& f) {
    if (f.size() < kMinFrame) f.resize(kMinFrame, 0);
    clock_ns_ += gap;
    steps_.push_back(Step{gap, up, fragment, std::move(f)});
  }

  void send(int from, uint64_t gap, uint8_t proto, const Bytes& l4) {
    const bool up = from == kClient;
    Side& me = side_[from];
    const Addrs outer{v6_, up ? s_.client_ip : s_.server_ip, up ? s_.server_ip : s_.client_ip};
    const uint16_t df = proto == kProtoUdp && l4_server_port_ != 443 ? 0 : 0x4000;
    Bytes f;
    f.reserve(64 + l4.size());
    if (gtp_) {
      const Addrs inner{false, up ? s_.inner_client_ip : s_.inner_server_ip,
                        up ? s_.inner_server_ip : s_.inner_client_ip};
      const size_t inner_len = 20 + l4.size();
      const size_t gtp_len = (gtp_ext_ ? 8 : 0) + inner_len;  // bytes after the 8-byte header
      const size_t udp_len = 8 + 8 + gtp_len;
      l2(f, up, kEthIpv4);
      ipv4_header(f, outer, kProtoUdp, me.ip_id++, 0, 64, 0, 20 + udp_len);
      // Outer UDP checksum 0: what eNBs and SGWs send over IPv4.
      put16(f, kGtpPort);
      put16(f, kGtpPort);
      put16(f, unsigned(udp_len));
      put16(f, 0);
      put8(f, gtp_ext_ ? 0x34 : 0x30);  // version 1, PT 1, E when the extension follows
      put8(f, 0xFF);                    // G-PDU
      put16(f, unsigned(gtp_len));
      put32(f, up ? s_.teid_uplink : s_.teid_downlink);
      if (gtp_ext_) {
        put16(f, 0);     // sequence (S clear)
        put8(f, 0);      // N-PDU (PN clear)
        put8(f, 0x85);   // next: PDU session container
        put8(f, 1);      // length in 4-byte units
        put8(f, up ? 0x10 : 0x00);  // PDU type: UL PDU SESSION INFORMATION (1) / DL (0)
        put8(f, qfi_);
        put8(f, 0);      // no further extension
      }
      ipv4_header(f, inner, proto, me.inner_ip_id++, df, me.inner_ttl, 0, inner_len);
      append(f, l4.data(), l4.size());
      push(gap, up, 0, std::move(f));
    } else if (v6_) {
      l2(f, up, kEthIpv6);
      ipv6_header(f, outer, proto, me.ttl, me.flow, l4.size());
      append(f, l4.data(), l4.size());
      push(gap, up, 0, std::move(f));
    } else if (20 + l4.size() <= ip_mtu_) {
      l2(f, up, kEthIpv4);
      ipv4_header(f, outer, proto, me.ip_id++, df, me.ttl, 0, 20 + l4.size());
      append(f, l4.data(), l4.size());
      push(gap, up, 0, std::move(f));
    } else {
      fragment(up, gap, proto, outer, l4);
    }
  }

  // One datagram as IPv4 fragments: one IP ID, offsets in 8-byte units, MF on all but the
  // last. Some stacks send the last fragment first, so a few datagrams arrive that way.
  void fragment(bool up, uint64_t gap, uint8_t proto, const Addrs& a, const Bytes& l4) {
    Side& me = side_[up ? kClient : kServer];
    const size_t chunk = (ip_mtu_ - 20) & ~size_t(7);
    const size_t n = (l4.size() + chunk - 1) / chunk;
    const uint16_t id = me.ip_id++;
    const bool reversed = rng_.chance(0.2);
    for (size_t i = 0; i < n; ++i) {
      const size_t k = reversed ? n - 1 - i : i;
      const size_t off = k * chunk, len = std::min(chunk, l4.size() - off);
      const uint16_t flags_frag = uint16_t((k + 1 < n ? 0x2000 : 0) | (off / 8));
      Bytes f;
      f.reserve(64 + len);
      l2(f, up, kEthIpv4);
      ipv4_header(f, a, proto, id, flags_frag, me.ttl, 0, 20 + len);
      append(f, l4.data() + off, len);
      push(i == 0 ? gap : rng_.range(1 * kUs, 6 * kUs), up, uint8_t(k + 1), std::move(f));
    }
  }

  Addrs l4_addrs(bool up) const {
    if (gtp_)
      return {false, up ? s_.inner_client_ip : s_.inner_server_ip,
              up ? s_.inner_server_ip : s_.inner_client_ip};
    return {v6_, up ? s_.client_ip : s_.server_ip, up ? s_.server_ip : s_.client_ip};
  }

  // --- transports ------------------------------------------------------------------------------

  // data: the payload, or nullptr for random bytes (encrypted application data).
  void tcp(int from, uint64_t gap, uint8_t flags, size_t payload, const uint8_t* data = nullptr) {
    const bool up = from == kClient;
    Side& me = side_[from];
    const Side& peer = side_[1 - from];
    const uint32_t tsval = me.ts_base + uint32_t((clock_ns_ + gap) / kMs);
    me.last_tsval = tsval;
    Bytes opts;
    if ((flags & kSyn) && timestamps_) {
      // Linux's SYN options: MSS, SACK permitted, timestamps, NOP, window scale.
      put8(opts, 2), put8(opts, 4), put16(opts, me.mss);
      put8(opts, 4), put8(opts, 2);
      put8(opts, 8), put8(opts, 10), put32(opts, tsval), put32(opts, (flags & kAck) ? peer.last_tsval : 0);
      put8(opts, 1), put8(opts, 3), put8(opts, 3), put8(opts, me.wscale);
    } else if (flags & kSyn) {
      // Windows': MSS, NOP, window scale, NOP, NOP, SACK permitted.
      put8(opts, 2), put8(opts, 4), put16(opts, me.mss);
      put8(opts, 1), put8(opts, 3), put8(opts, 3), put8(opts, me.wscale);
      put8(opts, 1), put8(opts, 1), put8(opts, 4), put8(opts, 2);
    } else if (timestamps_) {
      put8(opts, 1), put8(opts, 1);
      put8(opts, 8), put8(opts, 10), put32(opts, tsval), put32(opts, peer.last_tsval);
    }
    const size_t hlen = 20 + opts.size();
    Bytes seg;
    seg.reserve(hlen + payload);
    put16(seg, up ? l4_client_port_ : l4_server_port_);
    put16(seg, up ? l4_server_port_ : l4_client_port_);
    put32(seg, me.seq);
    put32(seg, (flags & kAck) ? peer.seq : 0);
    put8(seg, unsigned(hlen / 4) << 4);
    put8(seg, flags);
    put16(seg, (flags & kSyn) ? me.syn_win : me.win);
    put16(seg, 0);
    put16(seg, 0);
    append(seg, opts.data(), opts.size());
    seg.resize(hlen + payload);
    if (data) std::copy(data, data + payload, seg.begin() + ptrdiff_t(hlen));
    else rng_.fill(seg.data() + hlen, payload);
    set16(&seg[16], finish(add_words(pseudo_header(l4_addrs(up), kProtoTcp, uint32_t(seg.size())),
                                     seg.data(), seg.size())));
    me.seq += uint32_t(payload) + ((flags & kSyn) ? 1 : 0) + ((flags & kFin) ? 1 : 0);
    send(from, gap, kProtoTcp, seg);
  }

  void udp(int from, uint64_t gap, size_t payload) {
    Bytes data(payload);
    rng_.fill(data.data(), payload);
    udp(from, gap, data);
  }
  void udp(int from, uint64_t gap, const Bytes& payload) {
    const bool up = from == kClient;
    Bytes d(8);
    set16(&d[0], up ? l4_client_port_ : l4_server_port_);
    set16(&d[2], up ? l4_server_port_ : l4_client_port_);
    set16(&d[4], unsigned(8 + payload.size()));
    append(d, payload.data(), payload.size());
    uint16_t sum = finish(add_words(pseudo_header(l4_addrs(up), kProtoUdp, uint32_t(d.size())),
                                    d.data(), d.size()));
    set16(&d[6], sum ? sum : 0xFFFF);  // 0 would mean "no checksum"
    send(from, gap, kProtoUdp, d);
  }

  void icmp(int from, uint64_t gap, uint16_t seq) {
    Bytes m;
    put8(m, from == kClient ? 8 : 0);  // echo request / reply
    put8(m, 0);
    put16(m, 0);
    put16(m, s_.icmp_id);
    put16(m, seq);
    if (windows_ping_) {
      for (int i = 0; i < 32; ++i) put8(m, 'a' + i % 23);
    } else {
      // Linux ping: an 8-byte send time, then the pattern 0x10, 0x11, ...
      const uint64_t t = (s_.start_ns + clock_ns_ + gap) / kUs;
      for (int i = 0; i < 4; ++i) put8(m, uint8_t((t / 1000000) >> (8 * i)));
      for (int i = 0; i < 4; ++i) put8(m, uint8_t((t % 1000000) >> (8 * i)));
      for (int i = 0; i < 48; ++i) put8(m, 0x10 + i);
    }
    set16(&m[2], finish(add_words(0, m.data(), m.size())));
    send(from, gap, kProtoIcmp, m);
  }

  // --- application messages, for the cleartext protocols a capture viewer decodes ------------

  std::string word(size_t lo, size_t hi) {
    std::string w(size_t(rng_.range(lo, hi)), 'a');
    for (auto& c : w) c = char('a' + rng_.below(26));
    return w;
  }

  // www.<word>.example.{com,net,org} in DNS label form (reserved names, never real hosts).
  Bytes dns_name() {
    static constexpr std::array<const char*, 4> kFirst = {"www", "api", "cdn", "mail"};
    static constexpr std::array<const char*, 3> kTld = {"com", "net", "org"};
    Bytes n;
    for (const std::string& label : {std::string(rng_.pick(kFirst)), word(3, 10),
                                     std::string("example"), std::string(rng_.pick(kTld))}) {
      put8(n, unsigned(label.size()));
      append(n, reinterpret_cast<const uint8_t*>(label.data()), label.size());
    }
    put8(n, 0);
    return n;
  }

  static void dns_header(Bytes& m, uint16_t id, uint16_t flags, unsigned an, unsigned ar) {
    put16(m, id), put16(m, flags), put16(m, 1), put16(m, an), put16(m, 0), put16(m, ar);
  }
  static void dns_opt(Bytes& m) {  // EDNS0: 1232-byte UDP payload, as resolvers now advertise
    put8(m, 0), put16(m, 41), put16(m, 1232), put32(m, 0), put16(m, 0);
  }

  Bytes dns_query(uint16_t id, const Bytes& name, uint16_t qtype) {
    Bytes m;
    dns_header(m, id, 0x0100, 0, 1);
    append(m, name.data(), name.size());
    put16(m, qtype), put16(m, 1);
    dns_opt(m);
    return m;
  }

  Bytes dns_answer(uint16_t id, const Bytes& name, uint16_t qtype, size_t answers) {
    Bytes m;
    dns_header(m, id, 0x8180, unsigned(answers), 1);
    append(m, name.data(), name.size());
    put16(m, qtype), put16(m, 1);
    for (size_t i = 0; i < answers; ++i) {
      put16(m, 0xC00C), put16(m, qtype), put16(m, 1), put32(m, uint32_t(rng_.range(30, 3600)));
      const size_t len = qtype == 28 ? 16 : 4;
      put16(m, unsigned(len));
      const size_t o = m.size();
      m.resize(o + len);
      rng_.fill(m.data() + o, len);
    }
    dns_opt(m);
    return m;
  }

  // A TXT answer (SPF, DKIM and friends grow past one packet) of exactly `size` bytes.
  Bytes dns_txt_answer(uint16_t id, const Bytes& name, size_t size) {
    Bytes m;
    dns_header(m, id, 0x8180, 1, 1);
    append(m, name.data(), name.size());
    put16(m, 16), put16(m, 1);
    put16(m, 0xC00C), put16(m, 16), put16(m, 1), put32(m, 300);
    const size_t fixed = m.size() + 2 + 11;  // rdlength, then the OPT record
    size_t left = size > fixed ? size - fixed : 1;
    put16(m, unsigned(left));
    while (left > 0) {  // character-strings of up to 255 bytes
      const size_t n = std::min<size_t>(255, left - 1);
      put8(m, unsigned(n));
      for (size_t i = 0; i < n; ++i) put8(m, 'a' + rng_.below(26));
      left -= n + 1;
    }
    dns_opt(m);
    return m;
  }

  Bytes ntp(bool request) {
    Bytes m(48, 0);
    m[0] = request ? 0x23 : 0x24;  // NTPv4, client / server
    m[1] = request ? 0 : 2;        // stratum
    m[2] = 6;                      // poll
    m[3] = 0xE9;                   // precision
    rng_.fill(m.data() + 24, 24);  // the four timestamps' worth of time
    return m;
  }

  static Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }
  bool http() const { return l4_server_port_ == 80 || l4_server_port_ == 8080; }

  // A message head whose Content-Length makes head + body exactly `total` bytes. The head's
  // length depends on the digits of its own count; where no count fits (a digit boundary),
  // one more space of optional whitespace after the colon does.
  static std::string http_head(const std::string& start, size_t total) {
    for (size_t pad = 1; pad <= 2; ++pad) {
      const auto head = [&](size_t body) {
        return fmt::format("{}\r\nContent-Type: application/octet-stream\r\nContent-Length:{}{}\r\n\r\n",
                           start, std::string(pad, ' '), body);
      };
      size_t body = total;
      for (int i = 0; i < 4; ++i) body = total > head(body).size() ? total - head(body).size() : 0;
      if (head(body).size() + body == total) return head(body);
    }
    return fmt::format("{}\r\nContent-Length: 0\r\n\r\n", start);  // total below any head
  }

  Bytes http_request(size_t size) {
    const std::string head = "GET /";
    const std::string tail = " HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/7.88.1\r\n"
                             "Accept: */*\r\n\r\n";
    const size_t path = size > head.size() + tail.size() + 1 ? size - head.size() - tail.size() : 1;
    return text(head + word(path, path) + tail);
  }

  Bytes http_response(size_t size) {
    Bytes m = text(http_head("HTTP/1.1 200 OK\r\nServer: nginx", size));
    const size_t body = size > m.size() ? size - m.size() : 0;
    const size_t o = m.size();
    m.resize(o + body);
    rng_.fill(m.data() + o, body);
    return m;
  }

  // --- session scripts -------------------------------------------------------------------------

  // Data in MSS-sized segments; the receiver acknowledges every second segment and the last,
  // as delayed ACK does.
  void tcp_data(int from, uint64_t first_gap, size_t total, bool acked, const Bytes* stream = nullptr) {
    const size_t mss = data_mss(from);
    if (stream) total = stream->size();
    size_t left = total;
    for (size_t i = 0; left > 0; ++i) {
      const size_t len = std::min(mss, left);
      const uint8_t* data = stream ? stream->data() + (total - left) : nullptr;
      left -= len;
      tcp(from, i == 0 ? first_gap : burst(), uint8_t(kAck | (left == 0 ? kPsh : 0)), len, data);
      if (acked && (i % 2 == 1 || left == 0)) tcp(1 - from, ack_delay(), kAck, 0);
    }
  }

  size_t response_size() {
    if (rng_.chance(0.70)) return rng_.range(200, 3000);
    if (rng_.chance(0.85)) return rng_.range(3000, 30000);
    return rng_.range(30000, 120000);
  }

  void tcp_session() {
    tcp(kClient, 0, kSyn, 0);
    tcp(kServer, rtt(), kSyn | kAck, 0);
    tcp(kClient, ack_delay(), kAck, 0);
    if (s_.elephant) {
      const int sender = rng_.chance(0.7) ? kServer : kClient;
      const uint64_t segments = s_.jumbo ? rng_.range(300, 1200) : rng_.range(600, 2500);
      const size_t bytes = segments * data_mss(sender);
      if (!http()) {
        tcp_data(kClient, think(), rng_.range(200, 700), false);
        bulk(sender, segments, nullptr);
        if (sender == kClient) tcp_data(kServer, rtt(), rng_.range(100, 400), true);
      } else if (sender == kServer) {
        const Bytes request = http_request(rng_.range(200, 700));
        tcp_data(kClient, think(), 0, false, &request);
        const std::string head = http_head("HTTP/1.1 200 OK\r\nServer: nginx", bytes);
        const Bytes prefix(head.begin(), head.end());
        bulk(sender, segments, &prefix);
      } else {
        const std::string head = http_head("POST /upload HTTP/1.1\r\nHost: www.example.com", bytes);
        const Bytes request(head.begin(), head.end());
        tcp_data(kClient, think(), 0, false, &request);
        bulk(sender, segments, nullptr);
        const Bytes response = http_response(rng_.range(150, 400));
        tcp_data(kServer, rtt(), 0, true, &response);
      }
    } else {
      const uint64_t exchanges = rng_.range(1, 4);
      for (uint64_t e = 0; e < exchanges; ++e) {
        // Requests ride without their own ACK: the response acknowledges them.
        const size_t req = rng_.chance(0.1) ? rng_.range(data_mss(kClient) + 1, 2 * data_mss(kClient))
                                            : rng_.range(60, 900);
        if (http()) {  // cleartext: a capture viewer should find real messages
          const Bytes request = http_request(std::min<size_t>(req, 900));
          const Bytes response = http_response(response_size());
          tcp_data(kClient, think(), 0, false, &request);
          tcp_data(kServer, rtt(), 0, true, &response);
        } else {
          tcp_data(kClient, think(), req, false);
          tcp_data(kServer, rtt(), response_size(), true);
        }
      }
    }
    const int closer = rng_.chance(0.7) ? kClient : kServer;
    tcp(closer, think(), kFin | kAck, 0);
    tcp(1 - closer, rtt(), kFin | kAck, 0);
    tcp(closer, ack_delay(), kAck, 0);
  }

  // An elephant: windows of back-to-back full segments, one RTT apart. prefix: where the
  // transfer starts with a header (HTTP), it goes in front of the first segment's data.
  void bulk(int from, uint64_t segments, const Bytes* prefix) {
    const size_t mss = data_mss(from);
    Bytes first;
    if (prefix) {
      first = *prefix;
      const size_t o = first.size();
      first.resize(mss);
      rng_.fill(first.data() + o, mss - o);
    }
    for (uint64_t sent = 0; sent < segments;) {
      const uint64_t window = rng_.range(16, 44);
      for (uint64_t k = 0; k < window && sent < segments; ++k) {
        ++sent;
        const bool last = k + 1 == window || sent == segments;
        tcp(from, k == 0 ? rtt() : rng_.range(2 * kUs, 12 * kUs), uint8_t(kAck | (last ? kPsh : 0)),
            mss, sent == 1 && prefix ? first.data() : nullptr);
        if (sent % 2 == 0 || sent == segments) tcp(1 - from, rng_.range(2 * kUs, 15 * kUs), kAck, 0);
      }
    }
  }

  size_t clamp_udp(uint64_t n) const { return std::min<size_t>(size_t(n), udp_max()); }

  void udp_session() {
    switch (l4_server_port_) {
      case 53: {  // DNS: a few queries and answers
        const uint64_t n = rng_.range(1, 3);
        for (uint64_t i = 0; i < n; ++i) {
          const uint16_t id = uint16_t(rng_.bits());
          const Bytes name = dns_name();
          const uint16_t qtype = rng_.chance(0.3) ? 28 : 1;  // AAAA or A
          udp(kClient, i == 0 ? 0 : rng_.range(1 * kMs, 20 * kMs), dns_query(id, name, qtype));
          udp(kServer, rtt(), dns_answer(id, name, qtype, size_t(rng_.range(1, 4))));
        }
        break;
      }
      case 443: {  // QUIC: padded Initial, a flight back, then short-header traffic both ways
        udp(kClient, 0, clamp_udp(rng_.range(1200, 1250)));
        const uint64_t flight = rng_.range(2, 5);
        for (uint64_t i = 0; i < flight; ++i)
          udp(kServer, i == 0 ? rtt() : burst(), clamp_udp(rng_.range(1200, 1350)));
        const uint64_t n = rng_.range(2, 8);
        for (uint64_t i = 0; i < n; ++i) {
          udp(kClient, think(), clamp_udp(rng_.range(30, 400)));
          const uint64_t replies = rng_.range(1, 6);
          for (uint64_t r = 0; r < replies; ++r)
            udp(kServer, r == 0 ? rtt() : burst(), clamp_udp(rng_.range(40, 1350)));
        }
        break;
      }
      case 123:  // NTP
        udp(kClient, 0, ntp(true));
        udp(kServer, rtt(), ntp(false));
        break;
      default: {  // SIP and friends: a couple of request/response pairs
        const uint64_t n = rng_.range(1, 3);
        for (uint64_t i = 0; i < n; ++i) {
          udp(kClient, i == 0 ? 0 : think(), clamp_udp(rng_.range(300, 900)));
          udp(kServer, rtt(), clamp_udp(rng_.range(200, 700)));
        }
      }
    }
  }

  // UDP payload whose datagram needs exactly `fragments` IPv4 fragments.
  size_t fragmented_payload(uint64_t fragments) {
    const size_t chunk = (ip_mtu_ - 20) & ~size_t(7);
    return rng_.range(chunk * (fragments - 1) + 1, chunk * fragments) - 8;
  }

  // Large DNS answers (EDNS0) and NFS over UDP: a small request, a fragmented answer; NFS
  // writes fragment the request too.
  void fragmented_session() {
    const uint64_t n = rng_.range(1, 2);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t gap = i == 0 ? 0 : think();
      if (l4_server_port_ == 53) {
        const uint16_t id = uint16_t(rng_.bits());
        const Bytes name = dns_name();
        udp(kClient, gap, dns_query(id, name, 16));
        udp(kServer, rtt(), dns_txt_answer(id, name, fragmented_payload(rng_.range(2, 3))));
        continue;
      }
      if (rng_.chance(0.5))
        udp(kClient, gap, fragmented_payload(rng_.range(2, 3)));
      else
        udp(kClient, gap, rng_.range(40, 160));
      udp(kServer, rtt(), fragmented_payload(rng_.range(2, 3)));
    }
  }

  void icmp_session() {
    windows_ping_ = rng_.chance(0.3);
    const uint64_t n = rng_.range(1, 5);
    for (uint64_t i = 0; i < n; ++i) {
      icmp(kClient, i == 0 ? 0 : rng_.range(5 * kMs, 50 * kMs), uint16_t(i + 1));
      icmp(kServer, rtt(), uint16_t(i + 1));
    }
  }

  const SessionInfo& s_;
  Rng rng_;
  std::vector<Step> steps_;
  Side side_[2];
  bool gtp_ = false, v6_ = false, gtp_ext_ = false, windows_ping_ = false, timestamps_ = true;
  uint8_t qfi_ = 0;
  uint32_t ip_mtu_ = kMtu, inner_mtu_ = kMtu;
  uint64_t rtt_ns_ = 0;
  uint64_t clock_ns_ = 0;  // intended time since the session's first frame
  uint16_t l4_client_port_ = 0, l4_server_port_ = 0;
};

void copy(uint8_t* dst, const Addr& a) { std::copy(a.begin(), a.end(), dst); }
void copy(uint8_t* dst, const Mac& m) { std::copy(m.begin(), m.end(), dst); }

}  // namespace

const char* to_string(SessionKind kind) {
  switch (kind) {
    case SessionKind::kIpv4Tcp: return "ipv4-tcp";
    case SessionKind::kIpv4Udp: return "ipv4-udp";
    case SessionKind::kIpv6Tcp: return "ipv6-tcp";
    case SessionKind::kIpv6Udp: return "ipv6-udp";
    case SessionKind::kVlanIpv4: return "vlan-ipv4";
    case SessionKind::kQinQIpv4: return "qinq-ipv4";
    case SessionKind::kMplsIpv4: return "mpls-ipv4";
    case SessionKind::kGtpU: return "gtp-u";
    case SessionKind::kIpv4Fragmented: return "ipv4-fragmented";
    case SessionKind::kIcmpEcho: return "icmp-echo";
  }
  return "?";
}

std::string point_file_name(int point) { return fmt::format("tap-{}.pcap", point + 1); }

// ---------------------------------------------------------------------------------------------

struct TrafficGenerator::Impl {
  struct Active {
    std::vector<Step> steps;
    size_t next = 0;
  };
  struct Event {
    uint64_t t;
    uint32_t session;
  };
  // Ties broken by session index, so the order never depends on the heap's internals.
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.t != b.t ? a.t > b.t : a.session > b.session;
    }
  };

  TrafficOptions opt;
  std::vector<SessionInfo> sessions;
  std::vector<uint64_t> seeds;
  std::vector<std::unique_ptr<Active>> active;
  std::priority_queue<Event, std::vector<Event>, Later> queue;
  std::vector<uint64_t> busy_until;  // per point: when its link is free again

  explicit Impl(const TrafficOptions& o) : opt(o) {
    if (o.points < 1 || o.points > 255)
      throw std::invalid_argument(fmt::format("points must be 1..255, got {}", o.points));
    if (o.duration_ms < 1 || o.duration_ms > 86400000ull)
      throw std::invalid_argument(fmt::format("duration must be 1..86400000 ms, got {}", o.duration_ms));
    if (!(o.rate_mbps >= 1 && o.rate_mbps <= 1e7))
      throw std::invalid_argument(fmt::format("rate must be 1..10000000 Mbit/s, got {}", o.rate_mbps));
    if (o.sessions > 50000000u)
      throw std::invalid_argument(fmt::format("at most 50000000 sessions, got {}", o.sessions));
    build_world();
    busy_until.assign(size_t(o.points), 0);
    active.resize(sessions.size());
    for (uint32_t i = 0; i < sessions.size(); ++i) queue.push({sessions[i].start_ns, i});
  }

  void build_world() {
    Rng rng(opt.seed);
    const uint32_t n = opt.sessions;
    const std::vector<SessionKind> kinds = assign_kinds(n, rng);
    const uint64_t gtp_sessions = std::count(kinds.begin(), kinds.end(), SessionKind::kGtpU);

    std::vector<Host> hosts(std::max<uint32_t>(8, n / 3));
    for (auto& h : hosts) {
      h.ip4 = v4(10, unsigned(rng.range(1, 63)), unsigned(rng.below(256)), unsigned(rng.range(1, 254)));
      h.ip6 = v6(rng, 0x1000, unsigned(rng.below(256)));
      h.mac = make_mac(rng, kHostOuis);
      h.next_port = uint16_t(rng.range(32768, 60999));
    }
    std::vector<Server> servers(std::max<uint32_t>(4, n / 16));
    for (auto& s : servers) {
      // Public documentation prefixes, and a share of data-centre servers in 172.16.0.0/12.
      static constexpr std::array<std::array<uint8_t, 3>, 3> kNets = {
          {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}};
      if (rng.chance(0.3)) {
        s.ip4 = v4(172, unsigned(rng.range(16, 31)), unsigned(rng.below(256)), unsigned(rng.range(1, 254)));
      } else {
        const auto& net = rng.pick(kNets);
        s.ip4 = v4(net[0], net[1], net[2], unsigned(rng.range(1, 254)));
      }
      s.ip6 = v6(rng, 0x5, unsigned(rng.below(64)));
    }
    std::vector<Enb> enbs(std::max<uint64_t>(2, gtp_sessions / 16));
    for (auto& e : enbs) {
      e.ip = v4(10, 200, unsigned(rng.below(256)), unsigned(rng.range(1, 254)));
      e.mac = make_mac(rng, kRouterOuis);
    }
    const std::array<Addr, 2> sgws = {v4(10, 100, 0, 1), v4(10, 100, 0, 2)};
    std::vector<Ue> ues(std::max<uint64_t>(4, gtp_sessions / 2 + 1));
    for (auto& u : ues) {
      u.ip = v4(100, unsigned(rng.range(64, 127)), unsigned(rng.below(256)), unsigned(rng.range(1, 254)));
      // The SGW assigns the uplink TEID and the eNB the downlink one: never the same.
      u.teid_uplink = uint32_t(rng.range(1, 0xFFFFFFFFull));
      do u.teid_downlink = uint32_t(rng.range(1, 0xFFFFFFFFull));
      while (u.teid_downlink == u.teid_uplink);
      u.enb = uint32_t(rng.below(enbs.size()));
      u.next_port = uint16_t(rng.range(32768, 60999));
    }
    std::vector<Mac> gateways(size_t(opt.points));  // the router on each point's link
    for (auto& g : gateways) g = make_mac(rng, kRouterOuis);

    const uint32_t elephants = n >= 10 ? std::max<uint32_t>(1, n / 250) : 0;
    uint32_t elephants_made = 0;
    const uint64_t duration_ns = opt.duration_ms * kMs;
    sessions.resize(n);
    seeds.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      SessionInfo& s = sessions[i];
      s.id = i;
      s.kind = kinds[i];
      seeds[i] = rng.bits();
      if (s.kind == SessionKind::kIpv4Tcp && elephants_made < elephants) {
        s.elephant = true;
        s.jumbo = elephants_made % 3 == 0;  // data-centre bulk transfers with jumbo frames
        ++elephants_made;
      }
      // Elephants start early so that most of their transfer lies inside the duration.
      s.start_ns = opt.start_ns + rng.below(s.elephant ? duration_ns / 2 + 1 : duration_ns);

      const int p = int(rng.below(uint64_t(opt.points)));
      s.point_to_server = uint8_t(p);
      s.point_to_client = uint8_t(is_tap_point(p, opt.points) ? p ^ 1 : p);
      const int link = is_tap_point(p, opt.points) ? p & ~1 : p;

      Host& h = hosts[rng.below(hosts.size())];
      const Server& srv = servers[rng.below(servers.size())];
      copy(s.client_mac, h.mac);
      copy(s.server_mac, gateways[size_t(link)]);
      s.ip_version = 4;
      copy(s.client_ip, h.ip4);
      copy(s.server_ip, srv.ip4);
      s.l4_proto = kProtoTcp;

      switch (s.kind) {
        case SessionKind::kIpv4Tcp:
          break;
        case SessionKind::kIpv4Udp:
          s.l4_proto = kProtoUdp;
          break;
        case SessionKind::kIpv6Tcp:
        case SessionKind::kIpv6Udp:
          s.ip_version = 6;
          s.l4_proto = s.kind == SessionKind::kIpv6Tcp ? kProtoTcp : kProtoUdp;
          copy(s.client_ip, h.ip6);
          copy(s.server_ip, srv.ip6);
          break;
        case SessionKind::kVlanIpv4:
          s.vlan_count = 1;
          s.vlan_tpid[0] = 0x8100;
          s.vlan_id[0] = uint16_t(10 * rng.range(1, 40));
          s.l4_proto = rng.chance(0.8) ? kProtoTcp : kProtoUdp;
          break;
        case SessionKind::kQinQIpv4: {
          s.vlan_count = 2;
          const uint64_t r = rng.below(10);
          s.vlan_tpid[0] = r < 8 ? 0x88A8 : r == 8 ? 0x9100 : 0x8100;  // 802.1ad and legacy S-tags
          s.vlan_tpid[1] = 0x8100;
          s.vlan_id[0] = uint16_t(rng.range(1000, 1049));
          s.vlan_id[1] = uint16_t(rng.range(2, 4094));
          s.l4_proto = rng.chance(0.8) ? kProtoTcp : kProtoUdp;
          break;
        }
        case SessionKind::kMplsIpv4:
          // A transport label, and on L3VPN links a VPN label beneath it; each router picks
          // its own labels, so the two directions differ.
          s.mpls_count = uint8_t(rng.chance(0.6) ? 1 : 2);
          for (int k = 0; k < s.mpls_count; ++k) {
            s.mpls_to_server[k] = uint32_t(rng.range(16, 0xFFFFF));
            s.mpls_to_client[k] = uint32_t(rng.range(16, 0xFFFFF));
          }
          s.l4_proto = rng.chance(0.8) ? kProtoTcp : kProtoUdp;
          break;
        case SessionKind::kGtpU: {
          Ue& ue = ues[rng.below(ues.size())];
          const Enb& enb = enbs[ue.enb];
          copy(s.client_mac, enb.mac);
          copy(s.client_ip, enb.ip);
          copy(s.server_ip, sgws[ue.enb % 2]);
          s.client_port = s.server_port = kGtpPort;
          s.teid_uplink = ue.teid_uplink;
          s.teid_downlink = ue.teid_downlink;
          copy(s.inner_client_ip, ue.ip);
          copy(s.inner_server_ip, srv.ip4);
          s.l4_proto = rng.chance(0.7) ? kProtoTcp : kProtoUdp;
          s.inner_client_port = take_port(ue.next_port, rng);
          s.inner_server_port =
              s.l4_proto == kProtoTcp ? (rng.chance(0.8) ? 443 : 80) : (rng.chance(0.6) ? 443 : 53);
          break;
        }
        case SessionKind::kIpv4Fragmented:
          s.l4_proto = kProtoUdp;
          break;
        case SessionKind::kIcmpEcho:
          s.l4_proto = kProtoIcmp;
          s.icmp_id = uint16_t(rng.below(65536));
          break;
      }

      if (s.kind == SessionKind::kIpv4Fragmented) {
        if (rng.chance(0.3)) {  // NFS clients bind reserved ports
          s.server_port = 2049;
          s.client_port = uint16_t(rng.range(665, 1023));
        } else {
          s.server_port = 53;
          s.client_port = take_port(h.next_port, rng);
        }
      } else if (s.kind != SessionKind::kGtpU && s.kind != SessionKind::kIcmpEcho) {
        s.client_port = take_port(h.next_port, rng);
        s.server_port = s.l4_proto == kProtoTcp ? rng.pick(kTcpServices) : rng.pick(kUdpServices);
      }
    }
  }

  bool next(GeneratedFrame& out) {
    if (queue.empty()) return false;
    const Event e = queue.top();
    queue.pop();
    const SessionInfo& s = sessions[e.session];
    auto& a = active[e.session];
    if (!a) {
      a = std::make_unique<Active>();
      a->steps = ScriptBuilder(s, seeds[e.session]).build();
    }
    Step& step = a->steps[a->next++];
    const uint8_t point = step.to_server ? s.point_to_server : s.point_to_client;
    const uint64_t ts = std::max(e.t, busy_until[point]);
    // Frame + FCS + preamble and inter-frame gap, at the point's line rate.
    const double wire_bits = double(step.bytes.size() + 4 + 20) * 8;
    busy_until[point] = ts + std::max<uint64_t>(1, uint64_t(std::ceil(wire_bits * 1000.0 / opt.rate_mbps)));
    out.point = point;
    out.ts_ns = ts;
    out.bytes = std::move(step.bytes);
    out.session = e.session;
    out.to_server = step.to_server;
    out.fragment = step.fragment;
    if (a->next < a->steps.size()) queue.push({ts + a->steps[a->next].gap_ns, e.session});
    else a.reset();
    return true;
  }
};

TrafficGenerator::TrafficGenerator(const TrafficOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
TrafficGenerator::~TrafficGenerator() = default;
const TrafficOptions& TrafficGenerator::options() const { return impl_->opt; }
const std::vector<SessionInfo>& TrafficGenerator::sessions() const { return impl_->sessions; }
bool TrafficGenerator::next(GeneratedFrame& frame) {
  if (!impl_->next(frame)) return false;
  if (options().virtual_tap != VirtualTap::kNone) {
    if (tap_seq_.size() <= frame.point) tap_seq_.resize(size_t(frame.point) + 1, 0);
    frame.bytes = wrap_virtual_tap(options().virtual_tap, frame.point, tap_seq_[frame.point]++, frame.ts_ns,
                                   frame.bytes);
  }
  return true;
}

Traffic generate_traffic(const TrafficOptions& options) {
  TrafficGenerator gen(options);
  Traffic t;
  GeneratedFrame f;
  while (gen.next(f)) t.frames.push_back(std::move(f));
  // Each point's times are already unique and increasing, so (ts, point) is a total order.
  std::sort(t.frames.begin(), t.frames.end(), [](const GeneratedFrame& a, const GeneratedFrame& b) {
    return a.ts_ns != b.ts_ns ? a.ts_ns < b.ts_ns : a.point < b.point;
  });
  t.sessions = gen.sessions();
  return t;
}

std::vector<PointSummary> write_traffic(const TrafficOptions& options, const std::string& out_dir) {
  TrafficGenerator gen(options);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + out_dir + ": " + ec.message());

  std::vector<PointSummary> summary(size_t(options.points));
  std::vector<std::unique_ptr<io::PcapSink>> sinks;
  for (int p = 0; p < options.points; ++p) {
    summary[size_t(p)].path = (std::filesystem::path(out_dir) / point_file_name(p)).string();
    sinks.push_back(std::make_unique<io::PcapSink>(summary[size_t(p)].path));
  }
  // Bit 0: a to-server frame was seen, bit 1: a to-client frame. A session counts once per
  // point it appears at: twice when a TAP pair splits it.
  std::vector<uint8_t> seen(gen.sessions().size(), 0);
  GeneratedFrame f;
  while (gen.next(f)) {
    sinks[f.point]->write(f.ts_ns, f.bytes.data(), uint32_t(f.bytes.size()));
    PointSummary& ps = summary[f.point];
    ++ps.frames;
    ps.bytes += f.bytes.size();
    const uint8_t bit = f.to_server ? 1 : 2;
    uint8_t& s = seen[f.session];
    if (!(s & bit)) {
      if (s == 0 || gen.sessions()[f.session].split()) ++ps.sessions;
      s |= bit;
    }
  }
  for (auto& sink : sinks) sink->close();
  return summary;
}

}  // namespace broker::tools
