// broker-xrt-probe: opens an Alveo card through XRT, loads the broker xclbin and prints the
// register map's ID block, so an installation can be checked without starting the broker.
// Exit codes: 0 the card runs a broker kernel this build understands; 1 the card cannot be
// used (the reason on stderr, nothing on stdout); 2 the kernel is not a broker this build
// understands.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "broker_regmap.h"
#include "xrt_bus.h"

namespace rm = broker::regmap;

namespace {
uint32_t field(uint32_t v, uint32_t mask, uint32_t lsb) { return (v & mask) >> lsb; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Opens an Alveo card through XRT, loads the broker xclbin and prints the "
               "register map's ID, VERSION and CAPS registers."};
  std::string device, xclbin, kernel = broker::cards::XrtBus::kDefaultKernel;
  app.add_option("--device,-d", device,
                 "card: PCI address of its user function (0000:3b:00.1) or index (0) as "
                 "'xbutil examine' lists them")
      ->required();
  app.add_option("--xclbin,-x", xclbin, "the broker .xclbin built for this card")->required();
  app.add_option("--kernel,-k", kernel, "kernel instance, as 'kernel:{instance}'")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  uint32_t id = 0, version = 0, caps = 0, caps2 = 0;
  std::string describe, uuid;
  try {
    broker::cards::XrtBus bus(device, xclbin, kernel);
    describe = bus.describe();
    uuid = bus.uuid();
    id = bus.read32(rm::ID);
    version = bus.read32(rm::VERSION);
    caps = bus.read32(rm::CAPS);
    caps2 = bus.read32(rm::CAPS2);
  } catch (const broker::cards::XrtUnavailable& e) {
    std::cerr << "broker-xrt-probe: " << e.what() << "\n";
    return 1;
  } catch (const broker::driver::BusError& e) {
    std::cerr << "broker-xrt-probe: register access failed: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "broker-xrt-probe: " << e.what() << "\n";
    return 1;
  }

  const uint32_t major = field(version, rm::VERSION_MAJOR_MASK, rm::VERSION_MAJOR_LSB);
  const uint32_t minor = field(version, rm::VERSION_MINOR_MASK, rm::VERSION_MINOR_LSB);
  fmt::print("card     {}\n", describe);
  fmt::print("xclbin   uuid {}\n", uuid);
  fmt::print("kernel   {}\n", kernel);
  fmt::print("ID       0x{:08x}{}\n", id, id == rm::kId ? " (broker)" : "");
  fmt::print("VERSION  0x{:08x} ({}.{})\n", version, major, minor);
  fmt::print("CAPS     0x{:08x} (in_ports {}, out_ports {}, groups {}, members {})\n", caps,
             field(caps, rm::CAPS_IN_PORTS_MASK, rm::CAPS_IN_PORTS_LSB),
             field(caps, rm::CAPS_OUT_PORTS_MASK, rm::CAPS_OUT_PORTS_LSB),
             field(caps, rm::CAPS_GROUPS_MASK, rm::CAPS_GROUPS_LSB),
             field(caps, rm::CAPS_MEMBERS_MASK, rm::CAPS_MEMBERS_LSB));
  fmt::print("CAPS2    0x{:08x} (bucket_bits {}, key_bytes {})\n", caps2,
             field(caps2, rm::CAPS2_BUCKET_BITS_MASK, rm::CAPS2_BUCKET_BITS_LSB),
             field(caps2, rm::CAPS2_KEY_BYTES_MASK, rm::CAPS2_KEY_BYTES_LSB));
  std::fflush(stdout);

  if (id != rm::kId) {
    std::cerr << fmt::format(
        "broker-xrt-probe: the kernel '{}' is not the packet broker (ID 0x{:08x}, expected "
        "0x{:08x}): check --xclbin and --kernel\n",
        kernel, id, rm::kId);
    return 2;
  }
  if (major != rm::kVersionMajor) {
    std::cerr << fmt::format(
        "broker-xrt-probe: the card's register map is version {}.{}, this build understands "
        "{}.x: use the xclbin and software of the same release\n",
        major, minor, rm::kVersionMajor);
    return 2;
  }
  return 0;
}
