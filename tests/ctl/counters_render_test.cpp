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
  d->set_csr_timeouts(6);
  auto* e = s.add_egress();
  e->set_port(2);
  e->set_name("ids-1");
  e->set_packets(100);
  e->set_bytes(6400);
  e->set_drops(9);
  auto* i = s.add_ingress();
  i->set_port(0);
  i->set_name("tap-a");
  i->set_packets(109);
  i->set_drops(7);
  return s;
}

// The data path section closes the screen, the later-fragment counters and the register
// timeouts under the others.
constexpr const char* kDataPath =
    "DATA PATH  MALFORMED  FRAGMENTS  DEPTH EXCEEDED  UNMAPPED DROPS  THRESHOLD AVOIDS\n"
    "                   1         30               2               3                 4\n"
    "\n"
    "LATER FRAGMENTS  FOLLOWED  MISSED\n"
    "                       17       5\n"
    "\n"
    "REGISTERS  TIMEOUTS\n"
    "                  6\n";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(CtlCounters, DataPathSectionShowsFragmentFollowsAndMisses) {
  const std::string out = render_counters(snapshot_with_data_path(), nullptr, false, false);
  EXPECT_TRUE(ends_with(out, kDataPath)) << out;
}

// Frames a port's FIFO or queue dropped whole have their own column on both port tables.
TEST(CtlCounters, PortTablesShowDrops) {
  const std::string out = render_counters(snapshot_with_data_path(), nullptr, false, false);
  EXPECT_NE(out.find("INGRESS  NAME   PACKETS  BYTES  DROPS"), std::string::npos) << out;
  EXPECT_NE(out.find("      0  tap-a      109      0      7"), std::string::npos) << out;
  EXPECT_NE(out.find("EGRESS  NAME   LINK  PACKETS  BYTES  DROPS"), std::string::npos) << out;
  EXPECT_NE(out.find("     2  ids-1  down      100   6400      9"), std::string::npos) << out;
}

// Failover: each egress port says whether its link is up, down on the wire, or forced down;
// each member whether it takes part.
TEST(CtlCounters, LinkStateOfPortsAndMembers) {
  v1::CountersSnapshot s = snapshot_with_data_path();
  s.mutable_egress(0)->set_link_up(true);
  auto* e = s.add_egress();
  e->set_port(3);
  e->set_name("ids-2");
  e->set_packets(5);
  e->set_admin_down(true);
  auto* g = s.add_groups();
  g->set_name("ids");
  auto* m2 = g->add_members();
  m2->set_port(2);
  m2->set_buckets(1024);
  m2->set_link_up(true);
  auto* m3 = g->add_members();
  m3->set_port(3);
  const std::string out = render_counters(s, nullptr, false, false);
  EXPECT_NE(out.find("     2  ids-1  up                 100   6400      9"), std::string::npos) << out;
  EXPECT_NE(out.find("     3  ids-2  down (forced)        5"), std::string::npos) << out;
  EXPECT_NE(out.find("2 ids-1        0                1024  0.00%  up"), std::string::npos) << out;
  EXPECT_NE(out.find("3 ids-2        0                   0  0.00%  down"), std::string::npos) << out;
}

TEST(CtlCounters, WatchScreenHasTheSameDataPathSection) {
  const PortRates rates;  // --watch before the second snapshot: no rates yet
  const std::string out = render_counters(snapshot_with_data_path(), &rates, true, true);
  EXPECT_TRUE(ends_with(out, kDataPath)) << out;
}

}  // namespace
}  // namespace broker::ctl
