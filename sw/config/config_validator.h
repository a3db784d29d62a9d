// Judging a broker.v1.Config as a whole before anything is written to a card
// (DESIGN.md, Configuration). Every problem is reported, not only the first, each naming
// the field it is about in the form `groups[1].tuple`, `groups[0].members[3]`,
// `egress_ports[2].port`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/v1/config.pb.h"
#include "core_params.h"

namespace broker::config {

// Sizes of the card being configured. The defaults are the data path's build sizes; a
// driver passes what the card reports, since a bitstream may be built bigger.
struct Limits {
  uint32_t in_ports = broker::core::kInPorts;
  uint32_t out_ports = broker::core::kOutPorts;
  uint32_t groups = broker::core::kGroups;
  uint32_t members = broker::core::kMembers;
  uint32_t filters = broker::core::kFilterRules;
};

// Bounds that do not depend on the card.
inline constexpr uint32_t kMaxUtilizationThresholdBp = 10'000;  // 100 %
inline constexpr uint64_t kMaxSpeedMbps = 800'000;              // 800 GbE, the fastest Ethernet
inline constexpr double kMaxReplayPace = 1000;                  // times a capture's recorded speed
// The slowest pace: a capture's one second lasts 1000 s (17 minutes). Slower paces are no use,
// and a tiny one (1e-300) overflows the integer a frame's due time is computed in.
inline constexpr double kMinReplayPace = 0.001;
// An originating tool port's slice: at least a minimal frame's 64 bytes, at most a jumbo frame.
inline constexpr uint32_t kMinSliceBytes = 64;
inline constexpr uint32_t kMaxSliceBytes = 9216;
inline constexpr size_t kMaxTextBytes = 4096;                   // paths and interface names
// Names (of the configuration, ports and groups) are for people: they appear in log lines, the
// counters and brokerctl's tables, so they stay short. Neither names nor paths may hold control
// characters (a newline in a group name forged daemon log lines).
inline constexpr size_t kMaxNameBytes = 64;
// The utilization of the last complete window is what dynamic groups steer by: a window of
// 10 s already reacts 10 s late, and longer ones approach the meters' limits (the fabric's
// meter counts a window's bytes in 48 bits, 2^48 bytes being 47 minutes of 800 GbE, and
// compares window ends on a microsecond time base that wraps every 71.6 minutes, see
// hw/rtl/tx_meter.sv). 0 means the default of 1 ms; there is no minimum other than 1 us.
inline constexpr uint32_t kMaxUtilizationWindowUs = 10'000'000;  // 10 s
// A receiver gives up on a datagram whose fragments do not all arrive within its reassembly
// timeout: 60 to 120 s for IPv4 (RFC 1122), 60 s for IPv6 (RFC 8200), 30 s in Linux.
// Remembering a first fragment longer than the longest of these helps no receiver and only
// leaves entries for a reused identification to hit.
inline constexpr uint32_t kMaxFragmentTimeoutUs = 120'000'000;  // 120 s

struct Issue {
  std::string field;    // e.g. "groups[1].hash"; "" for the configuration as a whole
  std::string message;  // a sentence for people, saying what to change where it can

  std::string to_string() const { return field.empty() ? message : field + ": " + message; }
  bool operator==(const Issue&) const = default;
};

struct ValidationResult {
  std::vector<Issue> errors;    // any error refuses the whole configuration
  std::vector<Issue> warnings;  // accepted, but probably not what was meant

  bool ok() const { return errors.empty(); }
  // One issue a line, errors first, each prefixed "error: " or "warning: "; "" if none.
  std::string summary() const;
};

ValidationResult validate(const broker::v1::Config& config, const Limits& limits = {});

}  // namespace broker::config
