// The only way the driver touches a card: 32-bit register reads and writes at byte offsets
// of the register map. The soft card, the Verilator model and the XRT card all offer it.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace broker::driver {

// An access the card answered with an error (AXI SLVERR/DECERR, or no card at all).
class BusError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RegisterBus {
 public:
  virtual ~RegisterBus() = default;
  virtual uint32_t read32(uint32_t offset) = 0;
  virtual void write32(uint32_t offset, uint32_t value) = 0;
  // For messages and GetCapabilities: "soft", "xrt 0000:3b:00.0", ...
  virtual std::string describe() const = 0;
};

}  // namespace broker::driver
