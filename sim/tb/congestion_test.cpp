// Congestion through the whole top (ctest label `congestion`): one tool port stops taking beats
// while both lanes run at one beat per clock each. Its egress queue drops whole frames for that
// port only; every other port loses nothing, the lanes never slow, nothing leaves truncated
// or out of order, and the port's TX_DROPS equals the frames the model saw it drop.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

constexpr uint32_t kMembers[] = {1, 2, 3, 4};
constexpr uint8_t kBlocked = 2;

// Four ingress ports feed one static group of four tool ports (symmetric 5-tuple CRC32).
v1::Config four_tools() {
  std::string text = "name: \"congestion\"\n";
  for (uint32_t p : kMembers) text += fmt::format("egress_ports {{ port: {} speed_mbps: 100000 }}\n", p);
  text += "groups { name: \"tools\" ingress_ports: [0, 1, 2, 3] members: [1, 2, 3, 4] "
          "hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] "
          "mode: MODE_STATIC }\n";
  return parse(text);
}

struct PortFigures {
  uint64_t decided = 0, delivered = 0, dropped_seen = 0, drops_counter = 0, beats = 0;
  uint64_t beats_during_hold = 0;
};

TEST(SimCongestion, ToolPortHeldNotReadyFor10000CyclesDropsOnlyItsOwnFrames) {
  // Ingress 0 and 1, one per lane (CMAC), each offering a beat per clock: the core's two lanes
  // at full rate.
  VerilatorCard card(per_port_links());
  driver::Driver drv(card);
  drv.apply(four_tools());
  ASSERT_TRUE(card.run_until_idle());
  card.take_egress();
  card.take_decisions();
  card.clear_stats();

  // IMIX over 64 flows from the two ingress ports in turn: about 25,000 cycles of traffic.
  const auto frames = imix_frames(9000, 7);
  std::vector<std::vector<uint8_t>> sent;
  std::vector<uint8_t> sent_port;
  uint64_t beats = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto f = numbered_frame(uint32_t(frames[i].size()), uint32_t(i % 64), uint32_t(i));
    card.send(uint8_t(i % 2), f.data(), uint32_t(f.size()));
    sent_port.push_back(uint8_t(i % 2));
    beats += (f.size() + 63) / 64;
    sent.push_back(std::move(f));
  }
  constexpr uint64_t kHoldAt = 5000, kHold = 10000;
  card.step(kHoldAt);
  const uint64_t hold_start = card.cycles();
  std::map<int, uint64_t> beats_before;
  for (uint32_t p : kMembers) beats_before[int(p)] = card.port_stats(int(p)).beats;
  const uint64_t in_before = card.rx_stats(0).beats + card.rx_stats(1).beats;
  card.set_tx_ready(~(1u << kBlocked));
  card.step(kHold);
  const uint64_t in_during = card.rx_stats(0).beats + card.rx_stats(1).beats - in_before;
  std::map<int, PortFigures> fig;
  for (uint32_t p : kMembers) fig[int(p)].beats_during_hold = card.port_stats(int(p)).beats - beats_before[int(p)];
  card.set_tx_ready(~0u);
  ASSERT_TRUE(card.run_until_idle(100 * beats + 100000));
  const uint64_t hold_end = hold_start + kHold;

  // The pipeline never slowed: each lane's ingress offered and took one beat per clock throughout.
  EXPECT_EQ(in_during, 2 * kHold) << "the ingress was held back or dropped during the hold";
  const auto c = drv.counters();
  for (uint32_t i = 0; i < 2; ++i) EXPECT_EQ(c.rx[i].drops, 0u) << "RX_DROPS of ingress " << i;

  // Per frame: the core's decision, the queue's fate, and what left each port.
  const auto decided = card.take_decisions();
  ASSERT_EQ(decided.size(), sent.size());
  const std::vector<size_t> sent_of = sent_index_of(decided, sent_port);
  std::map<int, std::vector<size_t>> expect_out;  // frame indices each port must deliver, in order
  for (size_t k = 0; k < decided.size(); ++k) {
    const size_t i = sent_of[k];
    ASSERT_LT(i, sent.size());
    const int port = int(decided[k].trace.decision.out_port);
    ASSERT_EQ(uint64_t(decided[k].trace.stats_ev.len), sent[i].size()) << "core order, frame " << i;
    ++fig[port].decided;
    if (decided[k].cycles.tx_dropped()) {
      ++fig[port].dropped_seen;
      EXPECT_EQ(port, kBlocked) << "frame " << i << " dropped at a port that never stopped";
    } else {
      expect_out[port].push_back(i);
    }
  }
  std::map<int, std::vector<std::vector<uint8_t>>> got;
  for (auto& f : card.take_egress()) got[f.port].push_back(std::move(f.data));
  expect_port_output(expect_out, got, sent, sent_port);
  for (uint32_t p : kMembers) {
    PortFigures& f = fig[int(p)];
    f.delivered = got[int(p)].size();
    f.drops_counter = c.tx[p].drops;
    f.beats = card.port_stats(int(p)).beats;
    EXPECT_EQ(f.drops_counter, f.dropped_seen) << "TX_DROPS of port " << p;
    EXPECT_EQ(c.tx[p].packets, f.decided) << "TX_PKTS counts what the core sent to the queue";
    if (p != kBlocked) {
      EXPECT_EQ(f.drops_counter, 0u) << "port " << p;
      // A port that never stopped kept pace with its share of a beat per clock.
      EXPECT_GT(f.beats_during_hold, 0u);
    }
  }
  EXPECT_GT(fig[kBlocked].drops_counter, 0u) << "the blocked port dropped nothing: was it held?";
  EXPECT_EQ(fig[kBlocked].beats_during_hold, 0u) << "the blocked port sent while held";

  uint64_t others_during = 0;
  for (uint32_t p : kMembers)
    if (p != kBlocked) others_during += fig[int(p)].beats_during_hold;
  std::printf("[ figures  ] %zu IMIX frames, %llu beats from 2 ingress ports (one per lane) at one beat per clock each; "
              "tool port %u held not-ready for cycles %llu..%llu; ingress took %llu beats in those "
              "%llu cycles, the other three ports sent %llu\n",
              sent.size(), (unsigned long long)beats, kBlocked, (unsigned long long)hold_start,
              (unsigned long long)hold_end, (unsigned long long)in_during, (unsigned long long)kHold,
              (unsigned long long)others_during);
  for (uint32_t p : kMembers) {
    const PortFigures& f = fig[int(p)];
    std::printf("[ figures  ] port %u: decided %llu, delivered %llu, dropped %llu (TX_DROPS %llu), "
                "%llu beats out, %llu of them during the hold\n",
                p, (unsigned long long)f.decided, (unsigned long long)f.delivered,
                (unsigned long long)f.dropped_seen, (unsigned long long)f.drops_counter,
                (unsigned long long)f.beats, (unsigned long long)f.beats_during_hold);
    RecordProperty(fmt::format("port{}_delivered", p), int(f.delivered));
    RecordProperty(fmt::format("port{}_tx_drops", p), int(f.drops_counter));
  }
}

// Port 2 takes nothing from the start: its queue keeps the frames it has room for, drops the rest
// whole (counted), and the ingress is never held off; registers and counters answer meanwhile.
TEST(SimCongestion, StoppedPortKeepsWhatFitsAndDropsTheRestWhole) {
  constexpr uint32_t kFrames = 1500;
  VerilatorCard card;
  driver::Driver drv(card);
  drv.apply(one_path_config(2));
  ASSERT_TRUE(card.run_until_idle());
  card.take_decisions();
  card.clear_stats();
  card.set_tx_ready(~(1u << 2));
  std::vector<std::vector<uint8_t>> sent;
  for (uint32_t i = 0; i < kFrames; ++i) {
    sent.push_back(numbered_frame(100, i % 7, i));  // 2 beats each: 3000 beats for a 2048-beat queue
    card.send(0, sent.back().data(), uint32_t(sent.back().size()));
  }
  card.step(2 * kFrames + 200);
  EXPECT_EQ(card.egress_count(), 0u);
  EXPECT_EQ(card.rx_stats(0).beats, 2 * kFrames) << "the ingress was held off";
  EXPECT_EQ(card.read32(rm::OUT_STATUS_at(2)) & rm::OUT_STATUS_EMPTY_MASK, 0u);
  card.write32(rm::SCRATCH, 42);
  EXPECT_EQ(card.read32(rm::SCRATCH), 42u);
  EXPECT_EQ(card.read32(rm::RX_PKTS_LO), kFrames) << "core counters answer while the port is stopped";
  const uint64_t drops = drv.counters().tx[2].drops;
  const uint64_t queue_beats = 1ull << (rm::CAPS3_RESET & rm::CAPS3_TX_QUEUE_BEATS_LOG2_MASK);
  // The queue keeps as many 2-beat frames as fit, one more waits in the register slice that
  // joins the port's two lane queues, and one more in the port's encap (as co-simulated: a beat
  // in its output register, the next taken and not yet read).
  EXPECT_EQ(drops, kFrames - queue_beats / 2 - 2) << "the queue keeps as many 2-beat frames as fit";

  card.set_tx_ready(~0u);
  ASSERT_TRUE(card.run_until_idle());
  const auto got = card.take_egress();
  ASSERT_EQ(got.size(), kFrames - drops);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].data, sent[i]) << "the oldest frames are kept, whole";
  const auto decided = card.take_decisions();
  ASSERT_EQ(decided.size(), kFrames);
  EXPECT_EQ(uint64_t(std::count_if(decided.begin(), decided.end(),
                                   [](const auto& d) { return d.cycles.tx_dropped(); })), drops);
  EXPECT_EQ(card.read32(rm::TX_PKTS_LO_at(2)), kFrames);
  EXPECT_EQ(card.read32(rm::OUT_STATUS_at(2)) & rm::OUT_STATUS_EMPTY_MASK, rm::OUT_STATUS_EMPTY_MASK);
  drv.clear_counters();
  EXPECT_EQ(drv.counters().tx[2].drops, 0u) << "CLEAR_COUNTERS clears the shell's counters too";
}

// Ingress ports that each run at line rate at once offer eight beats per clock to two lanes that
// take one each: the ingress FIFOs drop whole frames (RX_DROPS), the ports are never held back,
// and every frame that got in leaves whole and in order, but for what the one tool port's
// queues drop (it sends a beat per clock, the lanes bring two).
TEST(SimCongestion, IngressBeyondThePipelineDropsWholeFramesAtTheFifos) {
  VerilatorCard card(per_port_links());
  driver::Driver drv(card);
  drv.apply(fan_in_config(5, "MODE_STATIC"));
  ASSERT_TRUE(card.run_until_idle());
  card.take_decisions();
  card.clear_stats();
  std::map<int, std::vector<std::vector<uint8_t>>> sent;
  constexpr uint32_t kFrames = 1000;  // per port, 5 beats each: beyond what the FIFOs hold
  for (uint32_t i = 0; i < kFrames; ++i)
    for (int p = 0; p < 8; ++p) {
      sent[p].push_back(numbered_frame(300, uint32_t(p), i));  // 5 beats
      card.send(uint8_t(p), sent[p].back().data(), 300);
    }
  ASSERT_TRUE(card.run_until_idle());
  uint64_t offered_beats = 0;
  for (int p = 0; p < 8; ++p) offered_beats += card.rx_stats(p).beats;
  EXPECT_EQ(offered_beats, 8u * kFrames * 5) << "every port ran at one beat per clock, never held";
  const auto c = drv.counters();
  uint64_t rx_drops = 0, rx_pkts = 0;
  for (int p = 0; p < 8; ++p) {
    rx_drops += c.rx[size_t(p)].drops;
    rx_pkts += c.rx[size_t(p)].packets;
    EXPECT_EQ(c.rx[size_t(p)].packets + c.rx[size_t(p)].drops, kFrames) << "ingress " << p;
  }
  EXPECT_GT(rx_drops, 0u);
  // What got in left whole, each port's frames in their order, but for what the tool port's
  // two lane queues dropped: two lanes at a beat per clock each into one tool port that sends
  // one.
  const auto got = card.take_egress();
  EXPECT_EQ(got.size(), rx_pkts - c.tx[5].drops);
  std::map<int, size_t> next;
  for (const auto& f : got) {
    const int p = int(f.data[29]) & 7;  // numbered_frame: flow p in the source address' last byte
    auto& s = sent[p];
    size_t& k = next[p];
    while (k < s.size() && s[k] != f.data) ++k;
    ASSERT_LT(k, s.size()) << "a frame from ingress " << p << " out of order or damaged";
    ++k;
  }
  std::printf("[ figures  ] 8 ingress ports at line rate into the two lanes: %llu of %u frames in, "
              "%llu dropped whole at the ingress FIFOs (%.1f %% in); one tool port took %zu, its queues "
              "dropped %llu\n",
              (unsigned long long)rx_pkts, 8 * kFrames, (unsigned long long)rx_drops,
              100.0 * double(rx_pkts) / (8 * kFrames), got.size(), (unsigned long long)c.tx[5].drops);
}

}  // namespace
}  // namespace broker::simtb
