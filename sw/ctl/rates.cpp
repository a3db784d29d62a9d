#include "rates.h"

namespace broker::ctl {

std::optional<Rate> compute_rate(const CounterSample& previous, const CounterSample& current) {
  if (current.ts_ns <= previous.ts_ns) return std::nullopt;
  if (current.packets < previous.packets || current.bytes < previous.bytes) return std::nullopt;
  const double seconds = double(current.ts_ns - previous.ts_ns) / 1e9;
  Rate r;
  r.packets_per_s = double(current.packets - previous.packets) / seconds;
  r.bits_per_s = double(current.bytes - previous.bytes) * 8.0 / seconds;
  return r;
}

std::optional<Rate> RateTracker::update(Direction direction, uint32_t port,
                                        const CounterSample& current) {
  const auto key = std::make_pair(direction, port);
  const auto it = last_.find(key);
  std::optional<Rate> rate;
  if (it != last_.end()) {
    rate = compute_rate(it->second, current);
    it->second = current;
  } else {
    last_.emplace(key, current);
  }
  return rate;
}

}  // namespace broker::ctl
