// CRC32 over the 96-byte hash key: the core's crc32_key (an XOR matrix over the 768 key bits,
// generated from the polynomial by hw/hls/gen_crc32_matrix.py: what the fabric builds as XOR
// trees, run natively) against peers on the same keys in the same run: zlib's crc32 (the
// same CRC-32/IEEE, the normative reference), DPDK's rte_hash_crc (CRC-32C, SSE4.2 crc32
// instruction, and its table fallback) and rte_softrss (Toeplitz, as NICs compute RSS).
// The keys are the ones the core builds from generated traffic of every session kind.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstring>

#include "bench_common.h"
#include "hash.h"
#include "native/pipeline.h"

#if BROKER_BENCH_DPDK
#include <rte_hash_crc.h>
#include <rte_thash.h>
#endif

namespace bb = broker::bench;
namespace core = broker::core;

namespace {

struct Key {
  alignas(8) uint8_t b[core::kKeyBytes];
};

const std::vector<Key>& keys() {
  static std::vector<Key> k = [] {
    std::vector<Key> out;
    bb::MirrorBus bus;
    broker::driver::Driver driver(bus);
    driver.apply(bb::make_config({}));
    core::Pipeline& core = *bus.pipeline;
    const uint16_t util[core::kOutPorts] = {};
    core::FrameResult r;
    for (const auto& f : bb::make_generated_frames(8192, 4000, {}, 7)) {
      core.forward(f.in_port, f.data(), f.len, f.ts_ns / 1000, util, r);
      Key key;
      std::memcpy(key.b, r.key, sizeof key.b);
      out.push_back(key);
    }
    return out;
  }();
  return k;
}

template <typename F>
void run(benchmark::State& state, F hash) {
  const auto& k = keys();
  size_t i = 0, done = 0;
  uint32_t acc = 0;
  for (auto _ : state) {
    acc ^= hash(k[i].b);
    if (++i == k.size()) i = 0;
    ++done;
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(int64_t(done));
  state.SetBytesProcessed(int64_t(done) * core::kKeyBytes);
  state.counters["ns_per_key"] =
      benchmark::Counter(double(done), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Core_crc32_key(benchmark::State& s) { run(s, [](const uint8_t* k) { return core::crc32_key(k); }); }
void BM_Core_xor16_key(benchmark::State& s) { run(s, [](const uint8_t* k) { return uint32_t(core::xor16_key(k)); }); }
void BM_Zlib_crc32(benchmark::State& s) {
  run(s, [](const uint8_t* k) { return uint32_t(crc32(0L, k, core::kKeyBytes)); });
}
BENCHMARK(BM_Core_crc32_key);
BENCHMARK(BM_Core_xor16_key);
BENCHMARK(BM_Zlib_crc32);

#if BROKER_BENCH_DPDK
void BM_Dpdk_rte_hash_crc_sse42(benchmark::State& s) {
  rte_hash_crc_set_alg(CRC32_SSE42_x64);
  run(s, [](const uint8_t* k) { return rte_hash_crc(k, core::kKeyBytes, 0xFFFFFFFFu); });
}
void BM_Dpdk_rte_hash_crc_sw(benchmark::State& s) {
  rte_hash_crc_set_alg(CRC32_SW);
  run(s, [](const uint8_t* k) { return rte_hash_crc(k, core::kKeyBytes, 0xFFFFFFFFu); });
  rte_hash_crc_set_alg(CRC32_SSE42_x64);
}
// Toeplitz over all 24 32-bit words of the key: needs a 100-byte RSS key (the common 40-byte
// Microsoft key, repeated).
alignas(4) uint8_t g_rss_key[core::kKeyBytes + 4];
void BM_Dpdk_rte_softrss(benchmark::State& s) {
  run(s, [](const uint8_t* k) {
    return rte_softrss(reinterpret_cast<uint32_t*>(const_cast<uint8_t*>(k)), core::kKeyBytes / 4,
                       g_rss_key);
  });
}
BENCHMARK(BM_Dpdk_rte_hash_crc_sse42);
BENCHMARK(BM_Dpdk_rte_hash_crc_sw);
BENCHMARK(BM_Dpdk_rte_softrss);
#endif

}  // namespace

int main(int argc, char** argv) {
#if BROKER_BENCH_DPDK
  static const uint8_t ms_key[40] = {
      0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
      0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
      0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  for (size_t i = 0; i < sizeof g_rss_key; ++i) g_rss_key[i] = ms_key[i % 40];
#endif
  benchmark::Initialize(&argc, argv);
  // Correctness of the comparison: the core's CRC must be zlib's on every key.
  size_t mismatches = 0;
  for (const auto& k : keys())
    if (core::crc32_key(k.b) != uint32_t(crc32(0L, k.b, core::kKeyBytes))) ++mismatches;
  benchmark::AddCustomContext("keys", std::to_string(keys().size()));
  benchmark::AddCustomContext("crc32_key_vs_zlib_mismatches", std::to_string(mismatches));
  benchmark::AddCustomContext("zlib_version", zlibVersion());
  benchmark::AddCustomContext("cpu_model", bb::cpu_model());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return mismatches ? 1 : 0;
}
