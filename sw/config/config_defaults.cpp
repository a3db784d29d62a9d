#include "config_defaults.h"

namespace broker::config {

broker::v1::Config with_defaults(broker::v1::Config config) {
  if (config.utilization_window_us() == 0) {
    config.set_utilization_window_us(kDefaultUtilizationWindowUs);
  }
  for (auto& port : *config.mutable_egress_ports()) {
    if (port.speed_mbps() == 0) port.set_speed_mbps(kDefaultSpeedMbps);
  }
  for (auto& group : *config.mutable_groups()) {
    if (group.hash() == broker::v1::HASH_FUNCTION_UNSPECIFIED) group.set_hash(kDefaultHash);
    if (group.mode() == broker::v1::SELECTION_MODE_UNSPECIFIED) group.set_mode(kDefaultMode);
    // Filled for static groups too: harmless there, and a group switched to dynamic
    // later through the API then starts from the documented values.
    if (group.utilization_threshold_bp() == 0) {
      group.set_utilization_threshold_bp(kDefaultUtilizationThresholdBp);
    }
    if (group.idle_timeout_us() == 0) group.set_idle_timeout_us(kDefaultIdleTimeoutUs);
    if (group.fragment_timeout_us() == 0) {
      group.set_fragment_timeout_us(kDefaultFragmentTimeoutUs);
    }
  }
  return config;
}

}  // namespace broker::config
