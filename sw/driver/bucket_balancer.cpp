#include "bucket_balancer.h"

#include <algorithm>
#include <map>

namespace broker::driver {

std::vector<uint8_t> rebalance(const std::vector<uint8_t>& table,
                               const std::vector<uint8_t>& live_slots) {
  std::vector<uint8_t> out(table.size(), kUnassigned);
  if (live_slots.empty() || table.empty()) return out;

  std::map<uint8_t, std::vector<size_t>> owned;  // slot -> its buckets, ascending
  for (uint8_t s : live_slots) owned[s];
  std::vector<size_t> pool;                      // buckets that need a member
  for (size_t b = 0; b < table.size(); ++b) {
    auto it = owned.find(table[b]);
    if (it != owned.end()) it->second.push_back(b);
    else pool.push_back(b);
  }

  // Fair shares: base each, one more for the `extra` members that already hold the most, so
  // the fewest buckets have to move. Ties go to the lower slot for determinism.
  const size_t n = live_slots.size();
  const size_t base = table.size() / n, extra = table.size() % n;
  std::vector<uint8_t> by_load(live_slots.begin(), live_slots.end());
  std::stable_sort(by_load.begin(), by_load.end(), [&](uint8_t a, uint8_t b) {
    return owned[a].size() != owned[b].size() ? owned[a].size() > owned[b].size() : a < b;
  });
  std::map<uint8_t, size_t> target;
  for (size_t i = 0; i < n; ++i) target[by_load[i]] = base + (i < extra ? 1 : 0);

  // Over-full members give up their highest buckets (any choice balances random flows).
  for (auto& [slot, buckets] : owned) {
    while (buckets.size() > target[slot]) {
      pool.push_back(buckets.back());
      buckets.pop_back();
    }
  }
  std::sort(pool.begin(), pool.end());

  // Deal the pool round-robin over members below target, so each member's new buckets are
  // spread over the whole table rather than one contiguous run.
  size_t next = 0;
  for (size_t b : pool) {
    for (size_t tries = 0; tries < n; ++tries, next = (next + 1) % n) {
      const uint8_t s = live_slots[next];
      if (owned[s].size() < target[s]) {
        owned[s].push_back(b);
        next = (next + 1) % n;
        break;
      }
    }
  }
  for (const auto& [slot, buckets] : owned)
    for (size_t b : buckets) out[b] = slot;
  return out;
}

size_t buckets_moved(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after) {
  size_t moved = 0;
  for (size_t b = 0; b < before.size() && b < after.size(); ++b) moved += before[b] != after[b];
  return moved;
}

}  // namespace broker::driver
