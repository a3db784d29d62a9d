// The encap kernel (encap.h) run natively on whole frames: what the soft card's shell does for
// a tool port that originates a tunnel, and the reference of the co-simulation's wire bytes.
#pragma once
#include <stdint.h>

#include <vector>

#include "encap.h"

namespace broker {
namespace core {

class EncapRunner {
 public:
  EncapRunner() { reset(); }
  void reset();
  // The committed ENC_* registers (what a write to ENC_CTRL makes current).
  void set_config(const EncapConfig& cfg) { cfg_ = cfg; }
  const EncapConfig& config() const { return cfg_; }
  bool wraps() const { return cfg_.enable; }
  // One frame of len bytes as the port's wire gets it, through encap_task beat by beat.
  void run(const uint8_t* frame, uint32_t len, uint64_t now_us, std::vector<uint8_t>& wire);

 private:
  EncapConfig cfg_;
  EncapState st_;
};

}  // namespace core
}  // namespace broker
