// Shared pieces of the benchmarks (bench/): configurations, a register bus that mirrors
// the driver's writes into a core of its own (the native Pipeline), frame sets, and small
// statistics helpers. Frames here are test traffic, not packet semantics: every decision is
// the core's.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/v1/config.pb.h"
#include "driver.h"
#include "traffic_gen.h"

// Declared only: a benchmark includes what it uses (native/pipeline.h, soft_card.h), so one
// that drives another card (bench_verilator) does not get the native core's definitions.
namespace broker::core {
class Pipeline;
}
namespace broker::cards {
class SoftCard;
}

namespace broker::bench {

struct GroupParams {
  v1::HashFunction hash = v1::HASH_CRC32;
  bool symmetric = true;
  v1::SelectionMode mode = v1::MODE_STATIC;
  int members = 4;                   // egress ports 0 .. members-1
  uint64_t speed_mbps = 100000;      // of every egress port
  uint32_t threshold_bp = 0;         // 0: the default (8000)
  uint32_t idle_us = 0;              // 0: the default (30 s)
  uint32_t window_us = 0;            // utilization window; 0: 1 ms
  int in_ports = 8;                  // ingress 0 .. in_ports-1 all feed the group
};

// One group "g" over the 5-tuple (SRC_IP DST_IP SRC_PORT DST_PORT IP_PROTO), as seed.conf.
v1::Config make_config(const GroupParams& p);

// A register bus over a SoftCard that also writes every register write to a core of its own
// (core::Pipeline, through its CSR stream, as the card does), so a benchmark can call
// Pipeline::forward, without the card's lock and meter, with exactly the configuration the
// driver programmed.
class MirrorBus final : public driver::RegisterBus {
 public:
  MirrorBus();
  ~MirrorBus() override;
  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  std::string describe() const override;

  std::unique_ptr<cards::SoftCard> card;
  std::unique_ptr<core::Pipeline> pipeline;
};

// A whole frame (without FCS) and where it comes from.
struct BenchFrame {
  uint8_t in_port = 0;
  uint32_t len = 0;
  uint64_t ts_ns = 0;
  std::vector<uint8_t> bytes;  // len bytes
  const uint8_t* data() const { return bytes.data(); }
};

// IPv4/UDP frames of `len` bytes (without FCS; 60 = a 64-byte frame on the wire) over
// `flows` random 5-tuples, round-robin over the flows.
std::vector<BenchFrame> make_udp_frames(uint32_t count, uint32_t flows, uint32_t len, uint64_t seed);
// Simple IMIX 7:4:1 of 64, 594 and 1518 bytes on the wire (60/590/1514 without FCS).
std::vector<BenchFrame> make_imix_frames(uint32_t count, uint32_t flows, uint64_t seed);
// Frames of the traffic generator whose session is of one of `kinds` (empty: all).
std::vector<BenchFrame> make_generated_frames(uint32_t max_count, uint32_t sessions,
                                              const std::vector<tools::SessionKind>& kinds,
                                              uint64_t seed);

double percentile(std::vector<double> v, double p);  // p in [0, 100]

// "AMD EPYC ..., 2 cores, g++ 12.2.0" pieces for result files.
std::string cpu_model();
int cpu_count();
std::string compiler();

}  // namespace broker::bench
