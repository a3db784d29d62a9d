// Tool-port failover through the whole top (ctest label `failover`): while IMIX traffic runs at
// one beat per clock, the link of one member's port goes down (the top's link_up_i input, as a
// MAC reports it) and comes back. The fabric takes the member out of selection at once; the
// driver (poll_links) then rewrites the table as the fabric already deals it, and gives the
// member its buckets back on return. Checked per frame: no frame is decided for the dead port
// after its link went down, the live members lose nothing and keep their sessions, frames
// queued for the dead port are dropped whole and counted, everything that leaves is whole and
// in order, and only the dead member's buckets move (each once), in static and dynamic mode.
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

constexpr uint32_t kMembers[] = {1, 2, 3, 4};
constexpr uint8_t kDead = 2;
constexpr uint32_t kFlows = 256;

v1::Config four_tools(const char* mode) {
  std::string text = "name: \"failover\"\n";
  for (uint32_t p : kMembers) text += fmt::format("egress_ports {{ port: {} speed_mbps: 100000 }}\n", p);
  text += fmt::format(
      "groups {{ name: \"tools\" ingress_ports: [0, 1, 2, 3] members: [1, 2, 3, 4] "
      "hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] "
      "mode: {} }}\n", mode);
  return parse(text);
}

std::vector<uint32_t> indirection_words(VerilatorCard& card) {
  std::vector<uint32_t> w;
  for (uint32_t i = 0; i < rm::kBuckets / 8; ++i) w.push_back(card.read32(rm::IND_at(i)));  // group 0
  return w;
}

std::map<uint32_t, uint32_t> buckets_of(driver::Driver& drv) {
  std::map<uint32_t, uint32_t> out;
  const driver::Counters c = drv.counters();
  for (const auto& m : c.groups.at(0).members) out[m.port] = m.buckets;
  return out;
}

class SimFailover : public ::testing::TestWithParam<const char*> {};

TEST_P(SimFailover, MemberLinkDownAndBackMovesOnlyItsBucketsAndLosesNothingElsewhere) {
  const bool dynamic = std::string(GetParam()) == "MODE_DYNAMIC";
  VerilatorCard card;  // IngressMode::kOneLine: one beat per clock in total, in send order
  driver::Driver drv(card);
  drv.apply(four_tools(GetParam()));
  ASSERT_TRUE(card.run_until_idle());
  card.take_egress();
  card.take_decisions();
  card.clear_stats();
  const auto table_before = indirection_words(card);
  const auto buckets_before = buckets_of(drv);
  ASSERT_EQ(buckets_before.at(kDead), rm::kBuckets / 4);

  // IMIX over kFlows flows from the four ingress ports in turn: about 40,000 cycles.
  const auto lens = imix_frames(7000, 5);
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> sent_port;
  std::vector<uint32_t> flow_of;
  for (size_t i = 0; i < lens.size(); ++i) {
    flow_of.push_back(uint32_t(i % kFlows));
    sent.push_back(numbered_frame(uint32_t(lens[i].size()), flow_of.back(), uint32_t(i)));
    sent_port.push_back(uint8_t(i % 4));
    card.send(sent_port.back(), sent.back().data(), uint32_t(sent.back().size()));
  }

  // The failing port stops taking frames first (its queue fills), then its link goes down:
  // what waits in its queue is dropped whole.
  card.step(8000);
  card.set_tx_ready(0xFFFFu & ~(1u << kDead));
  card.step(2000);
  const uint64_t t_down = card.cycles();
  card.set_link_up(0xFFFFu & ~(1u << kDead));
  card.step(3000);  // the fabric alone has failed over; then the driver acts
  const auto down = drv.poll_links();
  const uint64_t t_down_polled = card.cycles();
  const auto table_down = indirection_words(card);
  const auto buckets_down = buckets_of(drv);
  card.step(10000);
  const uint64_t t_up = card.cycles();
  card.set_link_up(0xFFFFu);
  card.set_tx_ready(0xFFFFu);
  card.step(3000);
  const auto up = drv.poll_links();
  const uint64_t t_up_polled = card.cycles();
  const auto table_up = indirection_words(card);
  const auto buckets_up = buckets_of(drv);
  ASSERT_TRUE(card.run_until_idle(5'000'000));

  // The driver saw each change once and moved exactly the dead member's buckets, each once.
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].port, kDead);
  EXPECT_FALSE(down[0].up);
  EXPECT_EQ(down[0].buckets_moved, rm::kBuckets / 4);
  EXPECT_EQ(buckets_down.at(kDead), 0u);
  for (uint32_t p : kMembers)
    if (p != kDead) EXPECT_GE(buckets_down.at(p), buckets_before.at(p)) << "a live member lost buckets";
  ASSERT_EQ(up.size(), 1u);
  EXPECT_TRUE(up[0].up);
  EXPECT_EQ(up[0].buckets_moved, rm::kBuckets / 4);
  EXPECT_EQ(table_up, table_before) << "the member got other buckets back than it had";
  EXPECT_EQ(buckets_up, buckets_before);
  EXPECT_NE(table_down, table_before);

  const auto c = drv.counters();
  EXPECT_EQ(c.tx[kDead].link_downs, 1u);
  EXPECT_TRUE(c.tx[kDead].link_up);

  // Per frame: where each flow went before the link went down (A), while it was down (B:
  // from the moment it went, through the driver's rewrite) and once the member is back (C).
  const auto decided = card.take_decisions();
  ASSERT_EQ(decided.size(), sent.size());
  const std::vector<size_t> sent_of = sent_index_of(decided, sent_port);
  std::map<int, std::vector<size_t>> expect_out;
  std::map<int, uint64_t> decided_n, dropped_seen;
  std::map<uint32_t, std::set<int>> port_a, port_b, port_c;
  uint64_t b_frames = 0;
  for (size_t k = 0; k < decided.size(); ++k) {
    const size_t i = sent_of[k];
    ASSERT_LT(i, sent.size());
    const int port = int(decided[k].trace.decision.out_port);
    const uint64_t in = decided[k].cycles.core_in;
    ASSERT_EQ(uint64_t(decided[k].trace.stats_ev.len), sent[i].size()) << "core order, frame " << i;
    ++decided_n[port];
    if (in >= t_down && in < t_up) {
      ++b_frames;
      EXPECT_NE(port, kDead) << "frame " << i << " entered the core " << in - t_down
                             << " cycles after the link went down and was sent to the dead port";
      port_b[flow_of[i]].insert(port);
    } else if (in + 200 < t_down) {
      port_a[flow_of[i]].insert(port);
    } else if (in >= t_up_polled) {
      port_c[flow_of[i]].insert(port);
    }
    if (decided[k].cycles.tx_dropped()) {
      ++dropped_seen[port];
      EXPECT_EQ(port, kDead) << "frame " << i << " dropped at a live port";
      EXPECT_LT(in, t_down) << "frame " << i;
    } else {
      expect_out[port].push_back(i);
    }
  }
  ASSERT_GT(b_frames, 1000u);

  // Sessions: one port per flow in each phase; live members keep theirs throughout; the dead
  // member's flows go elsewhere while it is down and (static mode) come back with it.
  uint64_t moved_flows = 0, returned_flows = 0;
  for (uint32_t f = 0; f < kFlows; ++f) {
    ASSERT_EQ(port_a[f].size(), 1u) << "flow " << f << " split before the change";
    ASSERT_EQ(port_b[f].size(), 1u) << "flow " << f << " split while the link was down (the driver's "
                                       "rewrite moved it a second time?)";
    ASSERT_EQ(port_c[f].size(), 1u) << "flow " << f << " split after the link returned";
    const int a = *port_a[f].begin(), b = *port_b[f].begin(), cc = *port_c[f].begin();
    if (a != kDead) {
      EXPECT_EQ(b, a) << "flow " << f << " of a live member moved on failover";
      EXPECT_EQ(cc, a) << "flow " << f << " of a live member moved when the link returned";
    } else {
      ++moved_flows;
      EXPECT_NE(b, kDead);
      // Static: the bucket is the member's again. Dynamic: the re-placed flow stays put.
      EXPECT_EQ(cc, dynamic ? b : int(kDead)) << "flow " << f;
      returned_flows += cc == kDead;
    }
  }
  EXPECT_GT(moved_flows, 20u);

  // What left each port: whole, in order, exactly the frames not dropped; counters exact.
  std::map<int, std::vector<std::vector<uint8_t>>> got;
  for (auto& f : card.take_egress()) got[f.port].push_back(std::move(f.data));
  expect_port_output(expect_out, got, sent, sent_port);
  for (uint32_t p : kMembers) {
    EXPECT_EQ(c.tx[p].packets, decided_n[int(p)]) << "TX_PKTS of port " << p;
    EXPECT_EQ(c.tx[p].drops, dropped_seen[int(p)]) << "TX_DROPS of port " << p;
    if (p != kDead) EXPECT_EQ(c.tx[p].drops, 0u) << "a live member lost frames";
  }
  EXPECT_GT(dropped_seen[kDead], 10u) << "nothing was queued for the dead port when its link went down";
  EXPECT_EQ(c.unmapped_drops, 0u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(c.rx[i].drops, 0u);

  std::printf("[ figures  ] %s: %zu IMIX frames, %u flows; port %u down at cycle %llu (driver acted by "
              "%llu), up at %llu (driver by %llu): buckets moved %u down / %u up; flows moved %llu, back "
              "%llu; port %u: decided %llu, delivered %zu, dropped %llu (TX_DROPS %llu); live ports "
              "dropped 0\n",
              GetParam(), sent.size(), kFlows, kDead, (unsigned long long)t_down,
              (unsigned long long)t_down_polled, (unsigned long long)t_up, (unsigned long long)t_up_polled,
              down[0].buckets_moved, up[0].buckets_moved, (unsigned long long)moved_flows,
              (unsigned long long)returned_flows, kDead, (unsigned long long)decided_n[kDead],
              got[kDead].size(), (unsigned long long)dropped_seen[kDead],
              (unsigned long long)c.tx[kDead].drops);
  RecordProperty("buckets_moved_down", int(down[0].buckets_moved));
  RecordProperty("dead_port_drops", int(c.tx[kDead].drops));
}

INSTANTIATE_TEST_SUITE_P(Modes, SimFailover, ::testing::Values("MODE_STATIC", "MODE_DYNAMIC"),
                         [](const auto& info) { return std::string(info.param) == "MODE_STATIC" ? "Static" : "Dynamic"; });

// Forced down through LINK_ADMIN_DOWN: the same failover without a wire changing; LINK_STATUS
// says it, and the port's queue is flushed at once.
TEST(SimFailover, AdminDownFailsOverLikeTheWire) {
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(four_tools("MODE_STATIC"));
  ASSERT_TRUE(card.run_until_idle());
  const auto changes = drv.set_admin_down(kDead, true);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].up);
  EXPECT_EQ(changes[0].buckets_moved, rm::kBuckets / 4);
  EXPECT_EQ(card.read32(rm::LINK_STATUS) >> kDead & 1, 0u);
  const auto c = drv.counters();
  EXPECT_TRUE(c.tx[kDead].admin_down);
  EXPECT_FALSE(c.tx[kDead].link_up);
  EXPECT_EQ(c.tx[kDead].link_downs, 1u);
  for (uint32_t f = 0; f < 64; ++f) {
    const auto frame = udp_frame(100, f);
    card.send(uint8_t(f % 4), frame.data(), uint32_t(frame.size()));
  }
  ASSERT_TRUE(card.run_until_idle());
  for (const auto& d : card.take_decisions()) EXPECT_NE(d.trace.decision.out_port, kDead);
  EXPECT_EQ(drv.set_admin_down(kDead, false).at(0).buckets_moved, rm::kBuckets / 4);
  EXPECT_TRUE(drv.counters().tx[kDead].link_up);
  EXPECT_THROW(drv.set_admin_down(16, true), driver::DriverError);

  // A group whose members are all down drops its frames, counted as unmapped.
  for (uint32_t p : kMembers) drv.set_admin_down(p, true);
  const uint64_t unmapped_before = drv.counters().unmapped_drops;
  card.take_egress();
  for (uint32_t f = 0; f < 16; ++f) {
    const auto frame = udp_frame(100, f);
    card.send(uint8_t(f % 4), frame.data(), uint32_t(frame.size()));
  }
  ASSERT_TRUE(card.run_until_idle());
  for (const auto& d : card.take_decisions()) EXPECT_EQ(d.trace.decision.out_port, core::kNoPort);
  EXPECT_EQ(drv.counters().unmapped_drops, unmapped_before + 16);
  EXPECT_EQ(card.take_egress().size(), 0u);
}

}  // namespace
}  // namespace broker::simtb
