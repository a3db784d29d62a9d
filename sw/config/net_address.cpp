#include "net_address.h"

#include <arpa/inet.h>

#include <cctype>

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

std::optional<IpPrefix> parse_ip_prefix(const std::string& text) {
  const size_t slash = text.find('/');
  const auto addr = parse_ip_address(text.substr(0, slash));
  if (!addr) return std::nullopt;
  IpPrefix p;
  p.address = *addr;
  const int most = addr->version == 4 ? 32 : 128;
  p.length = most;
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return std::nullopt;
    for (char c : len)
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    p.length = std::stoi(len);
    if (p.length > most) return std::nullopt;
  }
  // Host bits set past the length: the prefix the user meant is unclear.
  const int first = addr->version == 4 ? 12 : 0;
  for (int bit = p.length; bit < most; ++bit)
    if (p.address.bytes[size_t(first + bit / 8)] >> (7 - bit % 8) & 1) return std::nullopt;
  return p;
}

std::optional<MacAddress> parse_mac(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress m{};
  for (int i = 0; i < 6; ++i) {
    const char hi = text[size_t(3 * i)], lo = text[size_t(3 * i + 1)];
    if (!std::isxdigit(static_cast<unsigned char>(hi)) || !std::isxdigit(static_cast<unsigned char>(lo)))
      return std::nullopt;
    if (i < 5 && text[size_t(3 * i + 2)] != ':' && text[size_t(3 * i + 2)] != '-') return std::nullopt;
    m[size_t(i)] = uint8_t(std::stoi(text.substr(size_t(3 * i), 2), nullptr, 16));
  }
  return m;
}

}  // namespace broker::config
