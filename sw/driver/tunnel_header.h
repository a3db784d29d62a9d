// The header template of a tool port that originates a tunnel (EgressPort.tunnel), as the
// egress_tunnel registers hold it: the bytes every wrapped frame starts with, and what the
// shell's encap fills in per frame left zero (lengths, IPv4 checksum, GRE sequence number,
// ERSPAN's T bit and type III's timestamp; hw/hls/encap.h).
#pragma once
#include <array>
#include <cstdint>

#include "broker/v1/config.pb.h"
#include "encap.h"

namespace broker::driver {

struct EncapRegisters {
  uint32_t ctrl = 0;    // ENC_CTRL
  uint32_t slice = 0;   // ENC_SLICE
  uint32_t csum = 0;    // ENC_CSUM
  std::array<uint32_t, core::kEncapHdrBytes / 4> hdr{};  // ENC_HDR0..
};

// The registers of a validated tunnel (an egress port without one: all zero, not wrapping).
EncapRegisters encap_registers(const v1::EgressTunnel& t);

}  // namespace broker::driver
