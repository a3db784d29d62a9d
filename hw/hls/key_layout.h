// The normative 96-byte hash key's layout (DESIGN.md "Hash key") and the tuple mask bits that
// select its fields (register GRP_TUPLE, in key order; the driver static_asserts the match).
#pragma once
#include <stdint.h>

namespace broker {
namespace core {

enum TupleBit : uint16_t {
  kTupleInputPort = 1u << 0,
  kTupleIpProto = 1u << 1,
  kTupleEthertype = 1u << 2,
  kTupleSrcMac = 1u << 3,
  kTupleDstMac = 1u << 4,
  kTupleVlan = 1u << 5,
  kTupleMpls = 1u << 6,
  kTupleGtpTeid = 1u << 7,
  kTupleGtpInnerIp = 1u << 8,
  kTupleSrcIp = 1u << 9,
  kTupleDstIp = 1u << 10,
  kTupleSrcPort = 1u << 11,
  kTupleDstPort = 1u << 12,
  kTupleAll = (1u << 13) - 1,
};

// Key byte offsets (DESIGN.md table).
enum KeyOffset : int {
  kKeyInputPort = 0,
  kKeyIpProto = 1,
  kKeyEthertype = 2,
  kKeySrcMac = 4,
  kKeyDstMac = 10,
  kKeyVlan = 16,
  kKeyMpls = 18,
  kKeyGtpTeid = 22,
  kKeyGtpInnerSrc = 26,
  kKeyGtpInnerDst = 42,
  kKeySrcIp = 58,
  kKeyDstIp = 74,
  kKeySrcPort = 90,
  kKeyDstPort = 92,
};

}  // namespace core
}  // namespace broker
