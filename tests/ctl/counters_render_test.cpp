// The plain-text screen of `brokerctl counters` (and of each --watch redraw), rendered from
// a snapshot as brokerd sends it.
#include "commands.h"

#include <gtest/gtest.h>

namespace broker::ctl {
namespace {

v1::CountersSnapshot snapshot_with_data_path() {
  v1::CountersSnapshot s;
  auto* d = s.mutable_data_path();
  d->set_malformed(1);
  d->set_fragments(30);
  d->set_depth_exceeded(2);
  d->set_unmapped_drops(3);
  d->set_threshold_avoids(4);
  d->set_fragment_follows(17);
  d->set_fragment_misses(5);
  return s;
}

// The data path section closes the screen, the later-fragment counters under the others.
constexpr const char* kDataPath =
    "DATA PATH  MALFORMED  FRAGMENTS  DEPTH EXCEEDED  UNMAPPED DROPS  THRESHOLD AVOIDS\n"
    "                   1         30               2               3                 4\n"
    "\n"
    "LATER FRAGMENTS  FOLLOWED  MISSED\n"
    "                       17       5\n";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(CtlCounters, DataPathSectionShowsFragmentFollowsAndMisses) {
  const std::string out = render_counters(snapshot_with_data_path(), nullptr, false, false);
  EXPECT_TRUE(ends_with(out, kDataPath)) << out;
}

TEST(CtlCounters, WatchScreenHasTheSameDataPathSection) {
  const PortRates rates;  // --watch before the second snapshot: no rates yet
  const std::string out = render_counters(snapshot_with_data_path(), &rates, true, true);
  EXPECT_TRUE(ends_with(out, kDataPath)) << out;
}

}  // namespace
}  // namespace broker::ctl
