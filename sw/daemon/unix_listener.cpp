#include "unix_listener.h"

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <spdlog/spdlog.h>

namespace broker::daemon {

UnixListener::UnixListener(const std::string& path, mode_t mode, const std::string& group,
                           const std::string& option, uint32_t max_connections)
    : path_(path), option_(option), max_(max_connections) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw std::runtime_error(fmt::format("{} unix:{}: the path is longer than a socket path may be ({} bytes)", option,
                                         path, sizeof addr.sun_path - 1));
  std::memcpy(addr.sun_path, path.data(), path.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::runtime_error(fmt::format("{}: socket: {}", option, std::strerror(errno)));
  // Created with no access for anyone; opened up to `mode` only once its group is right.
  const mode_t old = ::umask(0777);
  const int bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::umask(old);
  if (bound != 0 || ::listen(fd_, 128) != 0) {
    const std::string why = std::strerror(bound != 0 ? err : errno);
    ::close(fd_);
    throw std::runtime_error(fmt::format("{} unix:{}: cannot listen: {}", option, path, why));
  }
  if (!group.empty()) {
    const struct group* g = ::getgrnam(group.c_str());
    if (!g || ::chown(path.c_str(), uid_t(-1), g->gr_gid) != 0) {
      const std::string why = g ? std::strerror(errno) : "no such group";
      ::close(fd_);
      ::unlink(path.c_str());
      throw std::runtime_error(fmt::format("{} unix:{}: cannot give it to group '{}': {}", option, path, group, why));
    }
  }
  ::chmod(path.c_str(), mode);
}

UnixListener::~UnixListener() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

void UnixListener::serve(grpc::Server& server) {
  thread_ = std::thread([this, &server] { run(server); });
}

void UnixListener::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

uint32_t UnixListener::open_connections() {
  // A connection gRPC closed has its descriptor gone, or reused for another file.
  std::erase_if(connections_, [](const Connection& c) {
    struct stat st {};
    return ::fstat(c.fd, &st) != 0 || st.st_dev != c.dev || st.st_ino != c.ino;
  });
  return uint32_t(connections_.size());
}

void UnixListener::run(grpc::Server& server) {
  auto last_refusal_log = std::chrono::steady_clock::time_point{};
  while (running_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the connection waits in the backlog until some are free.
        spdlog::warn("event=accept_paused socket={} error=\"{}\"", path_, std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    if (open_connections() >= max_) {
      ::close(c);
      ++refused_;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_refusal_log > std::chrono::seconds(10)) {
        last_refusal_log = now;
        spdlog::warn("event=connection_refused socket={} reason=\"at most {} connections\" refused_so_far={}", path_,
                     max_, refused_);
      }
      continue;
    }
    struct stat st {};
    ::fstat(c, &st);
    connections_.push_back({c, st.st_dev, st.st_ino});
    grpc::AddInsecureChannelFromFd(&server, c);
  }
}

}  // namespace broker::daemon
