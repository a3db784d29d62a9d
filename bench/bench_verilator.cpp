// The Verilator model of the RTL top (with the HLS core's tasks, one module each, through
// DPI-C): simulated clock cycles per packet, 64-byte frames and IMIX, frames offered back to
// back on one ingress port with every egress port ready. Baseline: the beats the frames
// occupy on the 512-bit bus (ceil(len/64)), i.e. one beat per clock = line rate.
//
//   bench_verilator [--out TSV] [--frames N]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <string>

#include "bench_common.h"
#include "verilator_card.h"

namespace bb = broker::bench;
using broker::cards::VerilatorCard;

namespace {

struct Result {
  double cycles_per_frame_in = 0;   // ingress: first to last accepted beat, per frame
  double cycles_per_frame_out = 0;  // egress: first to last beat over all ports, per frame
  double beats_per_frame = 0;       // the baseline: bus beats the frames need
  uint64_t frames_out = 0;
  double sim_cycles_per_s = 0;
};

Result measure(const std::vector<bb::BenchFrame>& frames) {
  VerilatorCard card;
  broker::driver::Driver driver(card);
  bb::GroupParams p;
  p.members = 4;
  driver.apply(bb::make_config(p));
  card.run_until_idle();
  card.clear_stats();
  (void)card.take_egress();
  uint64_t beats = 0;
  for (const auto& f : frames) {
    card.send(0, f.data(), f.len);
    beats += (f.len + 63) / 64;
  }
  const uint64_t c0 = card.cycles();
  const auto t0 = std::chrono::steady_clock::now();
  card.run_until_idle(100'000'000);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Result r;
  const auto in = card.rx_stats(0);
  uint64_t first = UINT64_MAX, last = 0;
  for (int port = 0; port < VerilatorCard::kOutPorts; ++port) {
    const auto s = card.port_stats(port);
    if (!s.beats) continue;
    first = std::min(first, s.first_beat_cycle);
    last = std::max(last, s.last_beat_cycle);
    r.frames_out += s.frames;
  }
  const double n = double(frames.size());
  r.cycles_per_frame_in = double(in.last_beat_cycle - in.first_beat_cycle + 1) / n;
  r.cycles_per_frame_out = r.frames_out ? double(last - first + 1) / double(r.frames_out) : 0;
  r.beats_per_frame = double(beats) / n;
  r.sim_cycles_per_s = double(card.cycles() - c0) / wall;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  uint32_t n = 4000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--out") out = argv[i + 1];
    else if (k == "--frames") n = uint32_t(std::atoi(argv[i + 1]));
  }
  FILE* f = out.empty() ? stdout : std::fopen(out.c_str(), "w");
  std::fprintf(f, "mix\tframes\tframes_out\tcycles_per_frame_in\tcycles_per_frame_out\tbeats_per_frame\t"
                  "ratio_to_line_rate\tmpps_at_clk\tsim_cycles_per_s\n");
  const struct { const char* name; std::vector<bb::BenchFrame> frames; } mixes[] = {
      {"udp64", bb::make_udp_frames(n, 1024, 60, 1)},
      {"imix", bb::make_imix_frames(n, 1024, 2)},
  };
  for (const auto& m : mixes) {
    const Result r = measure(m.frames);
    const double cpf = std::max(r.cycles_per_frame_in, r.cycles_per_frame_out);
    std::fprintf(f, "%s\t%zu\t%llu\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%.0f\n", m.name, m.frames.size(),
                 (unsigned long long)r.frames_out, r.cycles_per_frame_in, r.cycles_per_frame_out,
                 r.beats_per_frame, cpf / r.beats_per_frame,
                 double(VerilatorCard::clk_hz()) / cpf / 1e6, r.sim_cycles_per_s);
  }
  if (f != stdout) std::fclose(f);
  return 0;
}
