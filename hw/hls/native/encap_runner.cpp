#include "native/encap_runner.h"

#include <cstring>
#include <stdexcept>

#include "native/frame_result.h"

namespace broker {
namespace core {

void EncapRunner::reset() {
  cfg_ = EncapConfig();
  cfg_.enable = false;
  cfg_.kind = 0;
  cfg_.ipv6 = false;
  cfg_.slice = 0;
  cfg_.csum = 0;
  cfg_.hdr = 0;
  reset_encap_state(st_);
}

void EncapRunner::run(const uint8_t* frame, uint32_t len, uint64_t now_us, std::vector<uint8_t>& wire) {
  hls::stream<QueuedBeat> in;
  hls::stream<WireBeat> out;
  uint32_t at = 0;
  uint32_t beats = 0;
  do {
    const uint32_t n = len - at < uint32_t(kBeatBytes) ? len - at : uint32_t(kBeatBytes);
    QueuedBeat b;
    b.data = 0;
    b.data = from_bytes<512>(frame + at, int(n));
    b.keep = n == 64 ? ~uint64_t(0) : ((uint64_t(1) << n) - 1);
    b.strb = b.keep;
    b.user = len;
    b.last = at + n == len ? 1 : 0;
    in.write(b);
    at += n;
    ++beats;
  } while (at < len);
  wire.clear();
  // One beat in or out per call; a wrapped frame has at most two beats more than it came in.
  bool ended = false;
  for (uint32_t call = 0; call < beats + 4; ++call) {
    encap_task(in, out, cfg_, Time(now_us), st_);
    while (!out.empty()) {
      const WireBeat w = out.read();
      if (ended) throw std::logic_error("encap: a beat after the frame's last");
      const uint64_t keep = w.keep.to_uint64();
      const int bytes = keep == ~uint64_t(0) ? 64 : __builtin_ctzll(~keep);
      const size_t o = wire.size();
      wire.resize(o + size_t(bytes));
      bytes_of(w.data, wire.data() + o, bytes);
      ended = w.last;
    }
    // The beats past a cut are read after the frame's last beat has left.
    if (ended && in.empty() && encap_idle(st_)) return;
  }
  throw std::logic_error("encap: the frame did not leave the kernel");
}

}  // namespace core
}  // namespace broker
