// The native core on in-memory packets, one CPU core: frames per second through
// core::Pipeline::forward (the fabric's tasks stepped natively: align -> parse -> key ->
// hash -> select -> egress -> stats, the frame in and out as 64-byte AXI4-Stream beats) with
// a configuration the driver programmed through the register map, static and dynamic mode,
// for 64-byte frames, IMIX, GTP-U and VLAN/MPLS stacks. Baselines in the same run: copying
// each frame's header window (the bytes the parser looks at), and the per-frame functions
// the tasks call, one by one (parse, +key, +hash; native/frame_api.h).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "bench_common.h"
#include "broker_regmap.h"
#include "native/frame_api.h"
#include "native/pipeline.h"
#include "soft_card.h"

namespace bb = broker::bench;
namespace core = broker::core;
using broker::tools::SessionKind;

namespace {

constexpr uint32_t kFrames = 16384;  // frame set cycled by every benchmark
constexpr uint32_t kFlows = 4096;

enum Mix { kUdp64, kImix, kGtpu, kVlanMpls, kMixes };
const char* const kMixName[kMixes] = {"udp64", "imix", "gtpu", "vlan_mpls"};

const std::vector<bb::BenchFrame>& frames(int mix) {
  static std::map<int, std::vector<bb::BenchFrame>> cache;
  auto it = cache.find(mix);
  if (it != cache.end()) return it->second;
  std::vector<bb::BenchFrame> v;
  switch (mix) {
    case kUdp64: v = bb::make_udp_frames(kFrames, kFlows, 60, 1); break;
    case kImix: v = bb::make_imix_frames(kFrames, kFlows, 2); break;
    case kGtpu: v = bb::make_generated_frames(kFrames, 4000, {SessionKind::kGtpU}, 3); break;
    case kVlanMpls:
      v = bb::make_generated_frames(
          kFrames, 4000, {SessionKind::kVlanIpv4, SessionKind::kQinQIpv4, SessionKind::kMplsIpv4}, 4);
      break;
  }
  // Timestamps 100 ns apart: the dynamic flow table sees a live, steady stream.
  for (size_t i = 0; i < v.size(); ++i) v[i].ts_ns = 100 * i;
  return cache.emplace(mix, std::move(v)).first->second;
}

// A core configured by the driver through the register map, as the soft card is.
struct ConfiguredCore {
  explicit ConfiguredCore(broker::v1::SelectionMode mode) : driver(bus) {
    bb::GroupParams p;
    p.mode = mode;
    p.members = 4;
    driver.apply(bb::make_config(p));
  }
  bb::MirrorBus bus;
  broker::driver::Driver driver;
};

void set_rate(benchmark::State& state, size_t frames_done) {
  state.SetItemsProcessed(int64_t(frames_done));
  state.counters["ns_per_frame"] = benchmark::Counter(
      double(frames_done), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Core(benchmark::State& state) {
  const int mix = int(state.range(0));
  const bool dynamic = state.range(1) != 0;
  const auto& fr = frames(mix);
  ConfiguredCore cc(dynamic ? broker::v1::MODE_DYNAMIC : broker::v1::MODE_STATIC);
  core::Pipeline& core = *cc.bus.pipeline;
  const uint16_t util[core::kOutPorts] = {};
  core::FrameResult out;
  size_t i = 0, done = 0;
  for (auto _ : state) {
    const bb::BenchFrame& f = fr[i];
    core.forward(f.in_port, f.data(), f.len, f.ts_ns / 1000 + done / kFrames * 2000, util, out);
    benchmark::DoNotOptimize(out.decision.out_port);
    if (++i == fr.size()) i = 0;
    ++done;
  }
  if (core.read_counter(broker::regmap::UNMAPPED_DROPS_LO) != 0)
    state.SkipWithError("frames dropped: configuration not applied");
  set_rate(state, done);
  state.SetLabel(std::string(kMixName[mix]) + (dynamic ? "/dynamic" : "/static"));
}
BENCHMARK(BM_Core)->ArgsProduct({{kUdp64, kImix, kGtpu, kVlanMpls}, {0, 1}})->ArgNames({"mix", "dyn"});

// The soft card's forward(): the core plus the card's lock and TX meter.
void BM_SoftCardForward(benchmark::State& state) {
  const auto& fr = frames(kUdp64);
  ConfiguredCore cc(broker::v1::MODE_STATIC);
  size_t i = 0, done = 0;
  uint64_t ts = 0;
  for (auto _ : state) {
    const bb::BenchFrame& f = fr[i];
    const auto& r = cc.bus.card->forward(f.in_port, ts += 100, f.data(), f.len);
    benchmark::DoNotOptimize(r.decision.out_port);
    if (++i == fr.size()) i = 0;
    ++done;
  }
  set_rate(state, done);
  state.SetLabel("udp64/static");
}
BENCHMARK(BM_SoftCardForward);

// Baseline: copy each frame's header window (min(len, 256) bytes, zero-padded), the bytes
// the parser looks at (the align task builds this window from the frame's first beats), and
// touch it.
void BM_Baseline_HeaderCopy(benchmark::State& state) {
  const auto& fr = frames(int(state.range(0)));
  uint8_t hdr[core::kParseBytes];
  size_t i = 0, done = 0;
  for (auto _ : state) {
    const bb::BenchFrame& f = fr[i];
    const uint32_t n = f.len < core::kParseBytes ? f.len : core::kParseBytes;
    std::memcpy(hdr, f.data(), n);
    std::memset(hdr + n, 0, core::kParseBytes - n);
    benchmark::DoNotOptimize(hdr);
    benchmark::ClobberMemory();
    if (++i == fr.size()) i = 0;
    ++done;
  }
  set_rate(state, done);
  state.SetLabel(kMixName[state.range(0)]);
}
BENCHMARK(BM_Baseline_HeaderCopy)->Arg(kUdp64)->Arg(kImix)->ArgName("mix");

// The per-frame functions the tasks call (native/frame_api.h: the parser's layers, the key,
// the hash), cumulatively, on 64-byte frames: how much of Pipeline::forward is the packet
// work itself, and how much the stepping of the tasks and their streams.
void BM_Stage(benchmark::State& state) {
  const int stage = int(state.range(0));  // 0 parse, 1 +key, 2 +crc32, 3 +xor16 instead of crc
  const auto& fr = frames(kUdp64);
  core::PacketFields pf;
  uint8_t key[core::kKeyBytes];
  const uint16_t tuple = core::kTupleIpProto | core::kTupleSrcIp | core::kTupleDstIp |
                        core::kTupleSrcPort | core::kTupleDstPort;
  size_t i = 0, done = 0;
  for (auto _ : state) {
    const bb::BenchFrame& f = fr[i];
    core::parse_frame(f.data(), f.len, pf);
    benchmark::DoNotOptimize(pf);
    if (stage >= 1) {
      core::build_key(pf, f.in_port, tuple, true, key);
      benchmark::DoNotOptimize(key);
    }
    if (stage == 2) benchmark::DoNotOptimize(core::crc32_key(key));
    if (stage == 3) benchmark::DoNotOptimize(core::xor16_key(key));
    if (++i == fr.size()) i = 0;
    ++done;
  }
  set_rate(state, done);
  static const char* const names[] = {"parse", "parse+key", "parse+key+crc32", "parse+key+xor16"};
  state.SetLabel(names[stage]);
}
BENCHMARK(BM_Stage)->DenseRange(0, 3)->ArgName("stage");

}  // namespace

// --profile-frames=N [--profile-dynamic]: runs Pipeline::forward N times on 64-byte frames
// outside the benchmark loop and exits, for valgrind --tool=callgrind (instructions per frame =
// a function's self cost / N; everything else in the process is setup).
int profile(uint64_t n, bool dynamic) {
  const auto& fr = frames(kUdp64);
  ConfiguredCore cc(dynamic ? broker::v1::MODE_DYNAMIC : broker::v1::MODE_STATIC);
  core::Pipeline& core = *cc.bus.pipeline;
  const uint16_t util[core::kOutPorts] = {};
  core::FrameResult out;
  uint64_t sum = 0;
  for (uint64_t k = 0; k < n; ++k) {
    const bb::BenchFrame& f = fr[k % fr.size()];
    core.forward(f.in_port, f.data(), f.len, k / 10, util, out);
    sum += out.decision.out_port;
  }
  std::printf("profiled %llu frames (%llu)\n", (unsigned long long)n, (unsigned long long)sum);
  return 0;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strncmp(argv[i], "--profile-frames=", 17)) {
      bool dyn = false;
      for (int j = 1; j < argc; ++j) dyn |= !std::strcmp(argv[j], "--profile-dynamic");
      return profile(std::strtoull(argv[i] + 17, nullptr, 10), dyn);
    }
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("cpu_model", bb::cpu_model());
  benchmark::AddCustomContext("compiler", bb::compiler());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
