// Where brokerd listens, and whether that is safe: a Unix socket or loopback by default;
// any other address only on explicit request, since the API reconfigures the broker.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>

namespace broker::daemon {

struct ListenAddress {
  std::string grpc_target;               // what grpc::ServerBuilder takes
  std::optional<std::string> unix_path;  // set for unix: addresses
  bool loopback = false;
  std::string warning;                   // to log, e.g. for an insecure remote listener
};

// Throws std::invalid_argument with a message naming the option when the address is
// malformed, or not loopback while neither TLS nor allow_insecure_remote is given.
ListenAddress parse_listen_address(const std::string& listen, bool tls, bool allow_insecure_remote,
                                   const std::string& option = "--listen");

}  // namespace broker::daemon
