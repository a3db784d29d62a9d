// What a hypervisor's software TAP sends: each mirrored frame wrapped in a tunnel towards the
// analysis side (192.0.2.1 from 192.0.2.10 + point), so example traffic can show tunnel
// termination without captures from a real virtualization host.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace broker::tools {

enum class VirtualTap : uint8_t { kNone, kGre, kErspan2, kErspan3, kVxlan };

// "none", "gre", "erspan2", "erspan3", "vxlan"; nothing for another name.
std::optional<VirtualTap> virtual_tap_named(const std::string& name);

// The frame as the TAP of measurement point `point` sends it: outer Ethernet and IPv4, then GRE
// with key point + 1 (transparent Ethernet), ERSPAN type II or III with session ID point + 1
// (GRE with sequence number `seq`; type III with the timestamp in microseconds), or VXLAN with
// VNI 100 + point. The inner frame follows unchanged.
std::vector<uint8_t> wrap_virtual_tap(VirtualTap tap, uint8_t point, uint32_t seq, uint64_t ts_ns,
                                      const std::vector<uint8_t>& frame);

}  // namespace broker::tools
