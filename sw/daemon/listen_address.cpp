#include "listen_address.h"

#include "file_kind.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace broker::daemon {

namespace {

// True when something accepts connections on the Unix socket at path.
bool unix_socket_in_use(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  const bool in_use = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return in_use;
}

}  // namespace

void clear_stale_unix_socket(const std::string& path, const std::string& option) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error(
        fmt::format("{} unix:{}: cannot look at {}: {}", option, path, path, std::strerror(errno)));
  }
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error(fmt::format(
        "{} unix:{}: {} is {}, not a socket; brokerd only replaces a socket left by a daemon that "
        "is gone: remove it yourself or choose another path",
        option, path, path, file_kind(st.st_mode)));
  if (unix_socket_in_use(path))
    throw std::runtime_error(
        fmt::format("{} unix:{}: another process (a running brokerd?) is listening there", option, path));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error(
        fmt::format("{} unix:{}: cannot remove the stale socket {}: {}", option, path, path, std::strerror(errno)));
}

ListenAddress parse_listen_address(const std::string& listen, bool tls, bool allow_insecure_remote,
                                   const std::string& option) {
  ListenAddress a;
  a.option = option;
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
