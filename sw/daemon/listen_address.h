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
  std::string option;                    // the option it was given with, e.g. "--listen"
};

// Throws std::invalid_argument with a message naming the option when the address is
// malformed, or not loopback while neither TLS nor allow_insecure_remote is given.
ListenAddress parse_listen_address(const std::string& listen, bool tls, bool allow_insecure_remote,
                                   const std::string& option = "--listen");

// Makes way for a Unix socket at `path`: nothing there is fine; a socket nobody listens on (left
// by a daemon that is gone) is removed. Anything else is left alone and refused with a
// std::runtime_error naming `option` and the path: a socket somebody listens on, and what is
// not a socket at all (a regular file, a symbolic link, a directory), which brokerd never
// deletes.
void clear_stale_unix_socket(const std::string& path, const std::string& option);

}  // namespace broker::daemon
