#include "card_factory.h"

#include <fmt/format.h>

#include "soft_card.h"
#include "xrt_bus.h"

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
  throw std::runtime_error(fmt::format("--card {}: not available in this build (soft and xrt are)", o.kind));
}

}  // namespace broker::daemon
