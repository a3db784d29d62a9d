// The normative 96-byte hash key (DESIGN.md): layout, tuple masking, the fragment rule and
// symmetric ordering.
#pragma once
#include "packet_fields.h"

namespace broker {
namespace core {

// Tuple mask bits, in key order. The register map's GRP_TUPLE fields use the same bits
// (the driver static_asserts it).
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

// Fills key[0..95] from the parsed fields: unselected fields zero, fragments without ports,
// and, when symmetric, src/dst pairs ordered so both directions give the same key.
void build_key(const PacketFields& f, uint8_t in_port, uint16_t tuple_mask, bool symmetric,
               uint8_t key[kKeyBytes]);

}  // namespace core
}  // namespace broker
