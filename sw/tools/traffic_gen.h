// Deterministic synthetic traffic for the product's seed scenario: measurement points (TAPs
// and SPAN ports) that see sessions of every kind the parser knows, with both directions of a
// session sometimes on one point and sometimes split over a TAP pair. The project ships no
// captures of its own (a user's clone has no ../shared), so demos, tests and benchmarks make
// their traffic here. Same options (seed included) -> the same bytes, on any platform: only
// std::mt19937_64's raw output is used, never the standard library's distributions, whose
// results differ between implementations.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "virtual_tap.h"

namespace broker::tools {

// What a session carries. The encapsulating kinds (VLAN, QinQ, MPLS) carry IPv4 TCP or UDP;
// GTP-U carries a UE's inner IPv4 TCP or UDP.
enum class SessionKind : uint8_t {
  kIpv4Tcp,
  kIpv4Udp,
  kIpv6Tcp,
  kIpv6Udp,
  kVlanIpv4,        // one 802.1Q tag
  kQinQIpv4,        // S-tag (0x88A8, sometimes 0x9100 or 0x8100) + 802.1Q C-tag
  kMplsIpv4,        // one or two labels; each direction has its own labels
  kGtpU,            // outer IPv4 UDP 2152 eNB <-> SGW, uplink and downlink TEIDs differ
  kIpv4Fragmented,  // IPv4 UDP datagrams of 2-3 fragments
  kIcmpEcho,        // IPv4 echo request / reply
};
constexpr int kSessionKinds = 10;
const char* to_string(SessionKind kind);

struct TrafficOptions {
  uint64_t seed = 1;
  int points = 8;                  // measurement points, 1..255; files tap-1.pcap ..
  uint32_t sessions = 2000;
  uint64_t duration_ms = 2000;     // sessions start spread over this span
  // Line rate of each measurement point's link: frames on one point never overlap on the
  // wire (frame + FCS + preamble and inter-frame gap); a busy point delays later frames.
  double rate_mbps = 10000;
  uint64_t start_ns = 1704067200ull * 1000000000ull;  // 2024-01-01T00:00:00Z
  // Each point a software TAP in a hypervisor: every frame arrives in this tunnel (virtual_tap.h).
  VirtualTap virtual_tap = VirtualTap::kNone;
};

// The parameters of one session, as the frames carry them: what a test expects the parser to
// read. Addresses use the hash key's layout: IPv4 in the last 4 bytes of a 16-byte slot.
// "to server" is the client -> server direction (GTP: uplink, UE -> network).
struct SessionInfo {
  uint32_t id = 0;
  SessionKind kind = SessionKind::kIpv4Tcp;
  uint8_t ip_version = 4;    // outer
  uint8_t l4_proto = 6;      // 6, 17 or 1; for GTP-U the inner packet's (the outer is UDP)
  uint8_t point_to_server = 0;  // 0-based: point p writes tap-(p+1).pcap
  uint8_t point_to_client = 0;  // differs from point_to_server when a TAP pair splits the link
  bool elephant = false;
  bool jumbo = false;        // 9000-byte MTU
  uint64_t start_ns = 0;     // intended time of the first frame (absolute)

  uint8_t client_mac[6] = {};  // source MAC of client -> server frames
  uint8_t server_mac[6] = {};
  uint8_t vlan_count = 0;      // outer first
  uint16_t vlan_tpid[2] = {};
  uint16_t vlan_id[2] = {};
  uint8_t mpls_count = 0;      // top first; labels are per direction, as MPLS assigns them
  uint32_t mpls_to_server[2] = {};
  uint32_t mpls_to_client[2] = {};

  uint8_t client_ip[16] = {};  // outer; GTP-U: the eNB
  uint8_t server_ip[16] = {};  // outer; GTP-U: the SGW
  uint16_t client_port = 0;    // outer L4 (GTP-U: 2152 both); 0 for ICMP
  uint16_t server_port = 0;
  uint16_t icmp_id = 0;

  uint32_t teid_uplink = 0;    // GTP-U: carried by to-server frames
  uint32_t teid_downlink = 0;
  uint8_t inner_client_ip[16] = {};  // GTP-U: the UE
  uint8_t inner_server_ip[16] = {};
  uint16_t inner_client_port = 0;
  uint16_t inner_server_port = 0;

  bool split() const { return point_to_server != point_to_client; }
};

struct GeneratedFrame {
  uint8_t point = 0;  // 0-based
  uint64_t ts_ns = 0;
  std::vector<uint8_t> bytes;  // Ethernet, without FCS: 60..1514 bytes (+4 a tag), jumbo 9014;
                               // with a virtual TAP, that frame inside the tunnel's headers
  uint32_t session = 0;        // index into sessions()
  bool to_server = true;
  uint8_t fragment = 0;        // 0: whole datagram; else 1-based position in the datagram
};

// Frames one at a time, each point's frames in strictly increasing time, frames of different
// points interleaved roughly by time. Memory grows with the sessions open at once, not with the
// traffic, so large runs stream to disk.
class TrafficGenerator {
 public:
  // Throws std::invalid_argument on options out of range.
  explicit TrafficGenerator(const TrafficOptions& options);
  ~TrafficGenerator();
  TrafficGenerator(const TrafficGenerator&) = delete;
  TrafficGenerator& operator=(const TrafficGenerator&) = delete;

  const TrafficOptions& options() const;
  const std::vector<SessionInfo>& sessions() const;
  // False when every session has ended.
  bool next(GeneratedFrame& frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<uint32_t> tap_seq_;  // per point: the virtual TAP's sequence number
};

struct Traffic {
  std::vector<SessionInfo> sessions;
  std::vector<GeneratedFrame> frames;  // sorted by (ts_ns, point)
};

// All frames in memory, for tests and benchmarks.
Traffic generate_traffic(const TrafficOptions& options);

struct PointSummary {
  std::string path;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint32_t sessions = 0;  // sessions with at least one frame here
};

// "tap-1.pcap" for point 0.
std::string point_file_name(int point);

// Writes out_dir/tap-1.pcap .. tap-N.pcap (nanosecond Ethernet pcap), creating out_dir.
// Throws std::runtime_error when a file cannot be written.
std::vector<PointSummary> write_traffic(const TrafficOptions& options, const std::string& out_dir);

}  // namespace broker::tools
