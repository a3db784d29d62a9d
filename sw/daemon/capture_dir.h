// The one directory capture bindings may read and write (brokerd --capture-dir). A binding's
// pcap_file is relative to it, or absolute under it; it is opened by walking the path one
// component at a time from the directory (openat with O_NOFOLLOW), so no symlink, no `..`
// and no rename during the walk can lead outside. Only regular files are read or written
// (never a FIFO, a device or a socket), and nothing inside the state directory.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace broker::daemon {

// A binding's path refused, with the reason in plain words.
class PathRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// An opened capture file.
struct CaptureFile {
  Fd fd;
  std::string path;      // as shown: the directory joined with the relative path
  dev_t dev = 0;
  ino_t ino = 0;
  bool created = false;  // this open made it (an abandoned binding removes it again)
  Fd parent;             // its directory, to remove a file this open created
  std::string name;      // its name in `parent`
};

class CaptureDir {
 public:
  // Creates `dir` (0750) when missing. Throws std::runtime_error when it cannot be used, or
  // when it is the state directory. (A path leading into the state directory is refused at
  // open, wherever that directory is.)
  CaptureDir(const std::filesystem::path& dir, const std::filesystem::path& state_dir);

  const std::filesystem::path& path() const { return dir_; }

  // The normalized relative path of a binding's pcap_file, or PathRefused: empty, too long,
  // absolute outside the directory, a `.` or `..` component.
  std::string relative(const std::string& pcap_file) const;

  // Opens a regular file for reading. PathRefused for what relative() refuses, a symlink on
  // the way, a missing file, a FIFO, device, socket or directory, or a file in the state
  // directory.
  CaptureFile open_for_reading(const std::string& pcap_file) const;
  // Opens (creating when missing, never truncating) a regular file for writing; the
  // directories on the way must exist. Refuses as open_for_reading does.
  CaptureFile open_for_writing(const std::string& pcap_file) const;
  // Removes a file that open_for_writing created (an abandoned binding leaves nothing).
  static void remove_created(CaptureFile& file);

 private:
  static void opened(CaptureFile& file, const std::string& pcap_file);
  // Walks to the directory holding `relative`'s last component; returns its fd.
  Fd walk_to_parent(const std::string& relative, const std::string& shown, std::string& name) const;

  std::filesystem::path dir_;
  dev_t state_dev_ = 0;
  ino_t state_ino_ = 0;
  bool has_state_ = false;
};

}  // namespace broker::daemon
