// The AXI4-Lite CSR block of the simulated RTL top, through real bus transactions: every
// register of the map at its generated reset value, SCRATCH, SLVERR outside the map,
// read-only registers that ignore writes, read-write registers that read back, and every
// access answered within the documented bound while the data path is flooded and a tool port
// stopped (ctest label `csr`).
#include <algorithm>
#include <cstdio>
#include <set>

#include "sim_tb_util.h"

namespace broker::simtb {
namespace {

using cards::VerilatorCard;

// Counters count and status registers tell the present state: not reset values to compare.
bool is_live_value(const rm::RegInfo& r) {
  const std::string n = r.name;
  return r.is_counter64_lo || r.is_counter64_hi || n == "NOW_US" || n == "LINK_STATUS";
}

// Every mapped word offset of the aperture.
std::set<uint32_t> mapped_offsets() {
  std::set<uint32_t> out;
  for (size_t r = 0; r < rm::kRegisterCount; ++r)
    for (uint32_t i = 0; i < rm::kRegisters[r].count; ++i)
      out.insert(rm::kRegisters[r].offset + i * rm::kRegisters[r].stride);
  return out;
}

TEST(SimCsr, IdentificationBlock) {
  VerilatorCard card;
  EXPECT_EQ(card.read32(rm::ID), rm::kId);
  EXPECT_EQ(card.read32(rm::VERSION), rm::VERSION_RESET);
  EXPECT_EQ(card.read32(rm::VERSION) >> rm::VERSION_MAJOR_LSB, rm::kVersionMajor);
  EXPECT_EQ(card.read32(rm::CAPS), rm::CAPS_RESET);
  EXPECT_EQ(card.read32(rm::CAPS2), rm::CAPS2_RESET);
  // The driver accepts it as a card it knows.
  driver::Driver drv(card);
  EXPECT_EQ(drv.identity().in_ports, rm::kInPorts);
  EXPECT_EQ(drv.identity().out_ports, rm::kOutPorts);
}

TEST(SimCsr, EveryRegisterAtItsGeneratedResetValue) {
  VerilatorCard card;
  int checked = 0;
  std::string wrong;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const rm::RegInfo& info = rm::kRegisters[r];
    for (uint32_t i = 0; i < info.count; ++i) {
      const uint32_t off = info.offset + i * info.stride;
      const uint32_t v = card.read32(off);  // throws BusError on SLVERR: every one is mapped
      if (is_live_value(info)) continue;
      // Write-one-to-act registers read 0.
      const uint32_t want = info.access == rm::Access::kWO1 ? 0 : info.reset;
      ++checked;
      if (v != want)
        wrong += fmt::format("{}[{}] @0x{:04x}: 0x{:08x}, reset is 0x{:08x}\n", info.name, i, off, v, want);
    }
  }
  EXPECT_TRUE(wrong.empty()) << wrong;
  EXPECT_GT(checked, 2000);
  // Counters start at zero.
  EXPECT_EQ(card.read32(rm::RX_PKTS_LO), 0u);
  EXPECT_EQ(card.read32(rm::MALFORMED_LO), 0u);
}

TEST(SimCsr, ScratchReadsBackWhatWasWritten) {
  VerilatorCard card;
  for (uint32_t v : {0xDEADBEEFu, 0x00000000u, 0xFFFFFFFFu, 0x12345678u, 0xA5A55A5Au}) {
    card.write32(rm::SCRATCH, v);
    EXPECT_EQ(card.read32(rm::SCRATCH), v);
  }
}

TEST(SimCsr, UnmappedAddressesAnswerSlverr) {
  VerilatorCard card;
  const std::set<uint32_t> mapped = mapped_offsets();
  // Holes between blocks, just past repeated blocks, and the top of the aperture.
  std::vector<uint32_t> probes = {rm::CSR_TIMEOUT_CYCLES + 4, rm::KERNEL_CLK_HZ + 4, rm::IN_MAP_at(rm::kInPorts),
                                  rm::GRP_LIVE + 4, rm::OUT_UTIL_BP_at(rm::kOutPorts - 1) + 4,
                                  0x3FFC, 0x8000, 0xFFFC};
  int probed = 0;
  for (uint32_t off : probes) {
    if (mapped.count(off)) continue;  // the map grew into this hole: not a probe any more
    ++probed;
    EXPECT_THROW(card.read32(off), driver::BusError) << fmt::format("read 0x{:04x}", off);
    EXPECT_THROW(card.write32(off, 0x1234), driver::BusError) << fmt::format("write 0x{:04x}", off);
  }
  EXPECT_GE(probed, 5);
  // The bus still works after the errors.
  EXPECT_EQ(card.read32(rm::ID), rm::kId);
  card.write32(rm::SCRATCH, 7);
  EXPECT_EQ(card.read32(rm::SCRATCH), 7u);
}

TEST(SimCsr, WritesToReadOnlyRegistersAreIgnored) {
  VerilatorCard card;
  int checked = 0;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const rm::RegInfo& info = rm::kRegisters[r];
    if (info.access != rm::Access::kRO || is_live_value(info)) continue;
    for (uint32_t i = 0; i < info.count; ++i) {
      const uint32_t off = info.offset + i * info.stride;
      const uint32_t before = card.read32(off);
      EXPECT_NO_THROW(card.write32(off, ~before)) << info.name;  // OKAY, not SLVERR
      EXPECT_EQ(card.read32(off), before) << fmt::format("{}[{}] changed by a write", info.name, i);
      ++checked;
    }
  }
  // A counter is not writable either.
  card.write32(rm::RX_PKTS_LO, 0x55);
  EXPECT_EQ(card.read32(rm::RX_PKTS_LO), 0u);
  EXPECT_GT(checked, 30);
}

TEST(SimCsr, ReadWriteRegistersReadBack) {
  VerilatorCard card;
  std::string wrong;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const rm::RegInfo& info = rm::kRegisters[r];
    if (info.access != rm::Access::kRW) continue;
    // Every instance, except the big indirection table: its first and last 64 words.
    for (uint32_t i = 0; i < info.count; ++i) {
      if (info.count > 256 && i >= 64 && i < info.count - 64) continue;
      const uint32_t off = info.offset + i * info.stride;
      const uint32_t v = (0x9E3779B9u * (off + 1)) ^ 0x5A5A0F0Fu;
      card.write32(off, v);
      const uint32_t got = card.read32(off);
      if ((got & info.mask) != (v & info.mask))
        wrong += fmt::format("{}[{}] @0x{:04x}: wrote 0x{:08x}, read 0x{:08x} (mask 0x{:08x})\n",
                             info.name, i, off, v, got, info.mask);
    }
  }
  EXPECT_TRUE(wrong.empty()) << wrong;
}

// All eight ingress ports at line rate into the two lanes (8 beats offered per clock) and
// the tool port stopped: the ingress FIFOs and the egress queue drop, and meanwhile counter
// reads (the core's and the shell's), configuration writes and plain reads all complete, each
// within CSR_TIMEOUT_CYCLES + 8 clocks (the bound broker_csr.sv documents), none with SLVERR.
TEST(SimCsr, AccessesCompleteWithinTheBoundWhileFloodedAndAToolPortIsStopped) {
  VerilatorCard card(per_port_links());
  driver::Driver drv(card);
  drv.apply(fan_in_config(5, "MODE_DYNAMIC"));
  ASSERT_TRUE(card.run_until_idle());
  const uint32_t bound = card.read32(rm::CSR_TIMEOUT_CYCLES) + 8;
  card.set_tx_ready(~(1u << 5));
  for (uint32_t i = 0; i < 300; ++i)
    for (int p = 0; p < 8; ++p) {
      const auto f = numbered_frame(1518, uint32_t(p * 1000 + i % 50), i);
      card.send(uint8_t(p), f.data(), uint32_t(f.size()));
    }
  card.step(600);  // the FIFOs and the queue fill

  struct Spread {
    uint64_t n = 0, max = 0, sum = 0;
    void add(uint64_t c) { ++n; sum += c; max = std::max(max, c); }
  };
  Spread core_reads, shell_reads, local_reads, writes;
  auto timed = [&](Spread& s, auto&& access) {
    const uint64_t t0 = card.cycles();
    access();
    s.add(card.cycles() - t0);
  };
  for (uint32_t k = 0; k < 200; ++k) {
    timed(core_reads, [&] { card.read32(rm::RX_PKTS_LO_at(k % 8)); });
    timed(shell_reads, [&] { card.read32(rm::RX_DROPS_LO_at(k % 8)); });
    timed(local_reads, [&] { card.read32(rm::SCRATCH); });
    timed(writes, [&] { card.write32(rm::GRP_THRESH_BP_at(0), 5000 + k); });
  }
  const uint64_t flood_done = card.rx_stats(0).frames;
  EXPECT_LT(flood_done, 300u) << "the flood ended before the accesses did";
  EXPECT_EQ(card.read32(rm::GRP_THRESH_BP_at(0)), 5199u);
  const auto c = drv.counters();
  uint64_t rx_drops = 0;
  for (const auto& r : c.rx) rx_drops += r.drops;
  EXPECT_GT(rx_drops, 0u) << "the ingress was not flooded";
  EXPECT_GT(c.tx[5].drops, 0u) << "the tool port's queue never filled";
  EXPECT_EQ(c.csr_timeouts, 0u);
  for (const auto* s : {&core_reads, &shell_reads, &local_reads, &writes}) EXPECT_LE(s->max, bound);
  std::printf("[ figures  ] clocks per AXI4-Lite access while flooded (max/mean, bound %u): core counter "
              "read %llu/%.1f, shell counter read %llu/%.1f, SCRATCH read %llu/%.1f, config write %llu/%.1f\n",
              bound, (unsigned long long)core_reads.max, double(core_reads.sum) / double(core_reads.n),
              (unsigned long long)shell_reads.max, double(shell_reads.sum) / double(shell_reads.n),
              (unsigned long long)local_reads.max, double(local_reads.sum) / double(local_reads.n),
              (unsigned long long)writes.max, double(writes.sum) / double(writes.n));
  RecordProperty("max_access_clocks", int(std::max({core_reads.max, shell_reads.max, local_reads.max, writes.max})));
  card.set_tx_ready(~0u);
  EXPECT_TRUE(card.run_until_idle());
}

}  // namespace
}  // namespace broker::simtb
