#include "listen_address.h"

#include <fmt/format.h>

namespace broker::daemon {

ListenAddress parse_listen_address(const std::string& listen, bool tls, bool allow_insecure_remote,
                                   const std::string& option) {
  ListenAddress a;
  if (listen.rfind("unix:", 0) == 0) {
    std::string path = listen.substr(5);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty()) throw std::invalid_argument(option + " unix: needs a socket path");
    a.grpc_target = "unix:" + path;
    a.unix_path = path;
    a.loopback = true;
    return a;
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    throw std::invalid_argument(fmt::format("{} {}: expected unix:PATH or HOST:PORT", option, listen));
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  a.grpc_target = listen;
  a.loopback = host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
  if (!a.loopback && !tls) {
    if (!allow_insecure_remote)
      throw std::invalid_argument(fmt::format(
          "{} {}: not a loopback address, and without TLS anyone who reaches it could "
          "reconfigure the broker. Give --tls-cert and --tls-key (and --tls-client-ca for mutual "
          "TLS), listen on unix:PATH or 127.0.0.1, or pass --allow-insecure-remote",
          option, listen));
    a.warning = fmt::format("listening on {} without TLS: anyone who reaches it can reconfigure the broker", listen);
  }
  return a;
}

}  // namespace broker::daemon
