// Compile-time sizes of the data path. Every table, register block and loop bound in the
// core derives from these, so a bigger build is one edit here (and a regenerated regmap).
#pragma once
#include <stdint.h>

namespace broker {
namespace core {

const int kInPorts = 8;        // ingress (network) ports
const int kLanes = 2;          // beat pipelines (one per CMAC): ingress port p enters lane_of(p)
const int kOutPorts = 16;      // egress (tool) ports
const int kGroups = 16;        // port groups
const int kMembers = 16;       // members per group
const int kBucketBits = 10;    // buckets per group = 2^kBucketBits (static table and flow table)
const int kBuckets = 1 << kBucketBits;
const int kFragBits = 10;      // fragment table: 2^kFragBits entries, direct mapped, shared by groups
const int kFragEntries = 1 << kFragBits;
const int kFilterRules = 64;  // filter rules, compared in parallel (DESIGN.md: at least 64)

const int kParseBytes = 256;   // the parser never looks past this many bytes of a frame
const int kKeyBytes = 96;      // normative hash key record (DESIGN.md)
const int kBeatBytes = 64;     // 512-bit AXI4-Stream beat
const int kHeaderBeats = kParseBytes / kBeatBytes;
const int kMinFrame = 14;
const int kMaxFrame = 65535;

const int kVlanTags = 4;       // DESIGN.md: up to four VLAN tags are walked; the outer ID is kept
const int kMplsLabels = 16;    // labels walked looking for bottom-of-stack; the top one is kept
const int kIp6ExtHeaders = 8;  // IPv6 extension headers walked
const int kGtpExtHeaders = 4;  // GTP-U extension headers walked
const uint8_t kNoPort = 0xFF;  // "no egress port": dropped

// The beat lane (rx0/tx0 or rx1/tx1) a frame from ingress port in_port takes.
inline int lane_of(unsigned in_port) { return int(in_port % kLanes); }

}  // namespace core
}  // namespace broker
