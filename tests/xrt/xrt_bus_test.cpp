// The XRT card without a card: every way of not having one (no xclbin, no card, no driver, no
// runtime, a bad address) must end in an XrtUnavailable that names what is missing, quickly,
// without a crash or a hang. Suites start with "xrt_" so that `ctest -R xrt` selects them.
//
// Two kinds of host:
//  - this one (xrt_bus_*): the real /sys and /dev. On a host that has a card these tests skip.
//  - a fake one (xrt_fake_host_*): a made-up sysfs/devfs tree in a temporary directory, so the
//    card/driver diagnoses and the translation of XRT's own errors are exercised everywhere.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "xrt_bus.h"

namespace fs = std::filesystem;
using broker::cards::AlveoScan;
using broker::cards::XrtBus;
using broker::cards::XrtHostPaths;
using broker::cards::XrtUnavailable;

namespace {

// A real card (or its driver) on this host: the "no card" tests do not apply.
bool real_card_present() {
  std::error_code ec;
  if (fs::exists("/dev/xfa", ec) || fs::exists("/dev/xfpga", ec)) return true;
  for (const char* drv : {"/sys/bus/pci/drivers/xocl", "/sys/bus/pci/drivers/xclmgmt"})
    if (fs::exists(drv, ec)) return true;
  const AlveoScan s = broker::cards::scan_alveo();
  return !s.user_bdfs.empty() || !s.no_node_bdfs.empty() || !s.mgmt_bdfs.empty() ||
         !s.unbound_bdfs.empty();
}

#define SKIP_IF_CARD()                                                                    \
  if (real_card_present())                                                                \
  GTEST_SKIP() << "an Alveo card or its driver is present on this host: the no-card tests " \
                  "do not apply"

// Sets (or unsets, for nullptr) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old, had_ = true;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_) setenv(name_.c_str(), old_.c_str(), 1); else unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() /
           ("xrt_bus_test_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

// A file that passes the cheap checks (it starts with the xclbin magic) but is no xclbin.
fs::path dummy_xclbin(const fs::path& dir) {
  return write_file(dir / "dummy.xclbin", std::string("xclbin2\0", 8) + std::string(64, '\0'));
}

// Runs f, which must throw XrtUnavailable quickly; returns its message.
std::string unavailable(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  std::string msg;
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const XrtUnavailable& e) {
    msg = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
  const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, 10.0) << "took " << s << " s: " << msg;
  std::cout << "  message: " << msg << "\n";
  return msg;
}

const std::string kNoCard =
    "no Alveo card found: is the card installed and the xocl/xclmgmt driver loaded? "
    "(xbutil examine lists cards)";

// ---------------------------------------------------------------------------------- this host

TEST(xrt_bus, MissingXclbinNamesTheXclbin) {
  SKIP_IF_CARD();
  auto msg = unavailable([] { XrtBus bus("0", "/nonexistent/broker.xclbin"); });
  EXPECT_NE(msg.find("xclbin file '/nonexistent/broker.xclbin' not found"), std::string::npos);
}

TEST(xrt_bus, EmptyXclbinPathNamesTheXclbin) {
  auto msg = unavailable([] { XrtBus bus("0", ""); });
  EXPECT_NE(msg.find("no xclbin given"), std::string::npos);
}

TEST(xrt_bus, XclbinThatIsADirectory) {
  auto dir = temp_dir("dirxclbin");
  auto msg = unavailable([&] { XrtBus bus("0", dir.string()); });
  EXPECT_NE(msg.find("is a directory"), std::string::npos);
  fs::remove_all(dir);
}

TEST(xrt_bus, UnreadableXclbin) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  auto dir = temp_dir("unreadable");
  auto f = dummy_xclbin(dir);
  fs::permissions(f, fs::perms::none);
  auto msg = unavailable([&] { XrtBus bus("0", f.string()); });
  EXPECT_NE(msg.find("cannot be read"), std::string::npos);
  fs::remove_all(dir);
}

TEST(xrt_bus, ExistingDummyXclbinWithoutCardNamesTheCard) {
  SKIP_IF_CARD();
  auto dir = temp_dir("dummy");
  auto f = write_file(dir / "broker.xclbin", "not an xclbin");
  EXPECT_EQ(unavailable([&] { XrtBus bus("0", f.string()); }), kNoCard);
  fs::remove_all(dir);
}

TEST(xrt_bus, DeviceIndexWithoutCardNamesTheCard) {
  SKIP_IF_CARD();
  auto dir = temp_dir("index");
  auto f = dummy_xclbin(dir);
  // With or without the runtime set up, the answer is the same: XRT is never reached.
  {
    ScopedEnv env("XILINX_XRT", nullptr);
    EXPECT_EQ(unavailable([&] { XrtBus bus("0", f.string()); }), kNoCard);
  }
  {
    ScopedEnv env("XILINX_XRT", "/opt/xilinx/xrt");
    EXPECT_EQ(unavailable([&] { XrtBus bus("0", f.string(), "other:{other_1}"); }), kNoCard);
  }
  fs::remove_all(dir);
}

TEST(xrt_bus, BogusBdfWithoutCardNamesTheCard) {
  SKIP_IF_CARD();
  auto dir = temp_dir("bdf");
  auto f = dummy_xclbin(dir);
  EXPECT_EQ(unavailable([&] { XrtBus bus("0000:ff:1f.7", f.string()); }), kNoCard);
  EXPECT_EQ(unavailable([&] { XrtBus bus("3b:00.1", f.string()); }), kNoCard);
  fs::remove_all(dir);
}

TEST(xrt_bus, MalformedDeviceSaysWhatToPass) {
  auto dir = temp_dir("malformed");
  auto f = dummy_xclbin(dir);
  for (const char* bad : {"", "card0", "0000:3b:00", "0000:zz:00.0", "-1", "12345"}) {
    auto msg = unavailable([&] { XrtBus bus(bad, f.string()); });
    EXPECT_NE(msg.find("neither a card index"), std::string::npos) << bad;
    EXPECT_NE(msg.find("PCI address like 0000:3b:00.1"), std::string::npos) << bad;
  }
  fs::remove_all(dir);
}

TEST(xrt_bus, EmptyKernelNameMeansTheDefault) {
  // Not a complaint about the kernel: the next thing missing is the xclbin.
  auto msg = unavailable([] { XrtBus bus("0", "/nonexistent.xclbin", ""); });
  EXPECT_NE(msg.find("xclbin file '/nonexistent.xclbin' not found"), std::string::npos);
}

TEST(xrt_bus, ScanOfThisHostFindsNoCard) {
  SKIP_IF_CARD();
  const AlveoScan s = broker::cards::scan_alveo();
  EXPECT_TRUE(s.user_bdfs.empty());
  EXPECT_TRUE(s.mgmt_bdfs.empty());
}

// ---------------------------------------------------------------------------------- fake host

// A made-up /sys and /dev: a card's user function 0000:3b:00.1 and management function
// 0000:3b:00.0, bound as asked.
class xrt_fake_host : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_dir("fake");
    paths_.sysfs_root = (root_ / "sys").string();
    paths_.dev_root = (root_ / "dev").string();
    fs::create_directories(root_ / "sys/bus/pci/devices");
    fs::create_directories(root_ / "dev");
    xclbin_ = dummy_xclbin(root_).string();
  }
  void TearDown() override { fs::remove_all(root_); }

  void add_function(const std::string& bdf, const char* driver, bool render_node) {
    auto dev = root_ / "sys/devices/pci0000:3a/0000:3a:00.0" / bdf;
    fs::create_directories(dev);
    write_file(dev / "vendor", "0x10ee\n");
    fs::create_directory_symlink(dev, root_ / "sys/bus/pci/devices" / bdf);
    if (driver) {
      auto drv = root_ / "sys/bus/pci/drivers" / driver;
      fs::create_directories(drv);
      fs::create_directory_symlink(dev, drv / bdf);
      fs::create_directory_symlink(drv, dev / "driver");
    }
    if (render_node) {
      fs::create_directories(dev / "drm/renderD128");
      write_file(root_ / "dev/dri/renderD128", "");
    } else if (driver && std::string(driver) == "xocl") {
      fs::create_directories(dev / "drm/renderD128");  // sysfs says so, /dev lacks it
    }
  }

  fs::path root_;
  XrtHostPaths paths_;
  std::string xclbin_;
};

TEST_F(xrt_fake_host, NoXilinxFunctionIsNoCard) {
  EXPECT_EQ(unavailable([&] { XrtBus bus("0", xclbin_, XrtBus::kDefaultKernel, paths_); }),
            kNoCard);
}

TEST_F(xrt_fake_host, CardWithoutDriverNamesTheDriver) {
  add_function("0000:3b:00.0", nullptr, false);
  add_function("0000:3b:00.1", nullptr, false);
  auto msg = unavailable([&] { XrtBus bus("0", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("Alveo card found (0000:3b:00.0 (no driver), 0000:3b:00.1 (no driver))"),
            std::string::npos);
  EXPECT_NE(msg.find("xocl driver is not loaded for its user function"), std::string::npos);
  EXPECT_NE(msg.find("modprobe xocl"), std::string::npos);
}

TEST_F(xrt_fake_host, OnlyManagementDriverNamesTheUserDriver) {
  add_function("0000:3b:00.0", "xclmgmt", false);
  add_function("0000:3b:00.1", nullptr, false);
  auto msg = unavailable([&] { XrtBus bus("0", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("0000:3b:00.0 (xclmgmt)"), std::string::npos);
  EXPECT_NE(msg.find("xocl driver is not loaded for its user function"), std::string::npos);
}

TEST_F(xrt_fake_host, MissingRenderNodeNamesTheNode) {
  add_function("0000:3b:00.1", "xocl", false);
  auto msg = unavailable([&] { XrtBus bus("0", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("0000:3b:00.1 has the xocl driver but its device node"), std::string::npos);
  EXPECT_NE(msg.find("/dri/renderD* is missing"), std::string::npos);
}

TEST_F(xrt_fake_host, ManagementFunctionAddressPointsToTheUserFunction) {
  add_function("0000:3b:00.0", "xclmgmt", false);
  add_function("0000:3b:00.1", "xocl", true);
  auto msg = unavailable(
      [&] { XrtBus bus("0000:3b:00.0", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("0000:3b:00.0 is the management function"), std::string::npos);
  EXPECT_NE(msg.find("0 = 0000:3b:00.1"), std::string::npos);
}

TEST_F(xrt_fake_host, UnknownAddressAndIndexListTheCards) {
  add_function("0000:3b:00.1", "xocl", true);
  auto msg = unavailable(
      [&] { XrtBus bus("0000:af:00.1", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("no Alveo card at 0000:af:00.1: cards found: 0 = 0000:3b:00.1"),
            std::string::npos);
  msg = unavailable([&] { XrtBus bus("3", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("no Alveo card with index 3: 1 card found (0 = 0000:3b:00.1)"),
            std::string::npos);
}

TEST_F(xrt_fake_host, NotAnXclbinIsCheckedBeforeXrt) {
  add_function("0000:3b:00.1", "xocl", true);
  auto f = write_file(root_ / "junk.xclbin", "junk");
  auto msg = unavailable([&] { XrtBus bus("0", f.string(), XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("is not an xclbin file"), std::string::npos);
}

// From here on the card "exists", so XRT itself is reached and fails; its terse words must come
// back translated, with the original in parentheses. XRT loads its core library once per
// process, so the runtime-not-found cases come first (ctest runs each case on its own anyway).

TEST_F(xrt_fake_host, XrtRuntimeNotSetUp) {
  add_function("0000:3b:00.1", "xocl", true);
  ScopedEnv env("XILINX_XRT", nullptr);
  auto msg = unavailable([&] { XrtBus bus("0", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("the XRT runtime is not set up"), std::string::npos);
  EXPECT_NE(msg.find("source /opt/xilinx/xrt/setup.sh"), std::string::npos);
  EXPECT_NE(msg.find("(XILINX_XRT not set)"), std::string::npos);
}

TEST_F(xrt_fake_host, XrtCoreLibraryMissing) {
  add_function("0000:3b:00.1", "xocl", true);
  auto xrt = root_ / "xrt";
  fs::create_directories(xrt / "lib");
  ScopedEnv env("XILINX_XRT", xrt.c_str());
  auto msg = unavailable(
      [&] { XrtBus bus("0000:3b:00.1", xclbin_, XrtBus::kDefaultKernel, paths_); });
  EXPECT_NE(msg.find("the XRT runtime library is missing"), std::string::npos);
  EXPECT_NE(msg.find("install the xrt package"), std::string::npos);
  EXPECT_NE(msg.find("(No such library"), std::string::npos);
}

// The real XRT core library, but the real host has no card: XRT cannot open it.
TEST_F(xrt_fake_host, XrtCannotOpenTheCard) {
  if (real_card_present()) GTEST_SKIP() << "a real card is present";
  const fs::path core = "/usr/lib/x86_64-linux-gnu/libxrt_core.so.2";
  if (!fs::exists(core)) GTEST_SKIP() << core << " not installed";
  add_function("0000:3b:00.1", "xocl", true);
  auto xrt = root_ / "xrt";
  fs::create_directories(xrt / "lib");
  fs::create_symlink(core, xrt / "lib/libxrt_core.so.2");
  ScopedEnv env("XILINX_XRT", xrt.c_str());
  for (const char* device : {"0", "0000:3b:00.1"}) {
    auto msg =
        unavailable([&] { XrtBus bus(device, xclbin_, XrtBus::kDefaultKernel, paths_); });
    EXPECT_NE(msg.find("could not open Alveo card 0000:3b:00.1: is the card installed and the "
                       "xocl driver loaded"),
              std::string::npos);
    EXPECT_TRUE(msg.find("(Could not open device") != std::string::npos ||
                msg.find("(No such device") != std::string::npos ||
                msg.find("(No devices found") != std::string::npos)
        << msg;
  }
}

}  // namespace
