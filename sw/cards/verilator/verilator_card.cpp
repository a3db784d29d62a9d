#include "verilator_card.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>

#include <fmt/format.h>

#include "Vbroker_top.h"
#include "Vbroker_top___024root.h"  // the queues' commit/drop pulses (verilator public_flat_rd)
#include "broker_regmap.h"
#include "core_probe.h"
#include "encap_dpi.h"   // broker_sim_encap_instances
#include "task_ports.h"  // broker_sim_dpi_instances
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

namespace broker::cards {
namespace {

constexpr int kBeatBytes = 64;
constexpr int kWordsPerBeat = kBeatBytes / 4;  // 32-bit words of a 512-bit bus in VlWide
constexpr uint64_t kResetCycles = 16;

// Every cycle is two half periods of simulated time in picoseconds (the design's default
// time unit), so waveforms show real time.
constexpr uint64_t kHalfPeriodPs = std::max<uint64_t>(1, 500'000'000'000ULL / BROKER_SIM_CLK_HZ);

static_assert(sizeof(Vbroker_top::rx_tvalid) * 8 >= VerilatorCard::kInPorts, "NUM_IN of the model");
static_assert(sizeof(Vbroker_top::tx_tvalid) * 8 >= VerilatorCard::kOutPorts, "NUM_OUT of the model");

uint64_t keep_mask(uint32_t n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; }

}  // namespace

// The model, and the probe its core's tasks report into.
struct VerilatorCard::Impl final : sim::CoreProbe {
  struct Pending {
    uint64_t not_before = 0;
    uint64_t line_seq = 0;  // order among all ports' frames (IngressMode::kOneLine)
    std::vector<uint8_t> data;
  };
  struct Ingress {
    std::deque<Pending> queue;
    uint32_t offset = 0;  // bytes of queue.front() already accepted
    PortStats stats;
  };
  struct Egress {
    std::vector<uint8_t> data;  // the frame being received
    uint64_t first_cycle = 0;
    bool offered = false;       // its first beat is offered (tvalid), not yet taken
    uint64_t now_us = 0;        // the encap's now_us when it made that beat
    PortStats stats;
  };
  // Tunnel origination reference per egress port: the staged ENC_SLICE, ENC_CSUM and ENC_HDRn
  // words and the runner with the committed copy (sw/cards/soft/soft_card.cpp commit_encap).
  struct EncapRef {
    uint32_t slice = 0, csum = 0;
    std::array<uint32_t, core::kEncapHdrBytes / 4> hdr{};
    core::EncapRunner runner;
  };
  // One AXI4-Lite transaction in flight (the card issues them one at a time).
  struct Axil {
    bool awvalid = false, wvalid = false, arvalid = false;
    uint16_t awaddr = 0, araddr = 0;
    uint32_t wdata = 0;
    bool done = false;
    uint32_t rdata = 0;
    uint8_t resp = 0;
  };

  explicit Impl(const Options& o) : options(o) {
    ctx = std::make_unique<VerilatedContext>();
    ctx->randReset(0);  // --x-initial fast: whatever is not reset starts at zero
    std::string waves = options.waves;
    if (waves.empty())
      if (const char* env = std::getenv("BROKER_SIM_WAVES")) waves = env;
#if VM_TRACE
    if (!waves.empty()) ctx->traceEverOn(true);
#endif
    // Verilator 5.006 registers and erases scopes through the *thread's* context: with two
    // models in one process that must be this model's, or destruction deadlocks.
    Verilated::threadContextp(ctx.get());
    top = std::make_unique<Vbroker_top>(ctx.get(), "broker_top");
#if VM_TRACE
    if (!waves.empty()) {
      fst = std::make_unique<VerilatedFstC>();
      top->trace(fst.get(), 99);
      fst->open(waves.c_str());
    }
#else
    if (!waves.empty())
      std::fprintf(stderr, "verilator card: waves requested (%s) but the model was built without "
                           "tracing (configure with -DBROKER_SIM_TRACE=ON)\n", waves.c_str());
#endif
    top->clk = 0;
    top->rst_n = 0;
    top->tx_tready = 0xFFFF;
    top->link_up_i = 0xFFFF;
    top->s_axil_bready = 1;
    top->s_axil_rready = 1;
    apply_inputs();
    // Runs the initial blocks: the core's task modules are created here, reporting to this.
    sim::ProbeBinding bind(this);
    const int encaps_before = broker_sim_encap_instances();
    top->eval();
    if (broker_sim_encap_instances() - encaps_before < kOutPorts)
      throw std::runtime_error(fmt::format(
          "verilator card: the model has {} co-simulated broker_encap kernels, not one per tool port "
          "({}): was the lint black box hw/rtl/broker_encap_bb.sv compiled in instead of "
          "sim/rtl/broker_encap.sv?", broker_sim_encap_instances() - encaps_before, kOutPorts));
    if (bind.tasks_created() != core::kCoreTaskCount || broker_sim_dpi_instances() < core::kCoreTaskCount)
      throw std::runtime_error(fmt::format(
          "verilator card: the model has {} task modules of the core, not {} (was a black box of "
          "broker_core_top compiled in instead of the composition generated from "
          "hw/graph/core_graph.toml?)", bind.tasks_created(), core::kCoreTaskCount));
    do_reset();
  }

  ~Impl() {
    Verilated::threadContextp(ctx.get());
    top->final();
#if VM_TRACE
    if (fst) fst->close();
    fst.reset();
#endif
    top.reset();
  }

  void do_reset() {
    top->rst_n = 0;
    for (uint64_t i = 0; i < kResetCycles; ++i) tick();
    zip.clear();
    frames.clear();
    started.fill(0);
    in_next = 0;
    tx_next.fill(0);
    for (auto& l : lane_in) l.clear();
    for (auto& o : queued) for (auto& q : o) q.clear();
    for (auto& o : stored) for (auto& q : o) q.clear();
    for (auto& e : egress) e.offered = false;
    for (auto& r : encap) r = EncapRef{};  // the CSR block's ENC_* reset to 0
    top->rst_n = 1;
    for (uint64_t i = 0; i < kResetCycles; ++i) tick();
  }

  // ---- the core's reports (sim::CoreProbe), on the clock edge of `cycle` --------------------
  StageCycles& frame(uint64_t k) {
    while (frames.size() <= k - zip.first()) frames.emplace_back();
    return frames[k - zip.first()];
  }
  static int lane_of(const core::FrameTrace& t) { return core::lane_of(t.decision.in_port.to_uint()); }
  // Frames are numbered in the order the core decides them (the shared tasks' order); a lane's
  // frames keep their order. Once a frame's decision is in, its lane says which of the first
  // beats seen entering rx0 / rx1 was its own.
  void settle_core_in() {
    for (; in_next < zip.arrived(core::TraceStream::kDecision); ++in_next) {
      auto& q = lane_in[size_t(lane_of(zip.frame(in_next)))];
      if (q.empty()) break;  // cannot happen: a frame is seen entering before it is decided
      frame(in_next).core_in = q.front();
      q.pop_front();
    }
  }
  void on_word(core::CoreStream s, bool frame_start) override {
    if (!frame_start) return;
    const int i = int(s);
    if (s == core::CoreStream::kRx0 || s == core::CoreStream::kRx1) {
      lane_in[s == core::CoreStream::kRx0 ? 0 : 1].push_back(cycle);
      ++started[i];
    } else if (s == core::CoreStream::kTx0 || s == core::CoreStream::kTx1) {
      // The next frame of this lane that leaves (dropped ones emit no beat); its decision is in
      // before its first beat can leave.
      const int lane = s == core::CoreStream::kTx0 ? 0 : 1;
      uint64_t& k = next_out_of_lane(lane);
      frame(k).core_out = cycle;
      // Into the queue of every port it goes to (several for a replicated frame).
      for (uint32_t mask = zip.frame(k).decision.out_mask.to_uint(); mask != 0; mask &= mask - 1) {
        const int port = __builtin_ctz(mask);
        if (port < kOutPorts) queued[size_t(port)][size_t(lane)].push_back(k);
      }
      ++k;
    } else if (stage_of[i] >= 0) {
      frame(started[i]++).fifo_in[size_t(stage_of[i])] = cycle;
    }
  }
  core::FrameTraceZip* trace() override { return &zip; }

  // The egress queues' pulses of the clock edge just taken (queue of port q in lane l: bit
  // l * kOutPorts + q): commit or drop settles the oldest frame the core sent to that queue
  // (frames reach a queue in order); a stored frame then leaves (sent) or is discarded unsent
  // when the port's link goes down, in order too.
  void settle_queues() {
    const uint64_t commit = uint64_t(top->rootp->broker_top__DOT__tx_commit);
    const uint64_t drop = uint64_t(top->rootp->broker_top__DOT__tx_drop);
    const uint64_t discard = uint64_t(top->rootp->broker_top__DOT__tx_discard);
    const uint64_t sent = uint64_t(top->rootp->broker_top__DOT__tx_sent);
    if ((commit | drop | discard | sent) == 0) return;
    for (int l = 0; l < core::kLanes; ++l) {
      for (int q = 0; q < kOutPorts; ++q) {
        const int bit = l * kOutPorts + q;
        auto& st = stored[size_t(q)][size_t(l)];
        auto& qu = queued[size_t(q)][size_t(l)];
        if (((discard | sent) >> bit & 1) && !st.empty()) {
          if (discard >> bit & 1) frame(st.front()).tx_dropped_ports |= uint16_t(1u << q);
          st.pop_front();
        }
        if (!((commit | drop) >> bit & 1) || qu.empty()) continue;
        if (drop >> bit & 1) {
          frame(qu.front()).tx_dropped_ports |= uint16_t(1u << q);
        } else {
          // commit_o is registered: the frame's last beat was written on the edge just taken.
          frame(qu.front()).tx_stored = cycle;
          st.push_back(qu.front());
        }
        qu.pop_front();
      }
    }
  }
  // Frames before this one have a known fate.
  uint64_t settled_before() {
    settle_core_in();
    skip_dropped();
    uint64_t k = in_next;
    for (uint64_t t : tx_next) k = std::min(k, t);
    for (const auto& o : queued)
      for (const auto& q : o)
        if (!q.empty()) k = std::min(k, q.front());
    for (const auto& o : stored)
      for (const auto& q : o)
        if (!q.empty()) k = std::min(k, q.front());
    return k;
  }
  // Moves each lane's tx_next past the frames decided already that will not leave on it.
  void skip_dropped() {
    for (int lane = 0; lane < core::kLanes; ++lane) next_out_of_lane(lane);
  }
  // Moves a lane's tx_next past the decided frames that will not leave on it (the other lane's,
  // dropped ones) and returns it: the next frame out of that lane once its decision is in.
  uint64_t& next_out_of_lane(int lane) {
    uint64_t& k = tx_next[size_t(lane)];
    while (k < zip.arrived(core::TraceStream::kDecision) &&
           (lane_of(zip.frame(k)) != lane || zip.frame(k).decision.out_mask == 0))
      ++k;
    return k;
  }

  std::vector<DecidedFrame> take_decisions(uint64_t limit = ~uint64_t(0)) {
    skip_dropped();
    const uint64_t first = zip.first();
    std::vector<core::FrameTrace> traces = zip.take(std::min(limit, settled_before()));
    std::vector<DecidedFrame> out(traces.size());
    for (size_t k = 0; k < traces.size(); ++k) {
      out[k].trace = traces[k];
      if (k < frames.size()) out[k].cycles = frames[k];
    }
    frames.erase(frames.begin(), frames.begin() + std::min(frames.size(), size_t(zip.first() - first)));
    return out;
  }
  // Discards the oldest decided frames beyond options.max_decisions.
  void trim_decisions() {
    const uint64_t held = std::min(zip.complete(), settled_before()) - zip.first();
    if (held > options.max_decisions) take_decisions(zip.first() + (held - options.max_decisions));
  }

  // Drives the ingress ports and the AXI4-Lite master from their state, for the next edge.
  void apply_inputs() {
    uint32_t valid = 0, last = 0;
    // No frame goes in while the card is held in reset (its links are down).
    for (int p = 0; p < kInPorts && top->rst_n; ++p) {
      Ingress& in = ingress[p];
      uint32_t words[kWordsPerBeat] = {};
      uint64_t keep = 0;
      const bool turn = options.ingress == IngressMode::kPerPort || in.offset > 0 ||
                        (!in.queue.empty() && in.queue.front().line_seq == line_next);
      if (!in.queue.empty() && in.queue.front().not_before <= cycle && turn) {
        const std::vector<uint8_t>& f = in.queue.front().data;
        const uint32_t n = std::min<uint32_t>(kBeatBytes, uint32_t(f.size()) - in.offset);
        std::memcpy(words, f.data() + in.offset, n);  // byte i of the beat in TDATA[8i+7:8i]
        keep = keep_mask(n);
        valid |= 1u << p;
        if (in.offset + n == f.size()) last |= 1u << p;
      }
      for (int w = 0; w < kWordsPerBeat; ++w) top->rx_tdata[p * kWordsPerBeat + w] = words[w];
      top->rx_tkeep[2 * p] = uint32_t(keep);
      top->rx_tkeep[2 * p + 1] = uint32_t(keep >> 32);
    }
    top->rx_tvalid = valid;
    top->rx_tlast = last;

    top->s_axil_awvalid = axil.awvalid;
    top->s_axil_awaddr = axil.awaddr;
    top->s_axil_wvalid = axil.wvalid;
    top->s_axil_wdata = axil.wdata;
    top->s_axil_wstrb = 0xF;
    top->s_axil_arvalid = axil.arvalid;
    top->s_axil_araddr = axil.araddr;
  }

  void dump() {
#if VM_TRACE
    if (fst) fst->dump(ctx->time());
#endif
  }

  // One clock cycle. Handshakes are taken from the values both sides show before the rising
  // edge; new inputs are applied after the falling edge.
  void tick() {
    // The card may be driven from any thread (brokerd's gRPC threads): the model's context
    // is this thread's while it runs.
    Verilated::threadContextp(ctx.get());
    const uint32_t rx_fire = uint32_t(top->rx_tvalid) & uint32_t(top->rx_tready);
    const uint32_t tx_fire = uint32_t(top->tx_tvalid) & uint32_t(top->tx_tready);
    const bool active = top->rx_tvalid != 0 || top->tx_tvalid != 0;
    for (int q = 0; q < kOutPorts; ++q)
      if (tx_fire >> q & 1) take_beat(q);
    if (axil.awvalid && top->s_axil_awready) axil.awvalid = false;
    if (axil.wvalid && top->s_axil_wready) axil.wvalid = false;
    if (axil.arvalid && top->s_axil_arready) axil.arvalid = false;
    if (top->s_axil_bvalid && top->s_axil_bready) {
      axil.done = true;
      axil.resp = uint8_t(top->s_axil_bresp);
    }
    if (top->s_axil_rvalid && top->s_axil_rready) {
      axil.done = true;
      axil.resp = uint8_t(top->s_axil_rresp);
      axil.rdata = top->s_axil_rdata;
    }
    for (int p = 0; p < kInPorts; ++p)
      if (rx_fire >> p & 1) {
        Ingress& in = ingress[p];
        PortStats& s = in.stats;
        if (s.beats == 0) s.first_beat_cycle = cycle;
        s.last_beat_cycle = cycle;
        ++s.beats;
        in.offset += kBeatBytes;
        if (in.offset >= in.queue.front().data.size()) {
          ++line_next;
          ++s.frames;
          s.bytes += in.queue.front().data.size();
          in.queue.pop_front();
          in.offset = 0;
        }
      }

    // The encaps' now_us input at this edge (the time base's register changes on it too).
    const uint64_t now_us_at_edge = uint64_t(top->rootp->broker_top__DOT__now_us);
    top->clk = 1;
    top->eval();
    note_offers(now_us_at_edge);
    settle_queues();
    dump();
    ctx->timeInc(kHalfPeriodPs);
    top->clk = 0;
    ++cycle;
    quiet = active ? 0 : quiet + 1;
    if (cycle % 4096 == 0) trim_decisions();
    apply_inputs();
    top->eval();
    dump();
    ctx->timeInc(kHalfPeriodPs);
  }

  // A frame's first beat offered on a tx port for the first time was made by that port's encap
  // at the edge just taken, with the time base as it was before the edge.
  void note_offers(uint64_t now_us_at_edge) {
    const uint32_t valid = uint32_t(top->tx_tvalid);
    for (int q = 0; q < kOutPorts; ++q) {
      Egress& e = egress[size_t(q)];
      if ((valid >> q & 1) && e.data.empty() && !e.offered) {
        e.offered = true;
        e.now_us = now_us_at_edge;
      }
    }
  }

  // A register write the model answered OKAY: the ENC_* words of the reference.
  void note_write(uint32_t offset, uint32_t v) {
    namespace rm = broker::regmap;
    if (offset < rm::EGRESS_TUNNEL_BASE ||
        offset >= rm::EGRESS_TUNNEL_BASE + rm::EGRESS_TUNNEL_COUNT * rm::EGRESS_TUNNEL_STRIDE)
      return;
    const uint32_t p = (offset - rm::EGRESS_TUNNEL_BASE) / rm::EGRESS_TUNNEL_STRIDE;
    if (p >= uint32_t(kOutPorts)) return;
    EncapRef& r = encap[p];
    if (offset == rm::ENC_SLICE_at(p)) r.slice = v;
    if (offset == rm::ENC_CSUM_at(p)) r.csum = v;
    if (offset >= rm::ENC_HDR0_at(p) && offset < rm::ENC_HDR0_at(p) + 4 * r.hdr.size())
      r.hdr[(offset - rm::ENC_HDR0_at(p)) / 4] = v;
    if (offset == rm::ENC_CTRL_at(p)) {
      ap_uint<32> hdr[core::kEncapHdrBytes / 4];
      for (size_t k = 0; k < r.hdr.size(); ++k) hdr[k] = r.hdr[k];
      r.runner.set_config(core::encap_config_of(v, r.slice, r.csum, hdr));
    }
  }

  void take_beat(int q) {
    Egress& e = egress[q];
    const uint64_t keep = uint64_t(top->tx_tkeep[2 * q]) | uint64_t(top->tx_tkeep[2 * q + 1]) << 32;
    uint8_t bytes[kBeatBytes];
    for (int w = 0; w < kWordsPerBeat; ++w) {
      const uint32_t v = top->tx_tdata[q * kWordsPerBeat + w];
      std::memcpy(bytes + 4 * w, &v, 4);
    }
    if (e.data.empty()) {
      e.first_cycle = cycle;
      e.offered = false;
    }
    for (int i = 0; i < kBeatBytes; ++i)
      if (keep >> i & 1) e.data.push_back(bytes[i]);
    PortStats& s = e.stats;
    if (s.beats == 0) s.first_beat_cycle = cycle;
    s.last_beat_cycle = cycle;
    ++s.beats;
    if (top->tx_tlast >> q & 1) {
      ++s.frames;
      s.bytes += e.data.size();
      done.push_back(Frame{uint8_t(q), std::move(e.data), e.first_cycle, cycle, e.now_us});
      e.data.clear();
    }
  }

  bool idle() const {
    for (const Ingress& in : ingress)
      if (!in.queue.empty()) return false;
    // Every frame that entered the core has left it (its last beat passed egress).
    if (started[size_t(core::CoreStream::kRx0)] + started[size_t(core::CoreStream::kRx1)] !=
        zip.arrived(core::TraceStream::kStatsEv))
      return false;
    return quiet >= kQuietCycles;
  }

  // Runs one AXI4-Lite transaction already set up in axil; returns the response code.
  uint8_t transact(const char* what, uint32_t offset) {
    axil.done = false;
    apply_inputs();
    top->eval();
    for (uint64_t i = 0; !axil.done; ++i) {
      if (i >= options.axil_timeout_cycles) {
        axil = Axil{};
        apply_inputs();
        top->eval();
        throw driver::BusError(fmt::format("verilator card: {} 0x{:04x}: no AXI4-Lite response in {} cycles",
                                           what, offset, options.axil_timeout_cycles));
      }
      tick();
    }
    return axil.resp;
  }

  Options options;
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vbroker_top> top;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> fst;
#endif
  uint64_t cycle = 0;
  uint64_t quiet = 0;  // cycles without tvalid on any stream port
  std::array<Ingress, kInPorts> ingress;
  std::array<Egress, kOutPorts> egress;
  std::array<EncapRef, kOutPorts> encap;
  std::vector<Frame> done;
  Axil axil;
  // What the core decided, per frame, and when each frame passed each stage: frame k (counted
  // from the last reset) is frames[k - zip.first()].
  core::FrameTraceZip zip;
  std::deque<StageCycles> frames;
  std::array<uint64_t, core::kCoreStreamCount> started{};  // frames seen starting per stream
  std::array<int, core::kCoreStreamCount> stage_of = make_stage_of();  // -1: not a stage
  uint64_t in_next = 0;  // the next frame whose core_in is not yet known
  std::array<std::deque<uint64_t>, core::kLanes> lane_in;  // cycles frames started into rx0 / rx1
  std::array<uint64_t, core::kLanes> tx_next{};  // per lane: where to look for its next frame out
  // Per egress port and lane: the frames the core sent to that queue.
  using PerLane = std::array<std::deque<uint64_t>, core::kLanes>;
  std::array<PerLane, kOutPorts> queued;  // sent by the core, not yet stored or dropped
  std::array<PerLane, kOutPorts> stored;  // stored in the egress queue, not yet out
  uint64_t line_sent = 0, line_next = 0;  // IngressMode::kOneLine: frames sent, frames taken in

  static std::array<int, core::kCoreStreamCount> make_stage_of() {
    std::array<int, core::kCoreStreamCount> a;
    a.fill(-1);
    for (int i = 0; i < core::kStageCount; ++i) a[size_t(core::kStageStreams[i])] = i;
    return a;
  }
};

VerilatorCard::VerilatorCard() : VerilatorCard(Options{}) {}

VerilatorCard::VerilatorCard(const Options& options) : impl_(std::make_unique<Impl>(options)) {}

VerilatorCard::~VerilatorCard() = default;

std::string VerilatorCard::describe() const {
  return fmt::format("verilator model of broker_top ({} Hz)", BROKER_SIM_CLK_HZ);
}

uint32_t VerilatorCard::read32(uint32_t offset) {
  std::lock_guard lock(mu_);
  if (offset % 4 != 0 || offset > 0xFFFF)
    throw driver::BusError(fmt::format("verilator card: read of offset 0x{:x}: not an aligned "
                                       "word of the 64 KiB aperture", offset));
  Impl& m = *impl_;
  m.axil.arvalid = true;
  m.axil.araddr = uint16_t(offset);
  const uint8_t resp = m.transact("read of", offset);
  if (resp != 0)
    throw driver::BusError(fmt::format("verilator card: read of offset 0x{:04x} answered {}", offset,
                                       resp == 2 ? "SLVERR" : resp == 3 ? "DECERR" : "EXOKAY"));
  return m.axil.rdata;
}

void VerilatorCard::write32(uint32_t offset, uint32_t value) {
  std::lock_guard lock(mu_);
  if (offset % 4 != 0 || offset > 0xFFFF)
    throw driver::BusError(fmt::format("verilator card: write to offset 0x{:x}: not an aligned "
                                       "word of the 64 KiB aperture", offset));
  Impl& m = *impl_;
  m.axil.awvalid = m.axil.wvalid = true;
  m.axil.awaddr = uint16_t(offset);
  m.axil.wdata = value;
  const uint8_t resp = m.transact("write to", offset);
  if (resp != 0)
    throw driver::BusError(fmt::format("verilator card: write to offset 0x{:04x} answered {}", offset,
                                       resp == 2 ? "SLVERR" : resp == 3 ? "DECERR" : "EXOKAY"));
  m.note_write(offset, value);
}

std::vector<uint8_t> VerilatorCard::expected_wire(int out_port, const std::vector<uint8_t>& delivered,
                                                  uint64_t now_us) {
  std::lock_guard lock(mu_);
  core::EncapRunner& r = impl_->encap.at(size_t(out_port)).runner;
  if (!r.wraps() || delivered.empty()) return delivered;
  std::vector<uint8_t> wire;
  r.run(delivered.data(), uint32_t(delivered.size()), now_us, wire);
  return wire;
}

bool VerilatorCard::port_wraps(int out_port) const {
  std::lock_guard lock(mu_);
  return impl_->encap.at(size_t(out_port)).runner.wraps();
}

uint32_t VerilatorCard::wrap_header_len(int out_port) const {
  std::lock_guard lock(mu_);
  const core::EncapConfig& c = impl_->encap.at(size_t(out_port)).runner.config();
  return c.enable ? core::encap_hdr_len(c.kind, c.ipv6).to_uint() : 0;
}

uint32_t VerilatorCard::wrap_slice(int out_port) const {
  std::lock_guard lock(mu_);
  const core::EncapConfig& c = impl_->encap.at(size_t(out_port)).runner.config();
  return c.enable ? c.slice.to_uint() : 0;
}

void VerilatorCard::send(uint8_t in_port, const uint8_t* frame, uint32_t len) {
  send_at(in_port, 0, frame, len);
}

void VerilatorCard::send_at(uint8_t in_port, uint64_t cycle, const uint8_t* frame, uint32_t len) {
  if (in_port >= kInPorts)
    throw std::invalid_argument(fmt::format("verilator card: no ingress port {}", in_port));
  if (len == 0) throw std::invalid_argument("verilator card: a frame needs at least one byte");
  std::lock_guard lock(mu_);
  impl_->ingress[in_port].queue.push_back(
      Impl::Pending{cycle, impl_->line_sent++, std::vector<uint8_t>(frame, frame + len)});
}

void VerilatorCard::step(uint64_t n) {
  std::lock_guard lock(mu_);
  for (uint64_t i = 0; i < n; ++i) impl_->tick();
}

bool VerilatorCard::idle() const {
  std::lock_guard lock(mu_);
  return impl_->idle();
}

bool VerilatorCard::run_until_idle(uint64_t max_cycles) {
  std::lock_guard lock(mu_);
  for (uint64_t i = 0; i < max_cycles; ++i) {
    if (impl_->idle()) return true;
    impl_->tick();
  }
  return impl_->idle();
}

std::vector<VerilatorCard::Frame> VerilatorCard::take_egress() {
  std::lock_guard lock(mu_);
  std::vector<Frame> out;
  out.swap(impl_->done);
  return out;
}

std::vector<VerilatorCard::DecidedFrame> VerilatorCard::take_decisions() {
  std::lock_guard lock(mu_);
  return impl_->take_decisions();
}

size_t VerilatorCard::egress_count() const {
  std::lock_guard lock(mu_);
  return impl_->done.size();
}

VerilatorCard::PortStats VerilatorCard::port_stats(int out_port) const {
  std::lock_guard lock(mu_);
  return impl_->egress.at(size_t(out_port)).stats;
}

void VerilatorCard::clear_stats() {
  std::lock_guard lock(mu_);
  for (auto& e : impl_->egress) e.stats = PortStats{};
  for (auto& in : impl_->ingress) in.stats = PortStats{};
}

void VerilatorCard::set_link_up(uint32_t mask) {
  std::lock_guard lock(mu_);
  impl_->top->link_up_i = mask & ((1u << kOutPorts) - 1);
  impl_->top->eval();
}

void VerilatorCard::set_tx_ready(uint32_t mask) {
  std::lock_guard lock(mu_);
  impl_->top->tx_tready = mask & ((1u << kOutPorts) - 1);
  impl_->top->eval();
}

VerilatorCard::PortStats VerilatorCard::rx_stats(int in_port) const {
  std::lock_guard lock(mu_);
  return impl_->ingress.at(size_t(in_port)).stats;
}

uint64_t VerilatorCard::frames_into_core() const {
  std::lock_guard lock(mu_);
  return impl_->started[size_t(core::CoreStream::kRx0)] + impl_->started[size_t(core::CoreStream::kRx1)];
}

uint64_t VerilatorCard::cycles() const {
  std::lock_guard lock(mu_);
  return impl_->cycle;
}

uint64_t VerilatorCard::clk_hz() { return BROKER_SIM_CLK_HZ; }

bool VerilatorCard::can_trace() { return VM_TRACE != 0; }

void VerilatorCard::reset() {
  std::lock_guard lock(mu_);
  impl_->do_reset();
}

}  // namespace broker::cards
