#include "card_factory.h"

#include <fmt/format.h>

#include "soft_card.h"
#include "xrt_bus.h"
#if BROKER_WITH_VERILATOR_CARD
#include "verilator_card.h"
#endif

namespace broker::daemon {

CardHandle open_card(const CardOptions& o) {
  CardHandle h;
  h.kind = o.kind;
  if (o.kind == "soft") {
    auto soft = std::make_unique<cards::SoftCard>();
    h.soft = soft.get();
    h.bus = std::move(soft);
    return h;
  }
  if (o.kind == "xrt") {
    // XrtBus says in plain words what is missing (card, driver, xclbin, kernel).
    h.bus = std::make_unique<cards::XrtBus>(o.device, o.xclbin,
                                            o.kernel.empty() ? cards::XrtBus::kDefaultKernel : o.kernel);
    return h;
  }
  if (o.kind == "verilator") {
#if BROKER_WITH_VERILATOR_CARD
    // The RTL top co-simulated, the HLS core through DPI-C; waves: env BROKER_SIM_WAVES=file.fst.
    h.bus = std::make_unique<cards::VerilatorCard>();
    return h;
#else
    throw std::runtime_error("--card verilator: this brokerd was built without the Verilator model "
                             "(install Verilator 5 and reconfigure)");
#endif
  }
  throw std::runtime_error(fmt::format("--card {}: unknown card kind", o.kind));
}

}  // namespace broker::daemon
