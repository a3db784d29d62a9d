// C++ side of the co-simulation module broker_encap (sim/rtl/broker_encap.sv): per instance the
// kernel's state (heap) and its ports, and per rising edge (1) the handshakes of the ending
// clock, (2) one call of broker::core::encap_task (hw/hls/encap.cpp, the code Vitis synthesizes,
// linked from broker_core) unless the output register holds a word the sink has not taken,
// (3) the next clock's outputs. The same cycle convention as the core's generated task glue
// (core_tasks_dpi.cpp, sim/dpi/task_ports.h), with latency 1.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "encap.h"
#include "encap_dpi.h"
#include "svdpi.h"

// The prototypes Verilator generated for the imports, so a port list that drifts from this
// file is a compile error rather than a crash (CMake names the header for the model's prefix).
#ifdef BROKER_SIM_DPI_HEADER
#include BROKER_SIM_DPI_HEADER
#endif

using namespace broker::core;

namespace {

std::atomic<int> g_encaps{0};

template <int W>
ap_uint<W> from_words(const svBitVecVal* v) {
  ap_uint<W> x = 0;
  for (int w = 0; w < (W + 31) / 32; ++w) {
    const int hi = 32 * w + 31 < W - 1 ? 32 * w + 31 : W - 1;
    x.range(hi, 32 * w) = uint32_t(v[w]);
  }
  return x;
}

template <int W>
void to_words(const ap_uint<W>& x, svBitVecVal* v) {
  for (int w = 0; w < (W + 31) / 32; ++w) {
    const int hi = 32 * w + 31 < W - 1 ? 32 * w + 31 : W - 1;
    v[w] = svBitVecVal(uint32_t(x.range(hi, 32 * w).to_uint64()));
  }
}

struct Encap {
  explicit Encap(const char* s) : scope(s ? s : "") {
    reset();
    ++g_encaps;
  }
  ~Encap() { --g_encaps; }
  void reset() {
    reset_encap_state(st);
    while (!in.empty()) (void)in.read();
    while (!produced.empty()) (void)produced.read();
    out.reset();
  }
  [[noreturn]] void fail(const char* what) const {
    std::fprintf(stderr, "co-simulation: broker_encap (%s): %s\n", scope.c_str(), what);
    std::abort();
  }

  std::string scope;
  EncapState st;
  hls::stream<QueuedBeat> in;       // the accepted input word the function has not read yet
  hls::stream<WireBeat> produced;   // what the function writes in a call
  std::optional<WireBeat> out;      // the output register
};

}  // namespace

extern "C" {

void* broker_encap_new(const char* scope) { return new Encap(scope); }
void broker_encap_free(void* h) { delete static_cast<Encap*>(h); }

void broker_encap_clock(void* h, svBit rst_n, svBit in_fire, const svBitVecVal* in_data,
                        const svBitVecVal* in_keep, const svBitVecVal* in_user, svBit in_last,
                        svBit* in_held, svBit out_ready, svBit* out_valid, svBitVecVal* out_data,
                        svBitVecVal* out_keep, svBitVecVal* out_strb, svBit* out_last,
                        const svBitVecVal* ctrl, const svBitVecVal* slice, const svBitVecVal* csum,
                        const svBitVecVal* hdr, const svBitVecVal* now, svBit* is_idle) {
  Encap& e = *static_cast<Encap*>(h);
  if (!rst_n) {
    e.reset();
  } else {
    // 1. the handshakes of the ending clock
    if (e.out && out_ready) e.out.reset();
    if (in_fire) {
      if (!e.in.empty()) e.fail("an input word was taken while one was waiting (in_TREADY)");
      QueuedBeat b;
      b.data = from_words<512>(in_data);
      b.keep = from_words<64>(in_keep);
      b.strb = b.keep;
      b.user = from_words<17>(in_user);
      b.last = in_last;
      e.in.write(b);
    }
    // 2. one call, unless the output register is blocked
    if (!e.out) {
      ap_uint<32> words[kEncapHdrBytes / 4];
      for (int k = 0; k < kEncapHdrBytes / 4; ++k) words[k] = uint32_t(hdr[k]);
      const EncapConfig cfg = encap_config_of(uint32_t(ctrl[0]), uint32_t(slice[0]), uint32_t(csum[0]), words);
      encap_task(e.in, e.produced, cfg, Time(from_words<64>(now)), e.st);
      if (!e.produced.empty()) {
        e.out = e.produced.read();
        if (!e.produced.empty()) e.fail("wrote more than one beat in one call");
      }
    }
  }
  // 3. the next clock's outputs
  *in_held = !e.in.empty();
  *out_valid = e.out.has_value();
  const WireBeat o = e.out ? *e.out : WireBeat();
  to_words<512>(e.out ? o.data : ap_uint<512>(0), out_data);
  to_words<64>(e.out ? o.keep : ap_uint<64>(0), out_keep);
  to_words<64>(e.out ? o.strb : ap_uint<64>(0), out_strb);
  *out_last = e.out && o.last;
  *is_idle = encap_idle(e.st);
}

// Live broker_encap instances in this process: lets a card check that its model has the
// co-simulated kernel (and not the black box, which never sends).
int broker_sim_encap_instances() { return g_encaps.load(); }

}  // extern "C"
