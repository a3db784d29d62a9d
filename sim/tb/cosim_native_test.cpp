// One step function: the co-simulation (each task in its own module, RTL FIFOs between them)
// and the native step function core_step (the same tasks called in graph order) get the same
// register writes and the same mixed frames; they must send the same frames to the same ports
// in the same order, and their traced streams must carry the same items for every frame.
#include <map>
#include <set>

#include "core_step.h"
#include "item_words.h"
#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;
using namespace core;

// The card, recording every register write the driver makes (the core sees each on csr_wr).
class RecordingBus final : public driver::RegisterBus {
 public:
  explicit RecordingBus(VerilatorCard& card) : card_(card) {}
  uint32_t read32(uint32_t offset) override { return card_.read32(offset); }
  void write32(uint32_t offset, uint32_t value) override {
    card_.write32(offset, value);
    writes.push_back(CsrWrite(uint64_t(offset) << 32 | value));
  }
  std::string describe() const override { return card_.describe(); }
  std::vector<CsrWrite> writes;

 private:
  VerilatorCard& card_;
};

std::vector<uint8_t> with_vlan(std::vector<uint8_t> f, uint16_t vid) {
  const uint8_t tag[4] = {0x81, 0x00, uint8_t(vid >> 8), uint8_t(vid)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

std::vector<uint8_t> ipv6_udp(uint32_t len, uint32_t flow) {
  std::vector<uint8_t> p(std::max<uint32_t>(len, 62), uint8_t(flow));
  const uint8_t mac[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  std::copy(mac, mac + 12, p.begin());
  p[12] = 0x86;
  p[13] = 0xDD;
  uint8_t* ip = p.data() + 14;
  const uint32_t payload = uint32_t(p.size()) - 54;
  std::fill(ip, ip + 40, 0);
  ip[0] = 0x60;
  ip[4] = uint8_t(payload >> 8);
  ip[5] = uint8_t(payload);
  ip[6] = 17;
  ip[7] = 64;
  ip[8] = 0x20;
  ip[23] = uint8_t(flow);
  ip[24] = 0x20;
  ip[39] = 0x01;
  uint8_t* udp = ip + 40;
  udp[0] = uint8_t(flow >> 8);
  udp[1] = uint8_t(flow);
  udp[2] = 0x08;
  udp[3] = 0x68;
  udp[4] = uint8_t(payload >> 8);
  udp[5] = uint8_t(payload);
  udp[6] = udp[7] = 0;
  return p;
}

// An IPv4 fragment of flow `flow`: the first (offset 0, MF) or a later one.
std::vector<uint8_t> ipv4_fragment(uint32_t len, uint32_t flow, bool first) {
  std::vector<uint8_t> p = udp_frame(len, flow);
  p[14 + 4] = 0x12;  // identification
  p[14 + 5] = uint8_t(flow);
  p[14 + 6] = first ? 0x20 : 0x00;  // MF on the first; the later one is the last (offset 185)
  p[14 + 7] = first ? 0x00 : 0xB9;
  return p;
}

struct Sent {
  uint8_t port;
  std::vector<uint8_t> data;
};

std::vector<Sent> mixed_frames(size_t n) {
  std::mt19937 rng(2024);
  const uint32_t lens[] = {60, 64, 65, 128, 129, 255, 256, 257, 570, 1000, 1518};
  std::vector<Sent> out;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t len = lens[rng() % (sizeof(lens) / sizeof(lens[0]))];
    const uint32_t flow = rng() % 40;
    const uint8_t port = uint8_t(rng() % 4);  // 0, 1: group a; 2: group b; 3: unmapped (dropped)
    std::vector<uint8_t> f;
    switch (rng() % 6) {
      case 0: f = with_vlan(numbered_frame(len, flow, uint32_t(i)), uint16_t(100 + flow)); break;
      case 1: f = ipv6_udp(len, flow); break;
      case 2: f = ipv4_fragment(std::max<uint32_t>(len, 64), flow, rng() % 2 == 0); break;
      default: f = numbered_frame(len, flow, uint32_t(i)); break;
    }
    out.push_back({port, std::move(f)});
  }
  return out;
}

v1::Config two_groups() {
  return parse(
      "name: \"cosim-native\"\n"
      "groups { name: \"a\" ingress_ports: [0, 1] members: [1, 4, 6, 11] hash: HASH_CRC32 "
      "symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO, VLAN] mode: MODE_STATIC }\n"
      "groups { name: \"b\" ingress_ports: [2] members: [2, 9] hash: HASH_XOR16 symmetric: true "
      "tuple: [SRC_MAC, DST_MAC, SRC_IP, DST_IP, INPUT_PORT] mode: MODE_STATIC }\n");
}

template <class T>
std::vector<uint32_t> words(const T& x) {
  std::vector<uint32_t> w(size_t(ItemBits<T>::value + 31) / 32, 0);
  sim::pack_item(x, w.data());
  return w;
}

void expect_same(const FrameTrace& a, const FrameTrace& b, size_t k) {
  EXPECT_EQ(words(a.parsed), words(b.parsed)) << "frame " << k << ": ParsedItem";
  EXPECT_EQ(words(a.keyed), words(b.keyed)) << "frame " << k << ": KeyItem";
  EXPECT_EQ(words(a.hashed), words(b.hashed)) << "frame " << k << ": HashedItem";
  EXPECT_EQ(words(a.decision), words(b.decision)) << "frame " << k << ": DecisionItem";
  EXPECT_EQ(words(a.stats_ev), words(b.stats_ev)) << "frame " << k << ": StatsEvent";
}

TEST(SimCosimNative, SameEgressAndSameDecisionsAsTheStepFunction) {
  const std::vector<Sent> frames = mixed_frames(400);

  // ---- the co-simulation ----
  VerilatorCard card;
  RecordingBus bus(card);
  driver::Driver drv(bus);
  drv.apply(two_groups());
  ASSERT_TRUE(card.run_until_idle());
  card.take_egress();
  card.take_decisions();
  // All at once on four ingress ports: the arbiter interleaves them, frame by frame.
  for (const Sent& f : frames) card.send(f.port, f.data.data(), uint32_t(f.data.size()));
  ASSERT_TRUE(card.run_until_idle());
  const auto sim_out = card.take_egress();
  const auto sim_dec = card.take_decisions();
  ASSERT_EQ(sim_dec.size(), frames.size());
  // The core's order: each port's frames in sending order, interleaved as the traced in_port
  // says. The native core gets them in that order.
  std::vector<const Sent*> core_order;
  std::map<int, size_t> next;  // per ingress port: the next of its frames
  for (const auto& d : sim_dec) {
    const int port = int(uint64_t(d.trace.parsed.in_port));
    size_t& i = next[port];
    while (i < frames.size() && frames[i].port != port) ++i;
    ASSERT_LT(i, frames.size()) << "the core decided more frames on ingress " << port << " than were sent";
    core_order.push_back(&frames[i++]);
  }

  // ---- the native step function ----
  auto s = std::make_unique<CoreStreams>();
  auto st = std::make_unique<CoreTaskState>();
  reset_task_state(*st);
  FrameTraceZip zip;
  const Time now = 0;
  const ap_uint<256> util = 0;
  for (const CsrWrite& w : bus.writes) {
    s->csr_wr.write(w);
    core_step(*s, *st, now, util, ap_uint<16>(0xFFFF), zip);
  }
  std::map<int, std::vector<std::vector<uint8_t>>> native_out;
  std::vector<uint8_t> cur[kLanes];
  auto drain_tx = [&] {
    for (int lane = 0; lane < kLanes; ++lane) {
      hls::stream<AxisBeat>& tx = lane ? s->tx1 : s->tx0;
      while (!tx.empty()) {
        const AxisBeat b = tx.read();
        for (int i = 0; i < kBeatBytes; ++i)
          if ((uint64_t(b.keep) >> i) & 1) cur[lane].push_back(uint8_t(uint64_t(b.data.range(8 * i + 7, 8 * i))));
        if (uint64_t(b.last)) {
          // TDEST: the mask of egress ports that get the frame.
          for (uint32_t m = uint32_t(uint64_t(b.dest)); m != 0; m &= m - 1) native_out[__builtin_ctz(m)].push_back(cur[lane]);
          cur[lane].clear();
        }
      }
    }
  };
  uint64_t fed = 0;
  for (const Sent* fp : core_order) {
    const Sent& f = *fp;
    for (size_t off = 0; off < f.data.size(); off += kBeatBytes) {
      AxisBeat b{};
      const size_t n = std::min<size_t>(kBeatBytes, f.data.size() - off);
      for (size_t i = 0; i < n; ++i) b.data.range(8 * i + 7, 8 * i) = f.data[off + i];
      b.keep = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
      b.strb = b.keep;
      b.last = off + n == f.data.size();
      b.id = f.port;
      (lane_of(f.port) ? s->rx1 : s->rx0).write(b);
      core_step(*s, *st, now, util, ap_uint<16>(0xFFFF), zip);
      drain_tx();
    }
    // Until its header is parsed: a frame of the other lane fed next must not reach hdr_merge
    // in the same step (decap holds a frame's last beat one step, so a one-beat frame fed after
    // a longer one can catch up with it there).
    ++fed;
    for (int i = 0; i < 64 && zip.arrived(TraceStream::kParsed) < fed; ++i) {
      core_step(*s, *st, now, util, ap_uint<16>(0xFFFF), zip);
      drain_tx();
    }
  }
  for (int i = 0; i < 200; ++i) {
    core_step(*s, *st, now, util, ap_uint<16>(0xFFFF), zip);
    drain_tx();
  }
  const auto native_dec = zip.take();

  // ---- the same ----
  ASSERT_EQ(native_dec.size(), sim_dec.size());
  for (size_t k = 0; k < sim_dec.size(); ++k) {
    expect_same(sim_dec[k].trace, native_dec[k], k);
    if (HasFailure()) break;
  }
  // Per egress port the same frames; in the same order among the frames of one lane (a port's
  // two lane queues take turns as their frames are stored whole, so the lanes interleave as
  // their frames' lengths and arrival say, not in decision order).
  std::map<int, std::vector<std::vector<uint8_t>>> sim_by_port;
  for (const auto& f : sim_out) sim_by_port[f.port].push_back(f.data);
  std::map<std::vector<uint8_t>, std::set<int>> lanes_of_bytes;
  for (const auto& f : frames) lanes_of_bytes[f.data].insert(lane_of(f.port));
  auto lane_order = [&](const std::vector<std::vector<uint8_t>>& out, int lane) {
    std::vector<std::vector<uint8_t>> v;
    for (const auto& d : out)
      if (lanes_of_bytes[d] == std::set<int>{lane}) v.push_back(d);
    return v;
  };
  ASSERT_EQ(sim_by_port.size(), native_out.size());
  for (auto& [port, sim_frames] : sim_by_port) {
    auto& nat = native_out[port];
    for (int lane = 0; lane < kLanes; ++lane)
      EXPECT_EQ(lane_order(sim_frames, lane), lane_order(nat, lane)) << "egress port " << port << ", lane " << lane << ": order";
    auto a = sim_frames, b = nat;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "egress port " << port << ": the same frames";
  }
  size_t dropped = 0, out = 0;
  for (const auto& d : sim_dec) (d.trace.decision.out_port == kNoPort ? dropped : out) += 1;
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(out, sim_out.size());
  std::printf("[ figures  ] %zu mixed frames: %zu out on %zu ports, %zu dropped; co-simulation and "
              "core_step agree on every traced item\n",
              frames.size(), out, sim_by_port.size(), dropped);
}

}  // namespace
}  // namespace broker::simtb
