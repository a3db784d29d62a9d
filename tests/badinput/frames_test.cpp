// Bad frames (ISSUE 6, part 3): every frame of the shared captures and synthetic frames of
// every header the parser knows, truncated at every byte offset and with lying length fields,
// through the real SoftCard programmed by the real Driver with examples/seed.conf.
//
// Every frame must be forwarded (out_port is a member), counted as malformed when it is cut
// inside a header or its lengths disagree (the card's MALFORMED counter moves with the
// verdict), and never read out of bounds: each frame is placed at the very end of an mmap'd
// region followed by a PROT_NONE guard page, so an over-read is a SIGSEGV even without ASan;
// the parser is also run directly on that exact-size buffer (parse_frame must not look past
// frame_len), and `make test-sanitize` runs all of it under ASan + UBSan.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "broker_regmap.h"
#include "config_loader.h"
#include "driver.h"
#include "native/frame_api.h"
#include "pcap_source.h"
#include "soft_card.h"
#include "testdata.h"

namespace {

using Bytes = std::vector<uint8_t>;
namespace core = broker::core;

// ---- a frame at the end of readable memory --------------------------------------------

class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t max_len) { map(max_len); }
  ~GuardedBuffer() { unmap(); }
  // The frame's last byte is the last readable byte: the next page is PROT_NONE.
  const uint8_t* place(const Bytes& f) {
    if (f.size() > data_pages_ * page_) {
      unmap();
      map(f.size());
    }
    uint8_t* at = base_ + data_pages_ * page_ - f.size();
    if (!f.empty()) std::memcpy(at, f.data(), f.size());
    return at;
  }

 private:
  void map(size_t max_len) {
    page_ = size_t(sysconf(_SC_PAGESIZE));
    data_pages_ = (max_len + page_ - 1) / page_ + 1;
    void* p = mmap(nullptr, (data_pages_ + 1) * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<uint8_t*>(p);
    if (mprotect(base_ + data_pages_ * page_, page_, PROT_NONE) != 0) throw std::runtime_error("mprotect failed");
  }
  void unmap() { munmap(base_, (data_pages_ + 1) * page_); }

  size_t page_ = 0, data_pages_ = 0;
  uint8_t* base_ = nullptr;
};

// ---- synthetic frames ----------------------------------------------------------------

struct Synth {
  std::string name;
  Bytes bytes;
  size_t l3 = 0;         // offset of the outer IP header
  size_t l4 = 0;         // offset of the outer transport header (0: none)
  size_t ip_len_at = 0;  // offset of the outer IPv4 total length / IPv6 payload length
  bool v6 = false;
  size_t udp = 0;        // offset of the outer UDP header (0: none)
  size_t gtp = 0;        // offset of the GTP header (0: none)
  size_t mpls = 0;       // offset of the first MPLS label (0: none)
  size_t ext_end = 0;    // IPv6: end of the extension headers
};

void put16(Bytes& b, size_t at, uint16_t v) { b[at] = uint8_t(v >> 8); b[at + 1] = uint8_t(v); }
uint16_t get16(const Bytes& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
void append(Bytes& b, std::initializer_list<uint8_t> v) { b.insert(b.end(), v); }
void append_n(Bytes& b, size_t n, uint8_t v = 0) { b.insert(b.end(), n, v); }

// Builder: pushes headers, remembers where lengths go, fixes them in finish().
class FrameBuilder {
 public:
  FrameBuilder& eth(uint16_t type) {
    append(b_, {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE});
    b_.push_back(uint8_t(type >> 8));
    b_.push_back(uint8_t(type));
    return *this;
  }
  FrameBuilder& vlan(uint16_t vid, uint16_t next) {
    append(b_, {uint8_t(vid >> 8), uint8_t(vid), uint8_t(next >> 8), uint8_t(next)});
    return *this;
  }
  FrameBuilder& mpls(uint32_t label, bool bottom) {
    if (!s_.mpls) s_.mpls = b_.size();
    const uint32_t lse = label << 12 | (bottom ? 0x100 : 0) | 64;
    append(b_, {uint8_t(lse >> 24), uint8_t(lse >> 16), uint8_t(lse >> 8), uint8_t(lse)});
    return *this;
  }
  FrameBuilder& ipv4(uint8_t proto, int option_words = 0) {
    const size_t at = b_.size();
    if (!s_.l3) { s_.l3 = at; s_.ip_len_at = at + 2; }
    append(b_, {uint8_t(0x40 | (5 + option_words)), 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0,
                10, 1, 2, 3, 10, 4, 5, 6});
    for (int i = 0; i < option_words; ++i) append(b_, {0x01, 0x01, 0x01, 0x01});  // NOPs
    ip4_.push_back(at);
    return *this;
  }
  FrameBuilder& ipv6(uint8_t next) {
    const size_t at = b_.size();
    if (!s_.l3) { s_.l3 = at; s_.ip_len_at = at + 4; s_.v6 = true; }
    append(b_, {0x60, 0, 0, 0, 0, 0, next, 64});
    for (int i = 0; i < 16; ++i) b_.push_back(uint8_t(0x20 + i));
    for (int i = 0; i < 16; ++i) b_.push_back(uint8_t(0x40 + i));
    ip6_.push_back(at);
    return *this;
  }
  // IPv6 extension header of 8 bytes (fragment: offset 0, M clear: atomic).
  FrameBuilder& ext(uint8_t next) {
    append(b_, {next, 0, 0, 0, 0, 0, 0, 0});
    if (s_.v6 && ip6_.size() == 1) s_.ext_end = b_.size();
    return *this;
  }
  FrameBuilder& tcp(uint16_t sport, uint16_t dport) {
    mark_l4();
    append(b_, {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 1, 0, 0,
                0, 0, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0});
    return *this;
  }
  FrameBuilder& udp(uint16_t sport, uint16_t dport) {
    mark_l4();
    const size_t at = b_.size();
    if (!s_.udp) s_.udp = at;
    append(b_, {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 0});
    udp_.push_back(at);
    return *this;
  }
  FrameBuilder& sctp(uint16_t sport, uint16_t dport) {
    mark_l4();
    append(b_, {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 7, 0, 0, 0, 0});
    return *this;
  }
  // GTPv1-U G-PDU; with_seq adds the 4-byte optional block, ext one PDU session extension.
  FrameBuilder& gtp(bool with_seq, bool with_ext) {
    s_.gtp = b_.size();
    uint8_t flags = 0x30 | (with_seq ? 0x02 : 0) | (with_ext ? 0x04 : 0);
    append(b_, {flags, 0xFF, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF});
    if (with_seq || with_ext) append(b_, {0, 1, 0, uint8_t(with_ext ? 0x85 : 0)});
    if (with_ext) append(b_, {1, 0x10, 0x09, 0});  // 4-byte extension, next type 0
    return *this;
  }
  FrameBuilder& payload(size_t n) {
    for (size_t i = 0; i < n; ++i) b_.push_back(uint8_t(i * 7));
    return *this;
  }
  Synth finish(std::string name) {
    // Lengths from the innermost outwards do not depend on each other: each covers to the end.
    for (size_t at : ip4_) put16(b_, at + 2, uint16_t(b_.size() - at));
    for (size_t at : ip6_) put16(b_, at + 4, uint16_t(b_.size() - at - 40));
    for (size_t at : udp_) put16(b_, at + 4, uint16_t(b_.size() - at));
    if (s_.gtp) put16(b_, s_.gtp + 2, uint16_t(b_.size() - s_.gtp - 8));
    s_.name = std::move(name);
    s_.bytes = b_;
    return s_;
  }

 private:
  void mark_l4() {
    if (!s_.l4) s_.l4 = b_.size();
  }
  Bytes b_;
  Synth s_;
  std::vector<size_t> ip4_, ip6_, udp_;
};

std::vector<Synth> synthetic_frames() {
  std::vector<Synth> v;
  v.push_back(FrameBuilder().eth(0x0800).ipv4(6).tcp(1234, 80).payload(20).finish("ipv4_tcp"));
  v.push_back(FrameBuilder().eth(0x8100).vlan(100, 0x0800).ipv4(17).udp(5000, 53).payload(12).finish("vlan_ipv4_udp"));
  v.push_back(FrameBuilder().eth(0x88A8).vlan(10, 0x8100).vlan(20, 0x86DD).ipv6(6).tcp(40000, 443).payload(8)
                  .finish("qinq_ipv6_tcp"));
  v.push_back(FrameBuilder().eth(0x8847).mpls(1000, false).mpls(2000, true).ipv4(17).udp(7, 9).payload(10)
                  .finish("mpls_ipv4_udp"));
  v.push_back(FrameBuilder().eth(0x8847).mpls(3000, true).ipv6(17).udp(7, 9).payload(10).finish("mpls_ipv6_udp"));
  v.push_back(FrameBuilder().eth(0x0800).ipv4(6, 3).tcp(1, 2).payload(6).finish("ipv4_options_tcp"));
  v.push_back(FrameBuilder().eth(0x86DD).ipv6(0).ext(43).ext(60).ext(44).ext(17).udp(1000, 2000).payload(16)
                  .finish("ipv6_ext_udp"));
  v.push_back(FrameBuilder().eth(0x0800).ipv4(132).sctp(2905, 2905).payload(16).finish("ipv4_sctp"));
  v.push_back(FrameBuilder().eth(0x0800).ipv4(17).udp(2152, 2152).gtp(false, false).ipv4(6).tcp(80, 8080)
                  .payload(8).finish("gtp_inner_ipv4"));
  v.push_back(FrameBuilder().eth(0x86DD).ipv6(17).udp(2152, 2152).gtp(true, true).ipv6(17).udp(53, 53)
                  .payload(8).finish("gtp_ext_inner_ipv6"));
  v.push_back(FrameBuilder().eth(0x8100).vlan(7, 0x0800).ipv4(17).udp(3000, 2152).gtp(true, false).ipv6(6)
                  .tcp(1, 2).payload(4).finish("vlan_gtp_seq_inner_ipv6"));
  return v;
}

// ---- the card under test ---------------------------------------------------------------

class BadFrames : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto seed = broker::config::load_config_file(std::filesystem::path(BROKER_SOURCE_DIR) / "examples/seed.conf");
    driver_ = std::make_unique<broker::driver::Driver>(card_);
    driver_->apply(seed);
    for (const auto& g : seed.groups())
      for (uint32_t m : g.members()) members_.insert(m);
  }

  uint64_t malformed_counter() {
    return uint64_t(card_.read32(broker::regmap::MALFORMED_HI)) << 32 | card_.read32(broker::regmap::MALFORMED_LO);
  }

  // Forwards `f` from the end of readable memory; returns the parsed fields. Checks that it
  // was forwarded to a member, that the malformed counter followed the verdict, and that
  // parse_frame on the exact-size buffer agrees.
  core::PacketFields forward(const Bytes& f, const std::string& what) {
    const uint8_t* p = guard_.place(f);
    const uint64_t before = malformed_counter();
    ts_ += 1000;
    const core::FrameResult& r = card_.forward(uint8_t(frames_ % 8), ts_, p, uint32_t(f.size()));
    ++frames_;
    const core::PacketFields fields = r.fields;
    EXPECT_NE(r.decision.out_port, core::kNoPort) << what << ": dropped";
    EXPECT_TRUE(members_.count(r.decision.out_port)) << what << ": left on port " << int(r.decision.out_port);
    EXPECT_EQ(malformed_counter() - before, fields.malformed ? 1u : 0u) << what << ": MALFORMED counter";
    if (f.size() <= size_t(core::kParseBytes)) {
      core::PacketFields direct;
      core::parse_frame(p, uint32_t(f.size()), direct);  // reads past frame_len: SIGSEGV
      EXPECT_EQ(direct.malformed, fields.malformed) << what;
      EXPECT_EQ(0, std::memcmp(direct.src_ip, fields.src_ip, 16)) << what;
      EXPECT_EQ(direct.src_port, fields.src_port) << what;
    }
    return fields;
  }

  broker::cards::SoftCard card_;
  std::unique_ptr<broker::driver::Driver> driver_;
  std::set<uint32_t> members_;
  GuardedBuffer guard_{70000};
  uint64_t ts_ = 0;
  uint64_t frames_ = 0;
};

bool all_zero(const uint8_t* p, size_t n) { return std::all_of(p, p + n, [](uint8_t b) { return b == 0; }); }

// Fields apart from the verdicts.
std::string describe_fields(const core::PacketFields& f) {
  return fmt::format("eth {:04x} ipv{} proto {} ports {}/{} l4 {} frag {} later {} gtp {} teid {:08x} inner v{} "
                     "vlans {} vlan {} mpls {} label {} malformed {} depth {}",
                     f.ethertype, f.ip_version, f.l4_proto, f.src_port, f.dst_port, f.has_l4, f.fragment,
                     f.frag_later, f.has_gtp, f.gtp_teid, f.gtp_inner_version, f.vlan_count, f.vlan, f.has_mpls,
                     f.mpls, f.malformed, f.depth_exceeded);
}
bool same_parse(const core::PacketFields& a, const core::PacketFields& b) {
  core::PacketFields x = a, y = b;
  x.malformed = y.malformed = false;
  x.depth_exceeded = y.depth_exceeded = false;
  return describe_fields(x) == describe_fields(y) && std::memcmp(x.src_ip, y.src_ip, 16) == 0 &&
         std::memcmp(x.dst_ip, y.dst_ip, 16) == 0 && std::memcmp(x.gtp_inner_src, y.gtp_inner_src, 16) == 0 &&
         std::memcmp(x.gtp_inner_dst, y.gtp_inner_dst, 16) == 0 && std::memcmp(x.src_mac, y.src_mac, 6) == 0 &&
         std::memcmp(x.dst_mac, y.dst_mac, 6) == 0;
}

TEST_F(BadFrames, SyntheticFramesAreWellFormedWhole) {
  for (const Synth& s : synthetic_frames()) {
    const auto f = forward(s.bytes, s.name);
    EXPECT_FALSE(f.malformed) << s.name << ": " << describe_fields(f);
    EXPECT_FALSE(f.depth_exceeded) << s.name;
    EXPECT_NE(f.ip_version, 0) << s.name;
    EXPECT_TRUE(f.has_l4) << s.name;
    if (s.gtp) { EXPECT_TRUE(f.has_gtp && f.gtp_inner_version != 0) << s.name << ": " << describe_fields(f); }
  }
}

// Every synthetic frame fills its lengths exactly, so a cut anywhere, inside a header or in
// the payload, leaves lengths that disagree: malformed, forwarded, what was before the cut
// kept, what was after it zero.
TEST_F(BadFrames, SyntheticTruncatedAtEveryOffset) {
  for (const Synth& s : synthetic_frames()) {
    const auto full = forward(s.bytes, s.name);
    for (size_t cut = 0; cut < s.bytes.size(); ++cut) {
      const Bytes f(s.bytes.begin(), s.bytes.begin() + long(cut));
      const std::string what = fmt::format("{} cut at {} of {}", s.name, cut, s.bytes.size());
      const auto r = forward(f, what);
      EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r);
      if (cut >= 6) { EXPECT_EQ(0, std::memcmp(r.dst_mac, full.dst_mac, 6)) << what; }
      if (cut >= 12) { EXPECT_EQ(0, std::memcmp(r.src_mac, full.src_mac, 6)) << what; }
      if (cut < 12) { EXPECT_TRUE(all_zero(r.src_mac, 6)) << what; }
      if (cut < s.l3 + 20) { EXPECT_TRUE(all_zero(r.src_ip, 16) && all_zero(r.dst_ip, 16)) << what; }
      if (cut >= s.l3 + (s.v6 ? 40 : 20)) {
        EXPECT_EQ(0, std::memcmp(r.src_ip, full.src_ip, 16)) << what;
        EXPECT_EQ(0, std::memcmp(r.dst_ip, full.dst_ip, 16)) << what;
      }
      if (cut < s.l4 + 4) { EXPECT_TRUE(!r.has_l4 && r.src_port == 0 && r.dst_port == 0) << what; }
      if (cut >= s.l4 + 4) { EXPECT_TRUE(r.src_port == full.src_port && r.dst_port == full.dst_port) << what; }
      if (s.gtp && cut < s.gtp + 8) { EXPECT_TRUE(!r.has_gtp && r.gtp_teid == 0) << what; }
    }
  }
}

// Lying length fields on otherwise good frames.
TEST_F(BadFrames, Ipv4HeaderLengthEveryValue) {
  for (const Synth& s : synthetic_frames()) {
    if (s.v6 || !s.l3) continue;
    const uint16_t total = get16(s.bytes, s.ip_len_at);
    for (int ihl = 0; ihl < 16; ++ihl) {
      Bytes f = s.bytes;
      f[s.l3] = uint8_t(0x40 | ihl);
      const std::string what = fmt::format("{} IHL {}", s.name, ihl);
      const auto r = forward(f, what);
      if (ihl < 5 || ihl * 4 > total) { EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r); }
      if (ihl < 5) { EXPECT_EQ(r.ip_version, 0) << what; }
      if (uint32_t(ihl * 4) == s.l4 - s.l3) { EXPECT_FALSE(r.malformed) << what; }
    }
  }
}

TEST_F(BadFrames, Ipv4TotalLength) {
  for (const Synth& s : synthetic_frames()) {
    if (s.v6 || !s.l3) continue;
    const uint16_t real = get16(s.bytes, s.ip_len_at);
    const uint32_t hlen = (s.bytes[s.l3] & 0x0F) * 4u;
    for (uint32_t total : {0u, 1u, 19u, hlen - 1, hlen, real + 1u, real + 100u, 0xFFFFu}) {
      Bytes f = s.bytes;
      put16(f, s.ip_len_at, uint16_t(total));
      const std::string what = fmt::format("{} total length {} (real {})", s.name, total, real);
      const auto r = forward(f, what);
      if (total == 0) {
        // Segmentation offload leaves it 0: the frame bounds the datagram (parse_ip.cpp).
        EXPECT_FALSE(r.malformed) << what << ": " << describe_fields(r);
      } else if (total < hlen || total > real || total == hlen) {
        // Shorter than its own header, longer than the frame, or no room for the transport
        // header it announces.
        EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r);
      }
    }
  }
}

TEST_F(BadFrames, Ipv6PayloadLength) {
  for (const Synth& s : synthetic_frames()) {
    if (!s.v6) continue;
    const uint16_t real = get16(s.bytes, s.ip_len_at);
    const uint32_t ext = s.ext_end ? uint32_t(s.ext_end - s.l3 - 40) : 0;
    for (uint32_t len : {0u, 1u, 7u, ext, real + 1u, real + 1000u, 0xFFFFu}) {
      Bytes f = s.bytes;
      put16(f, s.ip_len_at, uint16_t(len));
      const std::string what = fmt::format("{} payload length {} (real {})", s.name, len, real);
      const auto r = forward(f, what);
      // Every value lies, 0 included: rule changed (DESIGN.md rule 3), a payload length of 0
      // without a jumbo option is malformed (the lengths disagree); before, 0 was taken as
      // segmentation offload with the frame bounding the datagram, like IPv4's total length 0.
      EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r);
    }
  }
}

TEST_F(BadFrames, UdpLength) {
  for (const Synth& s : synthetic_frames()) {
    if (!s.udp) continue;
    const uint16_t real = get16(s.bytes, s.udp + 4);
    for (uint32_t len : {0u, 1u, 7u, real + 1u, 0xFFFFu}) {
      Bytes f = s.bytes;
      put16(f, s.udp + 4, uint16_t(len));
      const std::string what = fmt::format("{} UDP length {} (real {})", s.name, len, real);
      const auto r = forward(f, what);
      EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r);
      EXPECT_TRUE(r.has_l4) << what;
    }
    // Shorter than the IP payload but sane: the rest is padding, not an error.
    Bytes f = s.bytes;
    put16(f, s.udp + 4, uint16_t(real - 1));
    forward(f, s.name + " UDP length one short");
  }
}

TEST_F(BadFrames, GtpLength) {
  for (const Synth& s : synthetic_frames()) {
    if (!s.gtp) continue;
    const uint16_t real = get16(s.bytes, s.gtp + 2);
    const bool opt = s.bytes[s.gtp] & 0x07;
    std::vector<uint32_t> lies = {real + 1u, 0xFFFFu};
    if (opt) lies.push_back(3);  // shorter than the optional block
    for (uint32_t len : lies) {
      Bytes f = s.bytes;
      put16(f, s.gtp + 2, uint16_t(len));
      const std::string what = fmt::format("{} GTP length {} (real {})", s.name, len, real);
      const auto r = forward(f, what);
      EXPECT_TRUE(r.malformed) << what << ": " << describe_fields(r);
      EXPECT_TRUE(r.has_gtp) << what;
    }
    for (uint32_t len : {0u, 1u, 4u}) {  // legal but short: no inner packet, or a cut one
      Bytes f = s.bytes;
      put16(f, s.gtp + 2, uint16_t(len));
      forward(f, fmt::format("{} GTP length {}", s.name, len));
    }
  }
}

TEST_F(BadFrames, MplsWithoutBottomOfStack) {
  // Labels and then the frame ends: never a bottom, cut inside the stack.
  for (int labels = 1; labels <= 17; ++labels) {
    FrameBuilder b;
    b.eth(0x8847);
    for (int i = 0; i < labels; ++i) b.mpls(uint32_t(100 + i), false);
    const Synth s = b.finish("mpls_no_bos");
    const auto r = forward(s.bytes, fmt::format("{} labels without bottom of stack", labels));
    if (labels < 16) { EXPECT_TRUE(r.malformed) << labels << " labels: " << describe_fields(r); }
    else { EXPECT_TRUE(r.malformed || r.depth_exceeded) << labels << " labels"; }
    EXPECT_TRUE(r.has_mpls) << labels << " labels";
    EXPECT_EQ(r.mpls, 100u) << labels << " labels: the top label";
    EXPECT_EQ(r.ip_version, 0);
  }
  // The bottom bit cleared in good frames: the IP header is read as more labels.
  for (const Synth& s : synthetic_frames()) {
    if (!s.mpls) continue;
    Bytes f = s.bytes;
    for (size_t at = s.mpls; at < s.l3; at += 4) f[at + 2] &= uint8_t(~0x01);
    const auto r = forward(f, s.name + " without bottom of stack");
    // The IP header read as labels: the stack ends inside it (on a set S bit), and what
    // follows is not guessed as IP, or the walk runs out or past the frame.
    EXPECT_TRUE(r.malformed || r.depth_exceeded || r.ip_version == 0) << s.name << ": " << describe_fields(r);
    EXPECT_EQ(r.mpls, get16(s.bytes, s.mpls) * 16u + (s.bytes[s.mpls + 2] >> 4)) << s.name << ": top label";
  }
}

TEST_F(BadFrames, VlanTagAtTheEnd) {
  const Bytes eth = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (uint16_t tpid : {0x8100, 0x88A8, 0x9100}) {
    Bytes f = eth;
    append(f, {uint8_t(tpid >> 8), uint8_t(tpid)});
    auto r = forward(f, "TPID and nothing after it");
    EXPECT_TRUE(r.malformed);
    EXPECT_EQ(r.ethertype, 0);
    append(f, {0x00});
    r = forward(f, "TPID and half a TCI");
    EXPECT_TRUE(r.malformed);
    append(f, {0x64});
    r = forward(f, "TPID and TCI, no EtherType");
    EXPECT_TRUE(r.malformed);
    EXPECT_EQ(r.vlan_count, 1);
    EXPECT_EQ(r.vlan, 100);
    append(f, {0x81});
    r = forward(f, "TPID, TCI and half an EtherType");
    EXPECT_TRUE(r.malformed);
    append(f, {0x00});
    r = forward(f, "a second TPID at the end");
    EXPECT_TRUE(r.malformed);
  }
  // Five stacked tags: more than the parser walks. Rule changed (DESIGN.md rule 2): four
  // tags are walked and counted (before: two recorded), the outer ID is kept.
  Bytes f = eth;
  for (int i = 0; i < 5; ++i) append(f, {0x81, 0x00, 0x00, uint8_t(i + 1)});
  append(f, {0x08, 0x00});
  f.resize(f.size() + 40);
  auto r = forward(f, "five VLAN tags");
  EXPECT_TRUE(r.depth_exceeded || r.malformed);
  EXPECT_EQ(r.vlan_count, core::kVlanTags);
  EXPECT_EQ(r.vlan, 1);
  // Four: all walked, the frame behind them parsed.
  f = eth;
  for (int i = 0; i < 4; ++i) append(f, {0x81, 0x00, 0x00, uint8_t(i + 1)});
  append(f, {0x08, 0x00});
  const Synth ip = FrameBuilder().eth(0x0800).ipv4(17).udp(5000, 53).payload(12).finish("ip");
  f.insert(f.end(), ip.bytes.begin() + 14, ip.bytes.end());
  r = forward(f, "four VLAN tags");
  EXPECT_FALSE(r.depth_exceeded || r.malformed) << describe_fields(r);
  EXPECT_EQ(r.vlan_count, 4);
  EXPECT_EQ(r.vlan, 1);
  EXPECT_EQ(r.ethertype, 0x0800);
  EXPECT_EQ(r.dst_port, 53);
}

// Every frame of every shared capture, cut at every offset up to a little past the parse
// window (beyond it only the length fields can notice, and those are checked above).
TEST_F(BadFrames, CaptureFramesTruncatedAtEveryOffset) {
  BROKER_REQUIRE_SHARED_TESTDATA();
  size_t captures = 0, frames = 0, cuts = 0;
  std::set<Bytes> seen;
  for (const auto& path : broker::testing::shared_captures()) {
    std::unique_ptr<broker::io::PcapSource> src;
    try {
      src = std::make_unique<broker::io::PcapSource>(path.string());
    } catch (const std::exception& e) {
      continue;  // link types the card refuses (their refusal is tested elsewhere)
    }
    ++captures;
    broker::io::Frame fr;
    while (true) {
      try {
        if (!src->next(fr)) break;
      } catch (const std::exception&) {
        break;
      }
      // Frames alike in their first 300 bytes behave alike under these cuts.
      Bytes head(fr.data.begin(), fr.data.begin() + long(std::min<size_t>(fr.data.size(), 300)));
      if (!seen.insert(head).second) continue;
      ++frames;
      const std::string name = fmt::format("{} frame {}", path.filename().string(), src->frames_read());
      const auto full = forward(fr.data, name);
      const size_t limit = std::min<size_t>(fr.data.size(), core::kParseBytes + 8);
      for (size_t cut = 0; cut < limit; ++cut) {
        const Bytes f(fr.data.begin(), fr.data.begin() + long(cut));
        const std::string what = fmt::format("{} cut at {} of {}", name, cut, fr.data.size());
        const auto r = forward(f, what);
        ++cuts;
        if (cut < 14) { EXPECT_TRUE(r.malformed) << what; }
        // A cut the parser does not notice must not change what it parsed.
        if (!r.malformed && !full.depth_exceeded) {
          EXPECT_TRUE(same_parse(r, full)) << what << "\n cut:  " << describe_fields(r)
                                           << "\n full: " << describe_fields(full);
        }
        if (::testing::Test::HasFailure()) return;  // one bad frame is enough to read
      }
    }
  }
  std::cout << "captures " << captures << ", distinct frames " << frames << ", truncations " << cuts << "\n";
  EXPECT_GT(frames, 0u);
}

}  // namespace
