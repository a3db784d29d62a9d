// What the core is configured with and what it counts: the decoded form of the register map's
// configuration registers (the CSR block drives these as wires/BRAM ports in fabric; the
// soft card's register file decodes into them on every write).
#pragma once
#include "core_params.h"

namespace broker {
namespace core {

enum HashKind : uint8_t { kHashCrc32 = 0, kHashXor16 = 1 };
enum SelectMode : uint8_t { kModeStatic = 0, kModeDynamic = 1 };

struct GroupConfig {
  bool enable;
  uint8_t hash;                  // HashKind
  bool symmetric;
  uint8_t mode;                  // SelectMode
  uint16_t tuple;                // TupleBit mask
  uint16_t threshold_bp;         // dynamic: avoid members at or above this utilization
  uint32_t idle_us;              // dynamic: bucket idle timeout
  uint16_t live;                 // bit m: member slot m may receive packets
  uint8_t member_port[kMembers]; // egress port of each member slot
};

struct CoreConfig {
  bool enable;
  uint8_t in_map[kInPorts];      // bit 7 valid, bits 3:0 group
  GroupConfig group[kGroups];
  uint8_t ind[kGroups][kBuckets];  // static indirection: member slot of each bucket
};

// Dynamic-mode flow table: one entry per bucket per group. Internal state of the core.
struct FlowTable {
  bool valid[kGroups][kBuckets];
  uint8_t slot[kGroups][kBuckets];
  uint64_t last_seen_us[kGroups][kBuckets];  // 64-bit: no wrap in the life of a card
};

struct CoreCounters {
  uint64_t rx_pkts[kInPorts], rx_bytes[kInPorts];
  uint64_t tx_pkts[kOutPorts], tx_bytes[kOutPorts];
  uint64_t grp_pkts[kGroups], grp_new_flows[kGroups];
  uint64_t malformed, fragments, depth_exceeded, unmapped_drops, threshold_avoids;
};

constexpr uint8_t kInMapValid = 0x80;
constexpr uint8_t kNoGroup = 0xFF;

}  // namespace core
}  // namespace broker
