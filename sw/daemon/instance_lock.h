// One daemon per state directory and per Unix socket: an exclusive flock on a lock file, taken
// before anything else and held for the process's life (the kernel drops it when the process
// ends, however it ends, so a crash leaves no stale lock). The file holds the holder's PID, so a
// second daemon is refused naming it.
#pragma once
#include <filesystem>
#include <string>

namespace broker::daemon {

class InstanceLock {
 public:
  // Locks `path` (created if missing; a symlink is refused). Throws std::runtime_error naming
  // `what` and the holder's PID when another process holds it, or the OS error.
  InstanceLock(const std::filesystem::path& path, const std::string& what);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace broker::daemon
