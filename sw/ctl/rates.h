// Per-port rates from consecutive counter snapshots, for `brokerctl counters --watch`.
// Pure arithmetic on plain numbers so that it is testable without a daemon.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace broker::ctl {

// One port's cumulative counters at one instant.
struct CounterSample {
  uint64_t ts_ns = 0;     // when read (any clock, as long as both samples use the same)
  uint64_t packets = 0;
  uint64_t bytes = 0;     // frame bytes as the data path counts them
};

struct Rate {
  double packets_per_s = 0;
  double bits_per_s = 0;  // bytes * 8 per second
};

// The rate between two samples of one port; nullopt when it cannot be told: time did not
// advance, or a counter went backwards (the counters were cleared in between).
std::optional<Rate> compute_rate(const CounterSample& previous, const CounterSample& current);

// Remembers the last sample of every port and hands out the rate since it.
class RateTracker {
 public:
  enum class Direction { kIngress, kEgress };

  // Records `current` as the port's latest sample and returns the rate since the previous
  // one (nullopt for the first sample of a port, or see compute_rate).
  std::optional<Rate> update(Direction direction, uint32_t port, const CounterSample& current);

  void reset() { last_.clear(); }

 private:
  std::map<std::pair<Direction, uint32_t>, CounterSample> last_;
};

}  // namespace broker::ctl
