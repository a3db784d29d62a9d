#include "state_store.h"

#include "file_kind.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <google/protobuf/text_format.h>

namespace broker::daemon {
namespace {

constexpr const char* kTrailer = "# end of state, crc32 ";

uint32_t crc_of(const std::string& s) {
  return uint32_t(crc32(0, reinterpret_cast<const Bytef*>(s.data()), uInt(s.size())));
}

[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& p) {
  throw std::runtime_error(fmt::format("{} {}: {}", what, p.string(), std::strerror(errno)));
}

void write_all(int fd, const std::string& data, const std::filesystem::path& p) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot write", p);
    }
    done += size_t(n);
  }
}

}  // namespace

StateStore::StateStore(std::filesystem::path dir) : dir_(std::move(dir)), path_(dir_ / "state.txtpb") {}

std::optional<v1::PersistedState> StateStore::load() const {
  auto unreadable = [&](int err) {
    return StateFileDamaged(fmt::format("state file {} cannot be read: {}", path_.string(), std::strerror(err)));
  };
  // The file itself, never what a link points to: a dangling link read as "no state yet"
  // started the daemon empty without a word, and a save would replace the link by a file.
  // Non-blocking, so that a FIFO cannot hang the start; fstat then refuses it.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return std::nullopt;
    std::error_code ec;
    if (err == ELOOP && std::filesystem::is_symlink(std::filesystem::symlink_status(path_, ec))) {
      const std::filesystem::path target = std::filesystem::read_symlink(path_, ec);
      throw StateFileDamaged(fmt::format(
          "state file {} is a symbolic link (to {}); brokerd reads and writes a regular file there "
          "and never follows a link: put the file itself in its place, or remove the link to start "
          "without the saved configuration",
          path_.string(), ec ? std::string("?") : target.string()));
    }
    throw unreadable(err);
  }
  std::string text;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw unreadable(errno);
    if (!S_ISREG(st.st_mode))
      throw StateFileDamaged(fmt::format(
          "state file {} is not a regular file ({}); it was left as it is: move it away to start "
          "without the saved configuration",
          path_.string(), file_kind(st.st_mode)));
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw unreadable(errno);
      }
      if (n == 0) break;
      text.append(buf, size_t(n));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);

  const std::string damaged = fmt::format(
      "state file {} is damaged or truncated ({{}}); it was left as it is for inspection: "
      "move it away to start without the saved configuration, or restore a good copy",
      path_.string());
  const size_t at = text.rfind(kTrailer);
  if (at == std::string::npos || (at != 0 && text[at - 1] != '\n'))
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "no end-of-state line"));
  const std::string body = text.substr(0, at);
  const std::string tail = text.substr(at + std::strlen(kTrailer));
  // Eight hex digits and the newline, and nothing after them: the file ends with its trailer.
  uint32_t want = 0;
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (tail.size() < 9 || tail[8] != '\n' || !std::all_of(tail.begin(), tail.begin() + 8, hex) ||
      std::sscanf(tail.c_str(), "%8x", &want) != 1)
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "unreadable checksum"));
  if (tail.size() > 9)
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged),
                                       fmt::format("{} bytes after the end-of-state line", tail.size() - 9)));
  if (crc_of(body) != want)
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "checksum mismatch"));

  v1::PersistedState state;
  if (!google::protobuf::TextFormat::ParseFromString(body, &state))
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "not a broker.v1.PersistedState"));
  return state;
}

void StateStore::save(const v1::PersistedState& state) const {
  std::filesystem::create_directories(dir_);
  std::string body = "# brokerd state: the applied configuration. Written by brokerd; do not edit.\n";
  std::string text;
  google::protobuf::TextFormat::PrintToString(state, &text);
  body += text;
  const std::string file = body + fmt::format("{}{:08x}\n", kTrailer, crc_of(body));

  const std::filesystem::path tmp = path_.string() + ".tmp";
  // Whatever a failed save (or a crash) left there goes first; the new file is created, never
  // opened through a link someone put in its place.
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) fail_errno("cannot remove the stale", tmp);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) fail_errno("cannot create", tmp);
  // A save that fails (a full disk) leaves no partial temporary file behind.
  try {
    try {
      write_all(fd, file, tmp);
      if (::fsync(fd) != 0) fail_errno("cannot sync", tmp);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) fail_errno("cannot close", tmp);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail_errno("cannot rename into", path_);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename itself must reach the disk, or a crash could bring back the old name.
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace broker::daemon
