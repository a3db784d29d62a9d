// IP addresses as configurations give them ("192.0.2.1", "2001:db8::1") and as the data path
// holds them (16 wire bytes; IPv4 in the last 4, the first 12 zero).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace broker::config {

struct IpAddress {
  int version = 0;  // 4 or 6
  std::array<uint8_t, 16> bytes{};
};

// The address, or nothing when the text is not one IPv4 or IPv6 address in its usual form.
std::optional<IpAddress> parse_ip_address(const std::string& text);

}  // namespace broker::config
