// hw/rtl/broker_csr.sv: AXI4-Lite handshakes (AW and W in either order), the decode against
// the generated C++ register map (the same toml), the core-side streams and the reset sweep,
// the shell's own counters, the bound on every access when the core does not answer, and the
// tunnel origination registers: staged until ENC_CTRL commits them to the encap's wires.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "Vbroker_csr.h"
#include "broker_regmap.h"
#include "verilated.h"

namespace {
namespace rm = broker::regmap;

class CsrBench {
 public:
  CsrBench() : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(2);
    d_ = std::make_unique<Vbroker_csr>(ctx_.get());
    d_->rst_n = 0;
    idle_inputs();
    for (int i = 0; i < 4; ++i) clock();
    core_writes.clear();  // outputs are random until the reset clocks
    d_->rst_n = 1;
    // The reset sweep: until the slave takes an address.
    for (int i = 0; i < 10000 && !d_->s_axil_arready; ++i) {
      d_->s_axil_arvalid = 1;  // probe; not taken unless ready
      d_->s_axil_araddr = rm::ID;
      d_->eval();
      if (d_->s_axil_arready) break;
      d_->s_axil_arvalid = 0;
      clock();
      ++sweep_clocks_;
    }
    d_->s_axil_arvalid = 0;
    d_->eval();
    clear_pulses = 0;  // outputs are random before the first reset clock
    ctr_reqs = 0;
  }
  ~CsrBench() { d_->final(); }

  void idle_inputs() {
    d_->s_axil_awvalid = d_->s_axil_wvalid = d_->s_axil_arvalid = 0;
    d_->s_axil_bready = d_->s_axil_rready = 0;
    d_->csr_wr_tready = 1;
    d_->ctr_req_tready = 1;
    d_->ctr_rsp_tvalid = 0;
    d_->now_us_i = 12345;
    d_->out_empty_i = 0xA5A5;
    for (int i = 0; i < 8; ++i) d_->util_bp_i[i] = d_->peak_bp_i[i] = 0;
    for (int p = 0; p < int(rm::kOutPorts); ++p) set64(d_->tx_drops_i.data(), p, tx_drops(p));
    for (int p = 0; p < int(rm::kInPorts); ++p) set64(d_->rx_drops_i.data(), p, rx_drops(p));
    for (int p = 0; p < int(rm::kOutPorts); ++p) set64(d_->link_downs_i.data(), p, link_downs(p));
    d_->link_status_i = 0x5A5A;
  }
  static uint64_t link_downs(int p) { return uint64_t(p + 0x61) << 32 | uint64_t(0x300 + p); }
  static uint64_t tx_drops(int p) { return uint64_t(p + 1) << 32 | uint64_t(0x100 + p); }
  static uint64_t rx_drops(int p) { return uint64_t(p + 0x41) << 32 | uint64_t(0x200 + p); }
  static void set64(uint32_t* words, int i, uint64_t v) {
    words[2 * i] = uint32_t(v);
    words[2 * i + 1] = uint32_t(v >> 32);
  }

  // One clock; observes the core-side streams on the way.
  void clock() {
    d_->clk = 0;
    d_->eval();
    if (d_->csr_wr_tvalid && d_->csr_wr_tready)
      core_writes.push_back({uint32_t(d_->csr_wr_tdata >> 32), uint32_t(d_->csr_wr_tdata)});
    if (d_->clear_counters_o) ++clear_pulses;
    // A counter responder: answers a request rsp_delay clocks later with ~address.
    const bool rsp = d_->ctr_rsp_tvalid && d_->ctr_rsp_tready;
    const bool req = d_->ctr_req_tvalid && d_->ctr_req_tready;
    const uint32_t req_addr = d_->ctr_req_tdata;
    d_->clk = 1;
    d_->eval();
    if (rsp) d_->ctr_rsp_tvalid = 0;
    if (req) {
      ++ctr_reqs;
      pending_rsp_ = rsp_delay;
      rsp_value_ = ~req_addr;
    }
    if (pending_rsp_ && --pending_rsp_ == 0) {
      d_->ctr_rsp_tvalid = 1;
      d_->ctr_rsp_tdata = rsp_value_;
    }
  }

  // A write; w_first: present W before AW. Returns BRESP.
  int write(uint32_t addr, uint32_t data, uint8_t strb = 0xF, bool w_first = false) {
    bool aw_done = false, w_done = false;
    int n = 0;
    d_->s_axil_awaddr = uint16_t(addr);
    d_->s_axil_wdata = data;
    d_->s_axil_wstrb = strb;
    while (!(aw_done && w_done)) {
      d_->s_axil_awvalid = !aw_done && (!w_first || w_done);
      d_->s_axil_wvalid = !w_done;
      d_->clk = 0;
      d_->eval();
      const bool aw = d_->s_axil_awvalid && d_->s_axil_awready;
      const bool w = d_->s_axil_wvalid && d_->s_axil_wready;
      clock();
      aw_done |= aw;
      w_done |= w;
      if (++n > 1000) ADD_FAILURE() << "AW/W not taken";
      if (n > 1000) return -1;
    }
    d_->s_axil_awvalid = d_->s_axil_wvalid = 0;
    d_->s_axil_bready = 1;
    for (n = 0; n < 1000; ++n) {
      d_->clk = 0;
      d_->eval();
      if (d_->s_axil_bvalid) {
        const int resp = d_->s_axil_bresp;
        clock();
        d_->s_axil_bready = 0;
        return resp;
      }
      clock();
    }
    ADD_FAILURE() << "no BVALID";
    return -1;
  }

  std::pair<int, uint32_t> read(uint32_t addr) {
    d_->s_axil_araddr = uint16_t(addr);
    d_->s_axil_arvalid = 1;
    int n = 0;
    for (;; ++n) {
      d_->clk = 0;
      d_->eval();
      const bool ar = d_->s_axil_arready;
      clock();
      if (ar) break;
      if (n > 1000) {
        ADD_FAILURE() << "AR not taken";
        return {-1, 0};
      }
    }
    d_->s_axil_arvalid = 0;
    d_->s_axil_rready = 1;
    for (n = 0; n < 1000; ++n) {
      d_->clk = 0;
      d_->eval();
      if (d_->s_axil_rvalid) {
        std::pair<int, uint32_t> r{d_->s_axil_rresp, d_->s_axil_rdata};
        clock();
        d_->s_axil_rready = 0;
        return r;
      }
      clock();
    }
    ADD_FAILURE() << "no RVALID";
    return {-1, 0};
  }

  Vbroker_csr& dut() { return *d_; }
  int sweep_clocks() const { return sweep_clocks_; }

  std::vector<std::pair<uint32_t, uint32_t>> core_writes;
  int clear_pulses = 0;
  int ctr_reqs = 0;
  int rsp_delay = 2;

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vbroker_csr> d_;
  int sweep_clocks_ = 0;
  int pending_rsp_ = 0;
  uint32_t rsp_value_ = 0;
};

TEST(RtlCsr, ResetSweepForwardsNonZeroResets) {
  CsrBench tb;
  std::map<uint32_t, uint32_t> want;
  uint32_t rw_words = 0;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const auto& info = rm::kRegisters[r];
    if (info.access == rm::Access::kRW) rw_words += info.count;
    if (info.access != rm::Access::kRW || info.reset == 0) continue;
    for (uint32_t i = 0; i < info.count; ++i) want[info.offset + i * info.stride] = info.reset;
  }
  std::map<uint32_t, uint32_t> got(tb.core_writes.begin(), tb.core_writes.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(tb.core_writes.size(), want.size());
  // One clock per shadow word, and a forward for each non-zero reset value.
  EXPECT_LE(uint32_t(tb.sweep_clocks()), rw_words + 2 * uint32_t(want.size()) + 16)
      << rw_words << " rw words, " << want.size() << " non-zero resets";
}

TEST(RtlCsr, EveryRegisterReadsItsResetValue) {
  CsrBench tb;
  for (size_t r = 0; r < rm::kRegisterCount; ++r) {
    const auto& info = rm::kRegisters[r];
    const uint32_t last = info.count - 1;
    for (uint32_t i : {0u, last}) {
      const uint32_t a = info.offset + i * info.stride;
      const auto [resp, v] = tb.read(a);
      ASSERT_EQ(resp, 0) << info.name << "[" << i << "]";
      if (info.in_shell) {
        if (info.is_counter64_lo) EXPECT_NE(v, ~a) << info.name << " is the shell's, not the core's";
      } else if (info.is_counter64_lo || info.is_counter64_hi) {
        EXPECT_EQ(v, ~a) << info.name << " is read from the core";
      } else if (a == rm::CAPS3) {
        // Built with -GRX_WIRED=3 -GTX_WIRED=2: the wired counts come from the parameters.
        EXPECT_EQ(v, (info.reset & 0xFFFFu) | 2u << rm::CAPS3_TX_WIRED_LSB | 3u << rm::CAPS3_RX_WIRED_LSB);
      } else if (a == rm::NOW_US) {
        EXPECT_EQ(v, 12345u);
      } else if (a == rm::LINK_STATUS) {
        EXPECT_EQ(v, 0x5A5Au) << "LINK_STATUS is the shell's link register";
      } else if (info.offset == rm::OUT_STATUS) {
        EXPECT_EQ(v, (0xA5A5u >> i) & 1) << "OUT_STATUS.EMPTY of port " << i;
      } else if (info.access == rm::Access::kWO1) {
        EXPECT_EQ(v, 0u);
      } else {
        EXPECT_EQ(v, info.reset) << info.name << "[" << i << "]";
      }
    }
  }
}

TEST(RtlCsr, WritesReadBackAndReachTheCore) {
  CsrBench tb;
  tb.core_writes.clear();
  EXPECT_EQ(tb.write(rm::SCRATCH, 0xDEADBEEF), 0);
  EXPECT_EQ(tb.read(rm::SCRATCH).second, 0xDEADBEEFu);
  EXPECT_EQ(tb.write(rm::SCRATCH, 0x11223344, 0x5, /*w_first=*/true), 0);  // bytes 0 and 2
  EXPECT_EQ(tb.read(rm::SCRATCH).second, 0xDE22BE44u);
  EXPECT_EQ(tb.write(rm::GRP_LIVE_at(15), 0x8001, 0xF, true), 0);
  EXPECT_EQ(tb.read(rm::GRP_LIVE_at(15)).second, 0x8001u);
  EXPECT_EQ(tb.write(rm::IND_at(rm::INDIRECTION_COUNT - 1), 0x76543210), 0);
  EXPECT_EQ(tb.read(rm::IND_at(rm::INDIRECTION_COUNT - 1)).second, 0x76543210u);
  EXPECT_EQ(tb.write(rm::OUT_SPEED_MBPS_at(3), 25000), 0);
  EXPECT_EQ(tb.write(rm::OUT_UTIL_SCALE_at(3), 0x87654321), 0);
  EXPECT_EQ(tb.dut().scale_o[3], 0x87654321u);
  EXPECT_EQ(tb.write(rm::OUT_UTIL_SHIFT_at(15), 47), 0);
  EXPECT_EQ((tb.dut().shift_o[(15 * 7) / 32] >> ((15 * 7) % 32)) & 0x7F, 47u) << "port 15's 7 bits";
  EXPECT_EQ(tb.write(rm::UTIL_WINDOW_US, 250), 0);
  EXPECT_EQ(tb.dut().window_us_o, 250u);
  EXPECT_EQ(tb.write(rm::COMMAND, rm::COMMAND_CLEAR_COUNTERS_MASK), 0);
  EXPECT_EQ(tb.clear_pulses, 1);
  EXPECT_EQ(tb.write(rm::COMMAND, rm::COMMAND_CLEAR_FLOWS_MASK), 0);
  EXPECT_EQ(tb.clear_pulses, 1);
  // Read-only: OKAY, ignored, not forwarded.
  EXPECT_EQ(tb.write(rm::ID, 0), 0);
  EXPECT_EQ(tb.read(rm::ID).second, rm::ID_RESET);
  const std::vector<std::pair<uint32_t, uint32_t>> want = {
      {rm::SCRATCH, 0xDEADBEEF}, {rm::SCRATCH, 0xDE22BE44}, {rm::GRP_LIVE_at(15), 0x8001},
      {rm::IND_at(rm::INDIRECTION_COUNT - 1), 0x76543210}, {rm::OUT_SPEED_MBPS_at(3), 25000},
      {rm::OUT_UTIL_SCALE_at(3), 0x87654321}, {rm::OUT_UTIL_SHIFT_at(15), 47},
      {rm::UTIL_WINDOW_US, 250}, {rm::COMMAND, rm::COMMAND_CLEAR_COUNTERS_MASK},
      {rm::COMMAND, rm::COMMAND_CLEAR_FLOWS_MASK}};
  EXPECT_EQ(tb.core_writes, want);
}

TEST(RtlCsr, UnmappedIsSlverr) {
  CsrBench tb;
  tb.core_writes.clear();
  for (uint32_t a : {0x1Cu, rm::CSR_TIMEOUTS_HI + 4, rm::SCRATCH + 1, rm::GRP_FRAG_TIMEOUT_US + 4, rm::OUT_UTIL_PEAK_BP_at(rm::EGRESS_PEAK_COUNT - 1) + 4,
                     rm::FILTER_DROPS_HI + 4, 0xFFFCu}) {
    const auto [resp, v] = tb.read(a);
    EXPECT_EQ(resp, 2) << std::hex << a;
    EXPECT_EQ(v, 0u);
    EXPECT_EQ(tb.write(a, 1), 2) << std::hex << a;
  }
  EXPECT_TRUE(tb.core_writes.empty());
  EXPECT_EQ(tb.ctr_reqs, 0);
}

TEST(RtlCsr, CoreBackPressureDelaysBresp) {
  CsrBench tb;
  tb.dut().csr_wr_tready = 0;
  auto& d = tb.dut();
  d.s_axil_awaddr = uint16_t(rm::CTRL);
  d.s_axil_wdata = 1;
  d.s_axil_wstrb = 0xF;
  d.s_axil_awvalid = d.s_axil_wvalid = 1;
  d.s_axil_bready = 1;
  tb.clock();
  d.s_axil_awvalid = d.s_axil_wvalid = 0;
  for (int i = 0; i < 50; ++i) {
    tb.clock();
    ASSERT_FALSE(d.s_axil_bvalid) << "BVALID before the core took the write";
  }
  d.csr_wr_tready = 1;
  bool b = false;
  for (int i = 0; i < 10 && !b; ++i) {
    tb.clock();
    b = d.s_axil_bvalid;
  }
  EXPECT_TRUE(b);
}

// TX_DROPS, RX_DROPS, LINK_DOWNS, LINK_STATUS and CSR_TIMEOUTS are the shell's: read with no request to the core (here a
// core that takes nothing), LO latching HI.
TEST(RtlCsr, ShellCountersReadWithoutTheCore) {
  CsrBench tb;
  tb.dut().csr_wr_tready = 0;
  tb.dut().ctr_req_tready = 0;
  for (int p : {0, 7, int(rm::kOutPorts) - 1}) {
    const auto lo = tb.read(rm::TX_DROPS_LO_at(uint32_t(p)));
    const auto hi = tb.read(rm::TX_DROPS_HI_at(uint32_t(p)));
    EXPECT_EQ(lo.first, 0);
    EXPECT_EQ(hi.first, 0);
    EXPECT_EQ(uint64_t(hi.second) << 32 | lo.second, CsrBench::tx_drops(p)) << "TX_DROPS " << p;
  }
  for (int p : {0, int(rm::kInPorts) - 1}) {
    const auto lo = tb.read(rm::RX_DROPS_LO_at(uint32_t(p)));
    const auto hi = tb.read(rm::RX_DROPS_HI_at(uint32_t(p)));
    EXPECT_EQ(uint64_t(hi.second) << 32 | lo.second, CsrBench::rx_drops(p)) << "RX_DROPS " << p;
  }
  for (int p : {0, int(rm::kOutPorts) - 1}) {
    const auto lo = tb.read(rm::LINK_DOWNS_LO_at(uint32_t(p)));
    const auto hi = tb.read(rm::LINK_DOWNS_HI_at(uint32_t(p)));
    EXPECT_EQ(uint64_t(hi.second) << 32 | lo.second, CsrBench::link_downs(p)) << "LINK_DOWNS " << p;
  }
  EXPECT_EQ(tb.read(rm::LINK_STATUS).second, 0x5A5Au);
  EXPECT_EQ(tb.read(rm::CSR_TIMEOUTS_LO).second, 0u);
  EXPECT_EQ(tb.ctr_reqs, 0);
}

// The core takes no write: BRESP is SLVERR within CSR_TIMEOUT_CYCLES + 4 clocks of AW and W,
// the write is not applied (the shadow keeps the old value), and CSR_TIMEOUTS counts it.
TEST(RtlCsr, WriteTheCoreDoesNotTakeIsSlverrWithinTheBound) {
  CsrBench tb;
  ASSERT_EQ(tb.read(rm::CSR_TIMEOUT_CYCLES).second, rm::CSR_TIMEOUT_CYCLES_RESET);
  EXPECT_EQ(tb.write(rm::SCRATCH, 0x600D), 0);
  auto& d = tb.dut();
  d.csr_wr_tready = 0;
  d.s_axil_awaddr = uint16_t(rm::SCRATCH);
  d.s_axil_wdata = 0xBAD;
  d.s_axil_wstrb = 0xF;
  d.s_axil_awvalid = d.s_axil_wvalid = 1;
  d.s_axil_bready = 1;
  tb.clock();  // both taken on this edge
  d.s_axil_awvalid = d.s_axil_wvalid = 0;
  uint64_t n = 0;
  for (; n < 10 * rm::CSR_TIMEOUT_CYCLES_RESET; ++n) {
    d.clk = 0;
    d.eval();
    if (d.s_axil_bvalid) break;
    tb.clock();
  }
  ASSERT_TRUE(d.s_axil_bvalid) << "no answer at all";
  EXPECT_EQ(d.s_axil_bresp, 2) << "SLVERR";
  EXPECT_LE(n, rm::CSR_TIMEOUT_CYCLES_RESET + 4) << "answered after " << n << " clocks";
  EXPECT_GE(n, rm::CSR_TIMEOUT_CYCLES_RESET) << "gave up before the bound";
  RecordProperty("write_timeout_answer_clocks", int(n));
  std::printf("[ figures  ] a write the core does not take: SLVERR after %llu clocks\n",
              (unsigned long long)n);
  tb.clock();
  d.s_axil_bready = 0;
  d.csr_wr_tready = 1;
  EXPECT_EQ(tb.read(rm::SCRATCH).second, 0x600Du) << "a refused write is not applied";
  EXPECT_EQ(tb.read(rm::CSR_TIMEOUTS_LO).second, 1u);
  // Counted timeouts clear with the counters.
  EXPECT_EQ(tb.write(rm::COMMAND, rm::COMMAND_CLEAR_COUNTERS_MASK), 0);
  EXPECT_EQ(tb.read(rm::CSR_TIMEOUTS_LO).second, 0u);
}

// A counter read whose request the core never takes, then one whose answer comes too late:
// both SLVERR within the bound; the late answer is discarded, so the next read is right.
TEST(RtlCsr, CounterReadTheCoreDoesNotAnswerIsSlverrAndTheLateAnswerIsDiscarded) {
  CsrBench tb;
  auto timed_read = [&](uint32_t a, uint64_t& clocks) {
    auto& d = tb.dut();
    d.s_axil_araddr = uint16_t(a);
    d.s_axil_arvalid = 1;
    d.clk = 0;
    d.eval();
    EXPECT_TRUE(d.s_axil_arready);
    tb.clock();
    d.s_axil_arvalid = 0;
    d.s_axil_rready = 1;
    for (clocks = 0; clocks < 10 * rm::CSR_TIMEOUT_CYCLES_RESET; ++clocks) {
      d.clk = 0;
      d.eval();
      if (d.s_axil_rvalid) break;
      tb.clock();
    }
    std::pair<int, uint32_t> r{d.s_axil_rresp, d.s_axil_rdata};
    tb.clock();
    d.s_axil_rready = 0;
    return r;
  };
  uint64_t n = 0;
  tb.dut().ctr_req_tready = 0;
  auto r = timed_read(rm::MALFORMED_LO, n);
  EXPECT_EQ(r.first, 2);
  EXPECT_LE(n, rm::CSR_TIMEOUT_CYCLES_RESET + 4);
  EXPECT_EQ(tb.ctr_reqs, 0);
  tb.dut().ctr_req_tready = 1;

  tb.rsp_delay = int(2 * rm::CSR_TIMEOUT_CYCLES_RESET);
  r = timed_read(rm::FRAGMENTS_LO, n);
  EXPECT_EQ(r.first, 2);
  EXPECT_LE(n, rm::CSR_TIMEOUT_CYCLES_RESET + 4);
  EXPECT_EQ(tb.ctr_reqs, 1);
  std::printf("[ figures  ] a counter read the core does not answer: SLVERR after %llu clocks\n",
              (unsigned long long)n);
  for (int i = 0; i < 2 * int(rm::CSR_TIMEOUT_CYCLES_RESET); ++i) tb.clock();  // the late answer
  tb.rsp_delay = 2;
  r = timed_read(rm::MALFORMED_LO, n);
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(r.second, ~rm::MALFORMED_LO) << "the late answer of FRAGMENTS_LO was taken instead";
  EXPECT_EQ(tb.read(rm::CSR_TIMEOUTS_LO).second, 2u);
}

// Tunnel origination (block egress_tunnel; built with -GTX_WIRED=2): ENC_SLICE, ENC_CSUM and
// ENC_HDRn are staged (they read back, reach the core, but the encap's wires keep the active
// copy) until a write to ENC_CTRL of the same port makes them active, all in one clock; other
// ports are not touched, and an unwired port's wires stay 0.
TEST(RtlCsr, TunnelTemplateIsStagedUntilEncCtrl) {
  CsrBench tb;
  auto& d = tb.dut();
  constexpr uint32_t kWords = 19;
  auto ctrl = [&](uint32_t p) { return uint32_t(d.enc_ctrl_o[p]); };
  auto slice = [&](uint32_t p) { return uint32_t(d.enc_slice_o[p]); };
  auto csum = [&](uint32_t p) { return uint32_t(d.enc_csum_o[p]); };
  auto hdr = [&](uint32_t p, uint32_t k) { return uint32_t(d.enc_hdr_o[p * kWords + k]); };
  auto word = [](uint32_t p, uint32_t k) { return 0x01000000u * (p + 1) + 0x10101u * (k + 1); };
  auto stage = [&](uint32_t p) {
    EXPECT_EQ(tb.write(rm::ENC_SLICE_at(p), 0xABCD0080u), 0);
    EXPECT_EQ(tb.write(rm::ENC_CSUM_at(p), 0x00001234u + p), 0);
    for (uint32_t k = 0; k < kWords; ++k) EXPECT_EQ(tb.write(rm::ENC_HDR0_at(p) + 4 * k, word(p, k)), 0);
  };
  for (uint32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(ctrl(p), 0u);
    for (uint32_t k = 0; k < kWords; ++k) EXPECT_EQ(hdr(p, k), 0u);
  }
  tb.core_writes.clear();
  stage(1);
  // Staged: read back and forwarded, not active.
  EXPECT_EQ(tb.read(rm::ENC_SLICE_at(1)).second, 0xABCD0080u);
  EXPECT_EQ(tb.read(rm::ENC_HDR0_at(1) + 4 * 18).second, word(1, 18));
  EXPECT_EQ(tb.core_writes.size(), size_t(kWords + 2));
  EXPECT_EQ(slice(1), 0u);
  EXPECT_EQ(csum(1), 0u);
  for (uint32_t k = 0; k < kWords; ++k) EXPECT_EQ(hdr(1, k), 0u) << "ENC_HDR" << k << " active before ENC_CTRL";
  // ENC_CTRL of another port commits nothing of port 1.
  EXPECT_EQ(tb.write(rm::ENC_CTRL_at(0), 0x3), 0);
  EXPECT_EQ(ctrl(0), 0x3u);
  EXPECT_EQ(hdr(0, 0), 0u);
  EXPECT_EQ(hdr(1, 0), 0u);
  // ENC_CTRL of port 1: the whole staged copy at once (only the fields' bits).
  EXPECT_EQ(tb.write(rm::ENC_CTRL_at(1), 0xFFFFFFF7u), 0);
  EXPECT_EQ(ctrl(1), 0x7u);
  EXPECT_EQ(slice(1), 0x0080u) << "ENC_SLICE.BYTES only";
  EXPECT_EQ(csum(1), 0x1235u);
  for (uint32_t k = 0; k < kWords; ++k) EXPECT_EQ(hdr(1, k), word(1, k)) << "ENC_HDR" << k;
  EXPECT_EQ(hdr(0, 0), 0u) << "port 0 staged nothing";
  // A new staged word waits for the next ENC_CTRL.
  EXPECT_EQ(tb.write(rm::ENC_HDR0_at(1) + 4 * 7, 0xCAFEF00Du), 0);
  EXPECT_EQ(tb.write(rm::ENC_SLICE_at(1), 200), 0);
  EXPECT_EQ(hdr(1, 7), word(1, 7));
  EXPECT_EQ(slice(1), 0x0080u);
  EXPECT_EQ(tb.read(rm::ENC_HDR0_at(1) + 4 * 7).second, 0xCAFEF00Du);
  EXPECT_EQ(tb.write(rm::ENC_CTRL_at(1), 0x1), 0);
  EXPECT_EQ(ctrl(1), 0x1u);
  EXPECT_EQ(hdr(1, 7), 0xCAFEF00Du);
  EXPECT_EQ(hdr(1, 6), word(1, 6));
  EXPECT_EQ(slice(1), 200u);
  // A write the core does not take (timed out) is not staged either.
  d.csr_wr_tready = 0;
  d.s_axil_awaddr = uint16_t(rm::ENC_HDR0_at(1));
  d.s_axil_wdata = 0xBADBADu;
  d.s_axil_wstrb = 0xF;
  d.s_axil_awvalid = d.s_axil_wvalid = 1;
  d.s_axil_bready = 1;
  tb.clock();
  d.s_axil_awvalid = d.s_axil_wvalid = 0;
  for (uint64_t n = 0; n < 2 * rm::CSR_TIMEOUT_CYCLES_RESET && !d.s_axil_bvalid; ++n) tb.clock();
  EXPECT_EQ(d.s_axil_bresp, 2);
  tb.clock();
  d.s_axil_bready = 0;
  d.csr_wr_tready = 1;
  EXPECT_EQ(tb.write(rm::ENC_CTRL_at(1), 0x1), 0);
  EXPECT_EQ(hdr(1, 0), word(1, 0)) << "a refused write reached the staged copy";
  // Port 2 has no wire (-GTX_WIRED=2): its registers read back, its wires stay 0.
  stage(2);
  EXPECT_EQ(tb.write(rm::ENC_CTRL_at(2), 0x1), 0);
  EXPECT_EQ(tb.read(rm::ENC_CTRL_at(2)).second, 0x1u);
  EXPECT_EQ(ctrl(2), 0u);
  EXPECT_EQ(hdr(2, 0), 0u);
}

}  // namespace
