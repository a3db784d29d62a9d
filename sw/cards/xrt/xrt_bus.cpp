#include "xrt_bus.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <system_error>

// XRT 2.13 (Debian libxrt-dev: /usr/include/xrt) keeps xrt::ip under experimental/; newer
// releases (/opt/xilinx/xrt/include) under xrt/experimental/.
#include <xrt/xrt_device.h>
#if __has_include(<experimental/xrt_ip.h>)
#include <experimental/xrt_ip.h>
#include <experimental/xrt_xclbin.h>
#else
#include <xrt/experimental/xrt_ip.h>
#include <xrt/experimental/xrt_xclbin.h>
#endif

#include "broker_regmap.h"

namespace broker::cards {

namespace fs = std::filesystem;

namespace {

constexpr const char* kListCards = "xbutil examine lists cards";
constexpr uint32_t kXilinxVendor = 0x10ee;

bool is_bdf(const std::string& s) {
  static const std::regex re("^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$");
  return std::regex_match(s, re);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> bdf_entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (is_bdf(name) && name.size() == 12) out.push_back(lower(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}

// The PCI driver bound to a function, or "" if none.
std::string bound_driver(const XrtHostPaths& paths, const std::string& bdf) {
  std::error_code ec;
  auto link = fs::read_symlink(fs::path(paths.sysfs_root) / "bus/pci/devices" / bdf / "driver", ec);
  return ec ? std::string() : link.filename().string();
}

// What the user typed for --device, checked before anything else.
struct DeviceArg {
  bool is_index = false;
  unsigned index = 0;
  std::string bdf;  // full, lower case ("0000:3b:00.1")
};

DeviceArg parse_device(const std::string& arg) {
  DeviceArg d;
  if (!arg.empty() && arg.size() <= 3 &&
      std::all_of(arg.begin(), arg.end(), [](unsigned char c) { return std::isdigit(c); })) {
    d.is_index = true;
    d.index = static_cast<unsigned>(std::stoul(arg));
    return d;
  }
  if (is_bdf(arg)) {
    d.bdf = lower(arg.size() == 7 ? "0000:" + arg : arg);
    return d;
  }
  throw XrtUnavailable(fmt::format(
      "card '{}' is neither a card index (0, 1, ...) nor a PCI address like 0000:3b:00.1: "
      "pass one of those ({})",
      arg, kListCards));
}

// The xclbin must exist and be readable before anything else is worth trying.
void check_xclbin_file(const std::string& path) {
  if (path.empty())
    throw XrtUnavailable("no xclbin given: pass the broker's .xclbin file built for this card");
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw XrtUnavailable(fmt::format(
        "xclbin file '{}' not found: pass the path of the broker's .xclbin built for this card",
        path));
  if (fs::is_directory(st))
    throw XrtUnavailable(
        fmt::format("xclbin '{}' is a directory: pass the broker's .xclbin file itself", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw XrtUnavailable(fmt::format("xclbin file '{}' cannot be read ({}): check its permissions",
                                     path, std::strerror(err)));
  }
}

// Cheap, but only after the card check: a dummy file on a host without a card should be told
// about the card first.
void check_xclbin_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof magic);
  if (!in || std::memcmp(magic, "xclbin2", 8) != 0)
    throw XrtUnavailable(fmt::format(
        "'{}' is not an xclbin file (it does not start with the xclbin2 magic): pass the .xclbin "
        "that v++ built for this card",
        path));
}

std::string cards_found(const AlveoScan& s) {
  if (s.user_bdfs.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < s.user_bdfs.size(); ++i)
    out += fmt::format("{}{} = {}", i ? ", " : "", i, s.user_bdfs[i]);
  return out;
}

// Is there a card XRT could open, and is it the one asked for? Returns its BDF.
std::string check_card(const XrtHostPaths& paths, const DeviceArg& d) {
  const AlveoScan s = scan_alveo(paths);
  if (s.user_bdfs.empty()) {
    if (!s.no_node_bdfs.empty())
      throw XrtUnavailable(fmt::format(
          "Alveo card {} has the xocl driver but its device node {}/dri/renderD* is missing: in a "
          "container pass the node through (docker run --device /dev/dri/renderD<N>), otherwise "
          "reload the driver (sudo modprobe -r xocl && sudo modprobe xocl) ({})",
          join(s.no_node_bdfs), paths.dev_root, kListCards));
    if (!s.mgmt_bdfs.empty() || !s.unbound_bdfs.empty()) {
      std::vector<std::string> seen;
      for (const auto& b : s.mgmt_bdfs) seen.push_back(b + " (xclmgmt)");
      for (const auto& b : s.unbound_bdfs) {
        auto drv = bound_driver(paths, b);
        seen.push_back(b + (drv.empty() ? " (no driver)" : " (driver " + drv + ")"));
      }
      throw XrtUnavailable(fmt::format(
          "Alveo card found ({}) but the xocl driver is not loaded for its user function: install the xrt "
          "package matching the card's shell, load the driver (sudo modprobe xocl) and check "
          "that the card shows up ({})",
          join(seen), kListCards));
    }
    throw XrtUnavailable(
        "no Alveo card found: is the card installed and the xocl/xclmgmt driver loaded? "
        "(xbutil examine lists cards)");
  }
  if (d.is_index) {
    if (d.index >= s.user_bdfs.size())
      throw XrtUnavailable(fmt::format(
          "no Alveo card with index {}: {} card{} found ({}); pass one of those ({})", d.index,
          s.user_bdfs.size(), s.user_bdfs.size() == 1 ? "" : "s", cards_found(s), kListCards));
    return s.user_bdfs[d.index];
  }
  if (std::find(s.user_bdfs.begin(), s.user_bdfs.end(), d.bdf) != s.user_bdfs.end()) return d.bdf;
  if (std::find(s.mgmt_bdfs.begin(), s.mgmt_bdfs.end(), d.bdf) != s.mgmt_bdfs.end())
    throw XrtUnavailable(fmt::format(
        "{} is the management function of an Alveo card (xclmgmt driver); the broker opens the "
        "user function instead: cards found: {} ({})",
        d.bdf, cards_found(s), kListCards));
  if (std::find(s.no_node_bdfs.begin(), s.no_node_bdfs.end(), d.bdf) != s.no_node_bdfs.end())
    throw XrtUnavailable(fmt::format(
        "Alveo card {} has the xocl driver but its device node {}/dri/renderD* is missing: in a "
        "container pass the node through (docker run --device /dev/dri/renderD<N>), otherwise "
        "reload the driver (sudo modprobe -r xocl && sudo modprobe xocl)",
        d.bdf, paths.dev_root));
  throw XrtUnavailable(fmt::format("no Alveo card at {}: cards found: {} ({})", d.bdf,
                                   cards_found(s), kListCards));
}

enum class Stage { kOpenCard, kReadXclbin, kLoadXclbin, kOpenKernel };

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// XRT's message, and the errno of a system_error, when there is one.
std::string xrt_text(const std::exception& e, int& code) {
  code = 0;
  if (auto* se = dynamic_cast<const std::system_error*>(&e)) code = se->code().value();
  return e.what();
}

struct Ctx {
  std::string device;   // as given
  std::string bdf;      // once known
  std::string xclbin;   // path
  std::string kernel;
  std::vector<std::string> kernels_in_xclbin;
};

// Turns a terse XRT failure into what is missing and what to do, XRT's words in parentheses.
XrtUnavailable translate(const std::exception& e, Stage stage, const Ctx& c) {
  int code = 0;
  const std::string orig = xrt_text(e, code);
  const char* env = std::getenv("XILINX_XRT");
  const std::string card = c.bdf.empty() ? c.device : c.bdf;

  // The runtime itself, whatever the stage: XRT loads its core library on first use.
  if (has(orig, "XILINX_XRT not set"))
    return XrtUnavailable(fmt::format(
        "the XRT runtime is not set up: XILINX_XRT is not set; install the xrt package for this "
        "card and run 'source /opt/xilinx/xrt/setup.sh' before starting the broker ({})",
        orig));
  if (has(orig, "No such library") || has(orig, "libxrt_core"))
    return XrtUnavailable(fmt::format(
        "the XRT runtime library is missing (XILINX_XRT={}): install the xrt package for this "
        "card (it provides /opt/xilinx/xrt) and run 'source /opt/xilinx/xrt/setup.sh' ({})",
        env ? env : "", orig));

  switch (stage) {
    case Stage::kOpenCard:
      if (code == EACCES || code == EPERM || has(orig, "ermission denied"))
        return XrtUnavailable(fmt::format(
            "no permission to open Alveo card {}: give this user access to its /dev/dri/renderD* "
            "node (e.g. add it to the render group) ({})",
            card, orig));
      return XrtUnavailable(fmt::format(
          "could not open Alveo card {}: is the card installed and the xocl driver loaded, and "
          "does XRT see it? ({}) ({})",
          card, kListCards, orig));
    case Stage::kReadXclbin:
      return XrtUnavailable(fmt::format(
          "xclbin '{}' could not be read: is it a complete .xclbin built for this card? ({})",
          c.xclbin, orig));
    case Stage::kLoadXclbin:
      if (code == EBUSY || has(orig, "busy"))
        return XrtUnavailable(fmt::format(
            "could not load xclbin '{}' onto card {}: the card is in use by another process "
            "(another broker?); stop it and retry ({})",
            c.xclbin, card, orig));
      if (code == EACCES || code == EPERM || has(orig, "ermission denied"))
        return XrtUnavailable(fmt::format(
            "could not load xclbin '{}' onto card {}: no permission to program the card ({})",
            c.xclbin, card, orig));
      return XrtUnavailable(fmt::format(
          "could not load xclbin '{}' onto card {}: it must be built for the shell (platform) on "
          "that card; 'xbutil examine -d {}' shows the shell ({})",
          c.xclbin, card, card, orig));
    case Stage::kOpenKernel: {
      if (has(orig, "No such compute unit") || has(orig, "No compute units matching") ||
          has(orig, "No such kernel")) {
        std::string have = c.kernels_in_xclbin.empty() ? "none found"
                                                        : join(c.kernels_in_xclbin);
        return XrtUnavailable(fmt::format(
            "kernel instance '{}' is not in xclbin '{}': pass the right name as "
            "'kernel:{{instance}}'; the xclbin has: {} ({})",
            c.kernel, c.xclbin, have, orig));
      }
      if (code == EBUSY || has(orig, "busy") || has(orig, "context"))
        return XrtUnavailable(fmt::format(
            "could not open kernel instance '{}' on card {} for exclusive register access: is "
            "another broker or program using it? ({})",
            c.kernel, card, orig));
      return XrtUnavailable(fmt::format("could not open kernel instance '{}' on card {} ({})",
                                        c.kernel, card, orig));
    }
  }
  return XrtUnavailable(orig);
}

// Kernel instances an xclbin offers, in xrt::ip's "kernel:{instance}" form.
std::vector<std::string> kernel_instances(const xrt::xclbin& xb) {
  std::vector<std::string> out;
  try {
    for (const auto& ip : xb.get_ips()) {
      auto n = ip.get_name();
      auto colon = n.find(':');
      if (colon != std::string::npos && n.find('{') == std::string::npos)
        n = n.substr(0, colon) + ":{" + n.substr(colon + 1) + "}";
      out.push_back(n);
    }
  } catch (...) {
  }
  return out;
}

}  // namespace

AlveoScan scan_alveo(const XrtHostPaths& paths) {
  AlveoScan s;
  const fs::path sys(paths.sysfs_root), dev(paths.dev_root);
  std::error_code ec;
  for (const auto& bdf : bdf_entries(sys / "bus/pci/drivers/xocl")) {
    // XRT's own test: the function's DRM render node must exist in /dev (in a container the
    // host's sysfs is visible but the node may not be).
    bool node = false;
    fs::path drm = sys / "bus/pci/devices" / bdf / "drm";
    if (fs::is_directory(drm, ec))
      for (fs::directory_iterator it(drm, ec), end; !ec && it != end; it.increment(ec)) {
        auto n = it->path().filename().string();
        if (n.rfind("renderD", 0) == 0 && fs::exists(dev / "dri" / n, ec)) node = true;
      }
    (node ? s.user_bdfs : s.no_node_bdfs).push_back(bdf);
  }
  s.mgmt_bdfs = bdf_entries(sys / "bus/pci/drivers/xclmgmt");
  for (const auto& bdf : bdf_entries(sys / "bus/pci/devices")) {
    auto vendor = read_line(sys / "bus/pci/devices" / bdf / "vendor");
    if (vendor.empty() || std::strtoul(vendor.c_str(), nullptr, 16) != kXilinxVendor) continue;
    auto known = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), bdf) != v.end();
    };
    if (!known(s.user_bdfs) && !known(s.no_node_bdfs) && !known(s.mgmt_bdfs))
      s.unbound_bdfs.push_back(bdf);
  }
  return s;
}

struct XrtBus::Impl {
  xrt::device device;
  xrt::ip ip;
  bool ip_open = false;
};

XrtBus::XrtBus(const std::string& device, const std::string& xclbin_path,
               const std::string& kernel, const XrtHostPaths& paths)
    : impl_(std::make_unique<Impl>()),
      paths_(paths),
      device_arg_(device),
      kernel_(kernel.empty() ? kDefaultKernel : kernel) {
  // Cheap checks first, in the order a user fixes things; XRT is not touched until they pass.
  const DeviceArg d = parse_device(device);
  check_xclbin_file(xclbin_path);
  bdf_ = check_card(paths_, d);
  check_xclbin_magic(xclbin_path);

  Ctx ctx{device, bdf_, xclbin_path, kernel_, {}};
  try {
    impl_->device = d.is_index ? xrt::device(d.index) : xrt::device(d.bdf);
  } catch (const std::exception& e) {
    throw translate(e, Stage::kOpenCard, ctx);
  } catch (...) {
    throw XrtUnavailable(fmt::format("could not open Alveo card {} (unknown XRT error)", bdf_));
  }
  try {
    auto b = impl_->device.get_info<xrt::info::device::bdf>();
    if (!b.empty()) bdf_ = lower(b);
  } catch (...) {
    // Keep the address found in sysfs.
  }
  std::lock_guard<std::mutex> lock(mu_);
  load_locked(xclbin_path);
}

XrtBus::~XrtBus() = default;

std::string XrtBus::load_xclbin(const std::string& xclbin_path) {
  check_xclbin_file(xclbin_path);
  check_xclbin_magic(xclbin_path);
  std::lock_guard<std::mutex> lock(mu_);
  return load_locked(xclbin_path);
}

std::string XrtBus::load_locked(const std::string& xclbin_path) {
  impl_->ip_open = false;
  impl_->ip = xrt::ip();
  Ctx ctx{device_arg_, bdf_, xclbin_path, kernel_, {}};

  xrt::xclbin xb;
  try {
    xb = xrt::xclbin(xclbin_path);
  } catch (const std::exception& e) {
    throw translate(e, Stage::kReadXclbin, ctx);
  } catch (...) {
    throw XrtUnavailable(fmt::format("xclbin '{}' could not be read (unknown XRT error)",
                                     xclbin_path));
  }
  xrt::uuid id;
  try {
    id = impl_->device.load_xclbin(xb);
  } catch (const std::exception& e) {
    throw translate(e, Stage::kLoadXclbin, ctx);
  } catch (...) {
    throw XrtUnavailable(fmt::format("could not load xclbin '{}' onto card {} (unknown XRT error)",
                                     xclbin_path, bdf_));
  }
  try {
    impl_->ip = xrt::ip(impl_->device, id, kernel_);
  } catch (const std::exception& e) {
    ctx.kernels_in_xclbin = kernel_instances(xb);
    throw translate(e, Stage::kOpenKernel, ctx);
  } catch (...) {
    throw XrtUnavailable(fmt::format("could not open kernel instance '{}' (unknown XRT error)",
                                     kernel_));
  }
  impl_->ip_open = true;
  clock_hz_.reset();
  try {
    // The data clock (ap_clk of the RTL kernel), as the xclbin records it.
    if (const auto* t = xb.get_axlf_section<const clock_freq_topology*>(CLOCK_FREQ_TOPOLOGY))
      for (int16_t i = 0; i < t->m_count; ++i)
        if (t->m_clock_freq[i].m_type == CT_DATA && t->m_clock_freq[i].m_freq_Mhz > 0)
          clock_hz_ = uint32_t(t->m_clock_freq[i].m_freq_Mhz) * 1000000u;
  } catch (const std::exception&) {
    // no clock section: the bitstream's built-for clock stays in force
  }
  xclbin_name_ = fs::path(xclbin_path).filename().string();
  uuid_ = id.to_string();
  return uuid_;
}

std::optional<uint32_t> XrtBus::kernel_clock_hz() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_hz_;
}

namespace {
void check_offset(uint32_t offset, const std::string& where) {
  if (offset % 4 != 0 || offset >= regmap::kAperture)
    throw driver::BusError(fmt::format(
        "{}: register offset 0x{:x} is {} (the kernel's register aperture is 0x{:x} bytes)", where,
        offset, offset % 4 ? "not 32-bit aligned" : "outside the register map",
        regmap::kAperture));
}
}  // namespace

uint32_t XrtBus::read32(uint32_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string where = "xrt " + bdf_;
  check_offset(offset, where);
  if (!impl_->ip_open)
    throw driver::BusError(where + ": no kernel open (the last xclbin load failed)");
  try {
    return impl_->ip.read_register(offset);
  } catch (const std::exception& e) {
    throw driver::BusError(
        fmt::format("{}: register read at 0x{:x} of '{}' failed ({})", where, offset, kernel_,
                    e.what()));
  }
}

void XrtBus::write32(uint32_t offset, uint32_t value) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string where = "xrt " + bdf_;
  check_offset(offset, where);
  if (!impl_->ip_open)
    throw driver::BusError(where + ": no kernel open (the last xclbin load failed)");
  try {
    impl_->ip.write_register(offset, value);
  } catch (const std::exception& e) {
    throw driver::BusError(fmt::format("{}: register write of 0x{:08x} at 0x{:x} of '{}' failed ({})",
                                       where, value, offset, kernel_, e.what()));
  }
}

std::string XrtBus::describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fmt::format("xrt {} {}", bdf_, xclbin_name_);
}

}  // namespace broker::cards
