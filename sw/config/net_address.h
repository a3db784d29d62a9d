// Network addresses as configurations give them ("192.0.2.1", "2001:db8::/32",
// "aa:bb:cc:dd:ee:ff") and as the data path holds them (wire bytes; an IPv4 address in the
// last 4 of 16, the first 12 zero).
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

struct IpPrefix {
  IpAddress address;  // the bits past the length are zero
  int length = 0;     // 0..32 (IPv4) or 0..128 (IPv6)
};

using MacAddress = std::array<uint8_t, 6>;

// The address, or nothing when the text is not one IPv4 or IPv6 address in its usual form.
std::optional<IpAddress> parse_ip_address(const std::string& text);
// "ADDRESS/LENGTH" or an address alone (its full length); nothing when malformed, when the
// length is out of range, or when the address has bits set past the length (10.1.0.0/8).
std::optional<IpPrefix> parse_ip_prefix(const std::string& text);
// Six hexadecimal bytes separated by ':' or '-'.
std::optional<MacAddress> parse_mac(const std::string& text);

}  // namespace broker::config
