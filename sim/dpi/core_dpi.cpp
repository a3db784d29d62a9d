// C++ side of the DPI-C stand-in for the HLS kernel (sim/dpi/broker_core_top.sv): each module
// instance owns one heap-allocated KernelState and the kernel's streams, and every rising edge
// runs the ONE data path implementation, broker_core_step from hw/hls, once. See the .sv file
// for the cycle timing.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker_core.h"
#include "svdpi.h"

// The prototypes Verilator generated for the imports, so a port list that drifts from this
// file is a compile error rather than a crash (CMake names the header for the model's prefix).
#ifdef BROKER_SIM_DPI_HEADER
#include BROKER_SIM_DPI_HEADER
#endif

namespace {

using broker::core::AxisBeat;
using broker::core::CsrWord;
using broker::core::CsrWrite;
using broker::core::kBeatBytes;
using broker::core::kOutPorts;

// Depth of each input FIFO in front of the kernel. READY is registered, so it says "one more
// word fits" for the next cycle; with the kernel taking one word per clock, two places let
// the input run at one word per clock indefinitely.
constexpr size_t kInFifo = 2;

std::atomic<int> g_instances{0};

template <typename T>
void drain(hls::stream<T>& s) {
  while (!s.empty()) (void)s.read();
}

struct CoreInstance {
  explicit CoreInstance(std::string s) : scope(std::move(s)), st(new broker::core::KernelState) {
    reset();
  }

  void reset() {
    broker::core::reset_kernel_state(*st);
    drain(rx);
    drain(tx);
    drain(csr);
    drain(req);
    drain(rsp);
    tx_slot.reset();
    rsp_slot.reset();
  }

  // Moves the next output word into the presented slot when the slot is free.
  void refill() {
    if (!tx_slot && !tx.empty()) tx_slot = tx.read();
    if (!rsp_slot && !rsp.empty()) rsp_slot = uint32_t(uint64_t(rsp.read()));
  }

  std::string scope;
  std::unique_ptr<broker::core::KernelState> st;
  hls::stream<AxisBeat> rx, tx;
  hls::stream<CsrWrite> csr;
  hls::stream<CsrWord> req, rsp;
  std::optional<AxisBeat> tx_slot;   // presented on tx_T* while set
  std::optional<uint32_t> rsp_slot;  // presented on ctr_rsp_T* while set
};

AxisBeat unpack_beat(const svBitVecVal* data, const svBitVecVal* keep, const svBitVecVal* strb,
                     svBit last, const svBitVecVal* id, const svBitVecVal* dest) {
  AxisBeat b;
  for (int i = 0; i < kBeatBytes; ++i) {
    const uint8_t byte = uint8_t(data[i / 4] >> (8 * (i % 4)));
#if BROKER_WITH_AMD_HLS
    b.data.range(8 * i + 7, 8 * i) = byte;
#else
    b.data.set_byte(i, byte);
#endif
  }
  b.keep = uint64_t(keep[0]) | uint64_t(keep[1]) << 32;
  b.strb = uint64_t(strb[0]) | uint64_t(strb[1]) << 32;
  b.last = last ? 1 : 0;
  b.id = id[0] & 0xFF;
  b.dest = dest[0] & 0xFF;
  return b;
}

void pack_beat(const AxisBeat& b, svBitVecVal* data, svBitVecVal* keep, svBitVecVal* strb,
               svBit* last, svBitVecVal* id, svBitVecVal* dest) {
  for (int w = 0; w < kBeatBytes / 4; ++w) data[w] = 0;
  for (int i = 0; i < kBeatBytes; ++i) {
#if BROKER_WITH_AMD_HLS
    const uint8_t byte = uint8_t(b.data.range(8 * i + 7, 8 * i));
#else
    const uint8_t byte = b.data.byte(i);
#endif
    data[i / 4] |= svBitVecVal(byte) << (8 * (i % 4));
  }
  const uint64_t k = uint64_t(b.keep), s = uint64_t(b.strb);
  keep[0] = uint32_t(k);
  keep[1] = uint32_t(k >> 32);
  strb[0] = uint32_t(s);
  strb[1] = uint32_t(s >> 32);
  *last = uint64_t(b.last) ? 1 : 0;
  id[0] = uint32_t(uint64_t(b.id));
  dest[0] = uint32_t(uint64_t(b.dest));
}

}  // namespace

extern "C" {

void* broker_core_dpi_new(const char* scope) {
  ++g_instances;
  return new CoreInstance(scope ? scope : "");
}

void broker_core_dpi_free(void* h) {
  if (!h) return;
  delete static_cast<CoreInstance*>(h);
  --g_instances;
}

// Live kernel stand-ins: lets a card check that its model really contains this module (and
// not a black box), and pulls this file into every link that uses the model.
int broker_sim_dpi_instances() { return g_instances.load(); }

void broker_core_dpi_clock(void* h, svBit rst_n, svBit rx_fire, const svBitVecVal* rx_data,
                           const svBitVecVal* rx_keep, const svBitVecVal* rx_strb, svBit rx_last,
                           const svBitVecVal* rx_id, const svBitVecVal* rx_dest, svBit tx_fire,
                           svBit csr_fire, const svBitVecVal* csr_data, svBit req_fire,
                           const svBitVecVal* req_data, svBit rsp_fire, const svBitVecVal* now,
                           const svBitVecVal* util, svBit* o_rx_ready, svBit* o_tx_valid,
                           svBitVecVal* o_tx_data, svBitVecVal* o_tx_keep, svBitVecVal* o_tx_strb,
                           svBit* o_tx_last, svBitVecVal* o_tx_id, svBitVecVal* o_tx_dest,
                           svBit* o_csr_ready, svBit* o_req_ready, svBit* o_rsp_valid,
                           svBitVecVal* o_rsp_data) {
  auto& c = *static_cast<CoreInstance*>(h);

  if (!rst_n) {
    c.reset();
  } else {
    // 1. The handshakes of the cycle that ends at this edge.
    if (tx_fire) c.tx_slot.reset();
    if (rsp_fire) c.rsp_slot.reset();
    if (rx_fire) c.rx.write(unpack_beat(rx_data, rx_keep, rx_strb, rx_last, rx_id, rx_dest));
    if (csr_fire) c.csr.write(CsrWrite(uint64_t(csr_data[0]) | uint64_t(csr_data[1]) << 32));
    if (req_fire) c.req.write(CsrWord(req_data[0]));
    c.refill();

    // 2. One kernel step, unless an output it may write is still backed up behind the
    // presented word (the pipelined kernel stalls on a full output stream).
    if (c.tx.empty() && c.rsp.empty()) {
      uint16_t util_bp[kOutPorts];
      for (int p = 0; p < kOutPorts; ++p) util_bp[p] = uint16_t(util[p / 2] >> (16 * (p % 2)));
      broker::core::broker_core_step(c.rx, c.tx, c.csr, c.req, c.rsp, uint32_t(now[0]), util_bp,
                                     *c.st);
      c.refill();
    }
  }

  // 3. The outputs of the next cycle.
  *o_rx_ready = rst_n && c.rx.size() < kInFifo;
  *o_csr_ready = rst_n && c.csr.size() < kInFifo;
  *o_req_ready = rst_n && c.req.size() < kInFifo;
  *o_tx_valid = c.tx_slot.has_value();
  if (c.tx_slot) {
    pack_beat(*c.tx_slot, o_tx_data, o_tx_keep, o_tx_strb, o_tx_last, o_tx_id, o_tx_dest);
  } else {
    // Idle bus: zeros, so waveforms and X-free checks stay quiet.
    for (int w = 0; w < kBeatBytes / 4; ++w) o_tx_data[w] = 0;
    o_tx_keep[0] = o_tx_keep[1] = o_tx_strb[0] = o_tx_strb[1] = 0;
    *o_tx_last = 0;
    o_tx_id[0] = o_tx_dest[0] = 0;
  }
  *o_rsp_valid = c.rsp_slot.has_value();
  o_rsp_data[0] = c.rsp_slot.value_or(0);
}

}  // extern "C"
