// Opening the card brokerd drives: the soft card (default), an Alveo card through XRT, or
// the Verilator model of the RTL top.
#pragma once
#include <stdexcept>
#include <string>

#include "broker_service.h"

namespace broker::daemon {

struct CardOptions {
  std::string kind = "soft";
  std::string device = "0";   // xrt: BDF or index
  std::string xclbin;         // xrt: the bitstream container to load
  std::string kernel;         // xrt: compute unit name; empty for the default
};

// Throws std::runtime_error with a message for people when the card cannot be opened
// (no card, no driver, no xclbin, unknown kind).
CardHandle open_card(const CardOptions& options);

}  // namespace broker::daemon
