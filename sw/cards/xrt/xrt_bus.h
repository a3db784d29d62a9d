// The Alveo card: the register map of the broker kernel, reached through XRT's `xrt::ip`
// register access (`--card xrt`). XRT's own errors are terse ("No devices found", "XILINX_XRT
// not set"); everything here is turned into an XrtUnavailable that says what is missing (card,
// driver, runtime, xclbin, kernel) and what to do, with XRT's text kept in parentheses.
//
// No XRT header leaks out of this file: consumers only need broker_xrt_card.
#pragma once
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "register_bus.h"

namespace broker::cards {

// The card cannot be used: no card, no driver, no XRT runtime, a bad xclbin, no such kernel.
class XrtUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where to look for cards. Only tests change these (to stand in a fake sysfs/devfs tree).
struct XrtHostPaths {
  std::string sysfs_root = "/sys";
  std::string dev_root = "/dev";
};

// What the host shows of Alveo cards, read from sysfs and /dev without touching XRT. XRT lists
// a card (as xbutil does) when the xocl driver is bound to its user function
// (/sys/bus/pci/drivers/xocl/<BDF>) and the function's node /dev/dri/renderD<N> exists.
struct AlveoScan {
  std::vector<std::string> user_bdfs;       // xocl-bound user functions with their node present
  std::vector<std::string> no_node_bdfs;    // xocl-bound, but /dev/dri/renderD<N> absent
  std::vector<std::string> mgmt_bdfs;       // bound to xclmgmt (the management function)
  std::vector<std::string> unbound_bdfs;    // Xilinx/AMD (vendor 0x10ee) functions, no XRT driver
};
AlveoScan scan_alveo(const XrtHostPaths& paths = {});

class XrtBus final : public driver::RegisterBus {
 public:
  static constexpr const char* kDefaultKernel = "broker_kernel:{broker_kernel_1}";

  // device: a PCI address of the card's user function ("0000:3b:00.1") or an index ("0") as
  // xbutil examine lists them. Opens the card, loads the xclbin and opens the kernel instance
  // (exclusive access); an empty kernel name means kDefaultKernel. Throws XrtUnavailable, checking the cheap things (arguments, xclbin
  // file, card and driver in sysfs) before XRT is touched at all.
  XrtBus(const std::string& device, const std::string& xclbin_path,
         const std::string& kernel = kDefaultKernel, const XrtHostPaths& paths = {});
  ~XrtBus() override;
  XrtBus(const XrtBus&) = delete;
  XrtBus& operator=(const XrtBus&) = delete;

  // Loads another xclbin and reopens the kernel instance in it; returns the xclbin's uuid
  // ("a1b2c3d4-..."). Throws XrtUnavailable; on failure the bus is unusable until a load
  // succeeds (accesses throw BusError).
  std::string load_xclbin(const std::string& xclbin_path);

  // RegisterBus. An unaligned offset, one outside the kernel's register aperture, or a failed
  // access throws BusError.
  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  // "xrt 0000:3b:00.1 broker.xclbin"
  std::string describe() const override;
  // The xclbin's data clock (CLOCK_FREQ_TOPOLOGY, the clock v++ gave the kernel, lowered when
  // timing failed; whole MHz), or nullopt when the xclbin does not say.
  std::optional<uint32_t> kernel_clock_hz() const override;

  const std::string& bdf() const { return bdf_; }
  const std::string& kernel() const { return kernel_; }
  const std::string& uuid() const { return uuid_; }

 private:
  struct Impl;
  std::string load_locked(const std::string& xclbin_path);

  mutable std::mutex mu_;
  std::unique_ptr<Impl> impl_;
  XrtHostPaths paths_;
  std::string device_arg_, bdf_, kernel_, xclbin_name_, uuid_;
  std::optional<uint32_t> clock_hz_;
};

}  // namespace broker::cards
