// Indirection tables that change as little as possible when members come and go: the
// control-plane half of "adding or removing a member moves only the buckets it must".
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace broker::driver {

inline constexpr uint8_t kUnassigned = 0xFF;

// table[b] is the member slot of bucket b (kUnassigned for none). Returns the table for the
// new set of live slots: buckets of slots that left go to members below their fair share;
// members above it give up only their excess; shares end within one bucket of each other.
// With no live slot every bucket is kUnassigned.
std::vector<uint8_t> rebalance(const std::vector<uint8_t>& table, const std::vector<uint8_t>& live_slots);

// How many buckets differ between two tables.
size_t buckets_moved(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after);

}  // namespace broker::driver
