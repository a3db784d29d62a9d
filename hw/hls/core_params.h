// Compile-time sizes of the data path. Every table, register block and loop bound in the
// core derives from these, so a bigger build is one edit here (and a regenerated regmap).
#pragma once
#include <stdint.h>

namespace broker {
namespace core {

constexpr int kInPorts = 8;        // ingress (network) ports
constexpr int kOutPorts = 16;      // egress (tool) ports
constexpr int kGroups = 16;        // port groups
constexpr int kMembers = 16;       // members per group
constexpr int kBucketBits = 10;    // buckets per group = 2^kBucketBits (static table and flow table)
constexpr int kBuckets = 1 << kBucketBits;

constexpr int kParseBytes = 256;   // the parser never looks past this many bytes of a frame
constexpr int kKeyBytes = 96;      // normative hash key record (DESIGN.md)
constexpr int kBeatBytes = 64;     // 512-bit AXI4-Stream beat
constexpr int kHeaderBeats = kParseBytes / kBeatBytes;
constexpr int kMinFrame = 14;
constexpr int kMaxFrame = 65535;

constexpr int kMaxVlanTags = 2;    // DESIGN.md: up to two VLAN tags are parsed
constexpr int kMaxMplsLabels = 8;  // labels recorded from the stack (deeper stacks still parsed)
constexpr uint8_t kNoPort = 0xFF;  // "no egress port": dropped

}  // namespace core
}  // namespace broker
