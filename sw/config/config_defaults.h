// The values that a zero (or UNSPECIFIED) field in broker.v1.Config stands for.
// proto3 cannot tell "unset" from zero, so config.proto documents "0 means ..." and these
// constants are the one place those numbers live: the driver, brokerd and the docs'
// examples all take them from here.
#pragma once

#include <cstdint>

#include "broker/v1/config.pb.h"

namespace broker::config {

inline constexpr broker::v1::HashFunction kDefaultHash = broker::v1::HASH_CRC32;
inline constexpr broker::v1::SelectionMode kDefaultMode = broker::v1::MODE_STATIC;
inline constexpr uint32_t kDefaultUtilizationThresholdBp = 8000;  // 80 %
inline constexpr uint32_t kDefaultIdleTimeoutUs = 30'000'000;     // 30 s
inline constexpr uint32_t kDefaultFragmentTimeoutUs = 1'000'000;  // 1 s
inline constexpr uint64_t kDefaultSpeedMbps = 100'000;            // 100 GbE
inline constexpr uint32_t kDefaultUtilizationWindowUs = 1000;     // 1 ms

// The configuration with every zero-means-default field replaced by its default, so code
// after it never has to know the convention. Run it after validate(): it does not judge,
// and an unknown enum value is left as it is. Its result is for the driver, not for
// persisting or returning to a client: static groups come out with the dynamic-only
// threshold and idle timeout filled in, which validate() would warn about on the way back.
broker::v1::Config with_defaults(broker::v1::Config config);

}  // namespace broker::config
