// A Unix socket whose connections brokerd accepts itself and hands to a gRPC server
// (grpc::AddInsecureChannelFromFd), so that it can cap how many are open at once: gRPC 1.51
// has no such limit, and a listener that meets EMFILE in accept stops accepting for good.
// Connections beyond the cap are closed at once (the client sees UNAVAILABLE); when the
// process is out of file descriptors, accepting pauses and resumes once some are free.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace grpc {
class Server;
}

namespace broker::daemon {

class UnixListener {
 public:
  // Binds and listens on `path` (which must be free: clear_stale_unix_socket), gives it
  // `mode` and `group` (empty: unchanged). Throws std::runtime_error naming `option`.
  UnixListener(const std::string& path, mode_t mode, const std::string& group, const std::string& option,
               uint32_t max_connections);
  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  // Starts accepting for `server` (built and started, without ports of its own).
  void serve(grpc::Server& server);
  void stop();

 private:
  void run(grpc::Server& server);
  uint32_t open_connections();  // drops the ones gRPC has closed since

  std::string path_, option_;
  uint32_t max_;
  int fd_ = -1;
  struct Connection {
    int fd;
    dev_t dev;
    ino_t ino;
  };
  std::vector<Connection> connections_;
  uint64_t refused_ = 0;  // connections closed at the cap (the accepting thread's)
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace broker::daemon
