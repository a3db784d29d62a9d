#include "ip_address.h"

#include <arpa/inet.h>

namespace broker::config {

std::optional<IpAddress> parse_ip_address(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data() + 12) == 1) {
    a.version = 4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.version = 6;
    return a;
  }
  return std::nullopt;
}

}  // namespace broker::config
