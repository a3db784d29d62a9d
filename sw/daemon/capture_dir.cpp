#include "capture_dir.h"
#include "file_kind.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace broker::daemon {
namespace {

// Far above any sensible capture path, far below PATH_MAX: a longer one is refused unread.
constexpr size_t kMaxPathBytes = 1024;
constexpr size_t kMaxComponents = 32;

std::vector<std::string> split(const std::string& relative) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= relative.size()) {
    const size_t slash = relative.find('/', at);
    const size_t end = slash == std::string::npos ? relative.size() : slash;
    if (end > at) parts.push_back(relative.substr(at, end - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return parts;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

CaptureDir::CaptureDir(const std::filesystem::path& dir, const std::filesystem::path& state_dir) {
  std::error_code ec;
  // A directory made here is the daemon's own (0750); an existing one keeps its mode.
  if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0750);
  if (ec) throw std::runtime_error(fmt::format("--capture-dir {}: cannot create it: {}", dir.string(), ec.message()));
  dir_ = std::filesystem::canonical(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("--capture-dir {}: {}", dir.string(), ec.message()));
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) == 0) {
    has_state_ = true;
    state_dev_ = st.st_dev;
    state_ino_ = st.st_ino;
    // Inside it is fine (its files are out of reach without `..`); the directory itself is not.
    struct stat here {};
    if (::stat(dir_.c_str(), &here) == 0 && here.st_dev == st.st_dev && here.st_ino == st.st_ino)
      throw std::runtime_error(fmt::format("--capture-dir {}: it is the state directory; give captures a "
                                           "directory of their own (default: STATE_DIR/captures)",
                                           dir_.string()));
  }
}

std::string CaptureDir::relative(const std::string& pcap_file) const {
  if (pcap_file.empty()) throw PathRefused("an empty path");
  if (pcap_file.size() > kMaxPathBytes)
    throw PathRefused(fmt::format("a path of {} bytes (at most {})", pcap_file.size(), kMaxPathBytes));
  if (pcap_file.find('\0') != std::string::npos) throw PathRefused("a path with a NUL byte");
  std::string rel = pcap_file;
  if (rel.front() == '/') {
    const std::string prefix = dir_.string() + "/";
    if (rel.rfind(prefix, 0) != 0)
      throw PathRefused(fmt::format("'{}' is outside the capture directory {} (brokerd --capture-dir); "
                                    "give a path relative to it",
                                    pcap_file, dir_.string()));
    rel = rel.substr(prefix.size());
  }
  const std::vector<std::string> parts = split(rel);
  if (parts.empty()) throw PathRefused(fmt::format("'{}' names no file", pcap_file));
  if (parts.size() > kMaxComponents)
    throw PathRefused(fmt::format("'{}' is {} directories deep (at most {})", pcap_file, parts.size(), kMaxComponents));
  std::string out;
  for (const auto& p : parts) {
    if (p == "." || p == "..")
      throw PathRefused(fmt::format("'{}' has a '{}' component: paths stay inside the capture directory", pcap_file, p));
    out += (out.empty() ? "" : "/") + p;
  }
  return out;
}

Fd CaptureDir::walk_to_parent(const std::string& relative, const std::string& shown, std::string& name) const {
  const std::vector<std::string> parts = split(relative);
  Fd at(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!at) throw PathRefused(fmt::format("the capture directory {} cannot be opened: {}", dir_.string(), std::strerror(errno)));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next(::openat(at.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      const int e = errno;
      struct stat st {};
      if (e == ELOOP || e == ENOTDIR) {
        const bool link = ::fstatat(at.get(), parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        throw PathRefused(fmt::format("'{}': its component '{}' is {}", shown, parts[i],
                                      link ? "a symbolic link (links are not followed)" : "not a directory"));
      }
      throw PathRefused(fmt::format("'{}': directory '{}': {}", shown, parts[i], std::strerror(e)));
    }
    struct stat st {};
    if (has_state_ && ::fstat(next.get(), &st) == 0 && st.st_dev == state_dev_ && st.st_ino == state_ino_)
      throw PathRefused(fmt::format("'{}' is inside the state directory", shown));
    at = std::move(next);
  }
  name = parts.back();
  return at;
}

// After the open: a file was opened, the same regular file as looked at (not swapped for
// something else in between); blocking again, and known by its identity.
void CaptureDir::opened(CaptureFile& f, const std::string& pcap_file) {
  if (!f.fd) throw PathRefused(fmt::format("'{}': {}", pcap_file, std::strerror(errno)));
  struct stat st {};
  if (::fstat(f.fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    throw PathRefused(fmt::format("'{}' is not a regular file", pcap_file));
  ::fcntl(f.fd.get(), F_SETFL, 0);
  f.dev = st.st_dev;
  f.ino = st.st_ino;
}

CaptureFile CaptureDir::open_for_reading(const std::string& pcap_file) const {
  CaptureFile f;
  const std::string rel = relative(pcap_file);
  f.path = (dir_ / rel).string();
  Fd parent = walk_to_parent(rel, pcap_file, f.name);
  // Look before opening: opening a FIFO waits for a writer, opening a device can act on it.
  struct stat st {};
  if (::fstatat(parent.get(), f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    throw PathRefused(fmt::format("'{}': {}", pcap_file, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw PathRefused(fmt::format("'{}' is {}; only regular files are read", pcap_file, file_kind(st.st_mode)));
  f.fd = Fd(::openat(parent.get(), f.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  opened(f, pcap_file);
  return f;
}

CaptureFile CaptureDir::open_for_writing(const std::string& pcap_file) const {
  CaptureFile f;
  const std::string rel = relative(pcap_file);
  f.path = (dir_ / rel).string();
  f.parent = walk_to_parent(rel, pcap_file, f.name);
  // Read too: appending checks the header and walks the records of what is there.
  const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  struct stat st {};
  if (::fstatat(f.parent.get(), f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISREG(st.st_mode))
      throw PathRefused(fmt::format("'{}' is {}; only regular files are written", pcap_file, file_kind(st.st_mode)));
    f.fd = Fd(::openat(f.parent.get(), f.name.c_str(), flags));
  } else if (errno == ENOENT) {
    f.fd = Fd(::openat(f.parent.get(), f.name.c_str(), flags | O_CREAT | O_EXCL, 0640));
    f.created = bool(f.fd);
  }
  opened(f, pcap_file);
  return f;
}

void CaptureDir::remove_created(CaptureFile& file) {
  if (!file.created || !file.parent) return;
  // Only if the name still is the file this open made.
  struct stat st {};
  if (::fstatat(file.parent.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == file.dev &&
      st.st_ino == file.ino)
    ::unlinkat(file.parent.get(), file.name.c_str(), 0);
  file.created = false;
}

}  // namespace broker::daemon
