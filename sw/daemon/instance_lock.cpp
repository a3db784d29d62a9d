#include "instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace broker::daemon {

InstanceLock::InstanceLock(const std::filesystem::path& path, const std::string& what) : path_(path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("{}: cannot open the lock file {}: {}", what, path.string(),
                                         std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    const std::string holder = n > 0 ? std::string(buf, size_t(n)) : std::string("?");
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error(fmt::format("{} is in use by another brokerd (PID {}; lock {})", what,
                                           holder.substr(0, holder.find_first_of("\n ")), path.string()));
    throw std::runtime_error(fmt::format("{}: cannot lock {}: {}", what, path.string(), std::strerror(err)));
  }
  // The PID is what a second daemon shows; if it cannot be written the lock still holds.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace broker::daemon
