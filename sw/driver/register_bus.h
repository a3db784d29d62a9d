// The only way the driver touches a card: 32-bit register reads and writes at byte offsets
// of the register map. The soft card, the Verilator model and the XRT card all offer it.
#pragma once
#include <cstdint>
#include <optional>
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
  // The clock the card really runs the data path at, in Hz, when the card knows it (the
  // xclbin's kernel clock, the simulated clock); nullopt when time does not come from a clock
  // (the soft card's time is the packets' timestamps). The driver writes it to KERNEL_CLK_HZ.
  virtual std::optional<uint32_t> kernel_clock_hz() const { return std::nullopt; }
};

}  // namespace broker::driver
