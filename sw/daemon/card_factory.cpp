#include "card_factory.h"

#include <fmt/format.h>

#include "soft_card.h"

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
  throw std::runtime_error(fmt::format("--card {}: not available in this build (soft is)", o.kind));
}

}  // namespace broker::daemon
