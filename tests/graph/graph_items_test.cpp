// The description (hw/graph/core_graph.toml) against the C++: every item's bits are the fields
// its visit() list walks (the co-simulation's SV ports are generated from the description, its
// packing from visit()), the top's AXI4-Stream signals are its items' fields in order, packing
// round-trips, and the generated top broker_core_top, called natively, does what the native
// step function does with the same inputs.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "broker_regmap.h"
#include "config_loader.h"
#include "core_step.h"
#include "core_top.h"
#include "driver.h"
#include "item_words.h"

namespace broker {
namespace {

using namespace core;
using sim::item_bits;
using sim::pack_item;
using sim::unpack_item;

TEST(GraphItems, BitsAreTheFieldsVisitWalks) {
  int items = 0;
  for_each_item_type([&](auto item, const char* name) {
    using T = decltype(item);
    ++items;
    EXPECT_EQ(item_bits<T>(), ItemBits<T>::value)
        << name << ": its visit() fields add up to " << item_bits<T>()
        << " bits; set [item] " << name << " = " << item_bits<T>() << " in hw/graph/core_graph.toml";
  });
  EXPECT_GE(items, 10);
  for (const CoreStreamInfo& s : kCoreStreams) EXPECT_GT(s.bits, 0) << s.name;
}

TEST(GraphItems, AxisSignalsAreTheItemsFieldsInOrder) {
  for_each_axis_port([](auto item, const char* port, const PortSignal* signals, int count) {
    std::vector<int> fields;
    sim::for_each_field(item, [&](auto& f) {
      fields.push_back(sim::FieldBits<std::decay_t<decltype(f)>>::value);
    });
    ASSERT_EQ(int(fields.size()), count) << "port " << port << ": signals vs visit() fields";
    for (int i = 0; i < count; ++i)
      EXPECT_EQ(fields[size_t(i)], signals[i].bits) << "port " << port << " signal " << signals[i].name;
  });
}

TEST(GraphItems, PackingRoundTripsEveryBit) {
  std::mt19937 rng(3);
  for_each_item_type([&](auto item, const char* name) {
    using T = decltype(item);
    const int bits = ItemBits<T>::value;
    const size_t n = size_t(bits + 31) / 32;
    for (int round = 0; round < 20; ++round) {
      std::vector<uint32_t> in(n), out(n, 0);
      for (auto& w : in) w = rng();
      if (bits % 32) in.back() &= (uint32_t(1) << (bits % 32)) - 1;
      pack_item(unpack_item<T>(in.data()), out.data());
      ASSERT_EQ(in, out) << name;
    }
  });
}

TEST(GraphItems, FirstFieldAtBitZero) {
  AxisBeat b{};
  b.data.range(15, 0) = 0xBEEF;
  b.dest = 0x5A;
  b.last = 1;
  std::vector<uint32_t> w(size_t(ItemBits<AxisBeat>::value + 31) / 32, 0);
  pack_item(b, w.data());
  EXPECT_EQ(w[0], 0xBEEFu);                  // TDATA[15:0]
  EXPECT_EQ(w[20] & 1u, 1u);                 // TLAST at 512 + 64 + 64
  EXPECT_EQ((w[20] >> 9) & 0xFFu, 0x5Au);    // TDEST after TID
}

// ---- the generated top, natively --------------------------------------------------------

// Answers every read with the register's reset value and records the writes: the CSR traffic a
// configuration makes, without a card.
class RecordingBus final : public driver::RegisterBus {
 public:
  uint32_t read32(uint32_t offset) override {
    for (const auto& r : regmap::kRegisters)
      for (uint32_t i = 0; i < r.count; ++i)
        if (r.offset + i * r.stride == offset) return r.reset;
    return 0;
  }
  void write32(uint32_t offset, uint32_t value) override { writes.push_back(CsrWrite(uint64_t(offset) << 32 | value)); }
  std::string describe() const override { return "recording bus"; }
  std::vector<CsrWrite> writes;
};

std::vector<uint8_t> udp_frame(uint32_t len, uint32_t flow) {
  std::vector<uint8_t> p(len, uint8_t(flow));
  const uint8_t head[] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
                          0x45, 0, uint8_t((len - 14) >> 8), uint8_t(len - 14), 0, 0, 0, 0, 64, 17,
                          0, 0, 10, 0, 0, uint8_t(flow), 10, 128, 0, 1,
                          uint8_t(flow >> 8), uint8_t(flow), 0x12, 0x34,
                          uint8_t((len - 34) >> 8), uint8_t(len - 34), 0, 0};
  std::copy(head, head + sizeof(head), p.begin());
  return p;
}

void write_frame(const std::vector<uint8_t>& f, uint8_t in_port, hls::stream<AxisBeat>& a,
                 hls::stream<AxisBeat>& b) {
  for (size_t off = 0; off < f.size(); off += kBeatBytes) {
    AxisBeat beat{};
    const size_t n = std::min<size_t>(kBeatBytes, f.size() - off);
    for (size_t i = 0; i < n; ++i) beat.data.range(8 * i + 7, 8 * i) = f[off + i];
    beat.keep = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
    beat.strb = beat.keep;
    beat.last = off + n == f.size();
    beat.id = in_port;
    a.write(beat);
    b.write(beat);
  }
}

template <class T>
std::vector<uint32_t> words(const T& x) {
  std::vector<uint32_t> w(size_t(ItemBits<T>::value + 31) / 32, 0);
  pack_item(x, w.data());
  return w;
}

TEST(GraphTop, NativeTopDoesWhatTheStepFunctionDoes) {
  RecordingBus bus;
  driver::Driver drv(bus);
  drv.apply(config::parse_config_text(
      "name: \"graph\"\n"
      "groups { name: \"a\" ingress_ports: [0, 1] members: [2, 5, 9] hash: HASH_CRC32 "
      "symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO] mode: MODE_STATIC }\n",
      config::Format::kText, "<graph test>"));
  ASSERT_FALSE(bus.writes.empty());

  // The top keeps its state and FIFOs in statics: this is the only test that calls it.
  hls::stream<AxisBeat> rx[kLanes], tx[kLanes];
  hls::stream<CsrWrite> csr;
  hls::stream<CsrWord> req, rsp;
  auto s = std::make_unique<CoreStreams>();
  auto st = std::make_unique<CoreTaskState>();
  reset_task_state(*st);
  for (const CsrWrite& w : bus.writes) {
    csr.write(w);
    s->csr_wr.write(w);
  }
  const Time now = 1000;
  const ap_uint<256> util = 0;
  NoTap tap;
  auto step_both = [&] {
    broker_core_top(rx[0], rx[1], tx[0], tx[1], csr, req, rsp, now, util, ap_uint<16>(0xFFFF));
    core_step(*s, *st, now, util, ap_uint<16>(0xFFFF), tap);
  };
  for (size_t i = 0; i < bus.writes.size() + 8; ++i) step_both();

  int frames = 0, beats = 0;
  for (uint32_t i = 0; i < 60; ++i) {
    const uint32_t len = i % 3 == 0 ? 64 : i % 3 == 1 ? 65 : 300;
    const uint8_t port = uint8_t(i % 2);
    write_frame(udp_frame(len, 1000 + i % 7), port, rx[port % kLanes], port % kLanes ? s->rx1 : s->rx0);
    ++frames;
    beats += int((len + 63) / 64);
  }
  req.write(regmap::RX_PKTS_LO);
  s->ctr_req.write(regmap::RX_PKTS_LO);
  int out = 0;
  for (int i = 0; i < beats + 500; ++i) {
    step_both();
    for (int lane = 0; lane < kLanes; ++lane) {
      hls::stream<AxisBeat>& native = lane ? s->tx1 : s->tx0;
      while (!tx[lane].empty() && !native.empty()) {
        ASSERT_EQ(words(tx[lane].read()), words(native.read())) << "beat " << out << " of lane " << lane;
        ++out;
      }
    }
  }
  for (int lane = 0; lane < kLanes; ++lane) EXPECT_TRUE(tx[lane].empty());
  EXPECT_TRUE(s->tx0.empty() && s->tx1.empty());
  EXPECT_EQ(out, beats) << "every frame goes to a member: all beats out";
  ASSERT_FALSE(rsp.empty());
  ASSERT_FALSE(s->ctr_rsp.empty());
  EXPECT_EQ(uint64_t(rsp.read()), uint64_t(s->ctr_rsp.read()));
  (void)frames;
}

}  // namespace
}  // namespace broker
