#include "state_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return std::nullopt;
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw StateFileDamaged(fmt::format("state file {} cannot be read", path_.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();

  const std::string damaged = fmt::format(
      "state file {} is damaged or truncated ({{}}); it was left as it is for inspection: "
      "move it away to start without the saved configuration, or restore a good copy",
      path_.string());
  const size_t at = text.rfind(kTrailer);
  if (at == std::string::npos || (at != 0 && text[at - 1] != '\n'))
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "no end-of-state line"));
  const std::string body = text.substr(0, at);
  const std::string tail = text.substr(at + std::strlen(kTrailer));
  uint32_t want = 0;
  if (std::sscanf(tail.c_str(), "%8x", &want) != 1 || tail.size() < 9 || tail[8] != '\n')
    throw StateFileDamaged(fmt::format(fmt::runtime(damaged), "unreadable checksum"));
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
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) fail_errno("cannot create", tmp);
  try {
    write_all(fd, file, tmp);
    if (::fsync(fd) != 0) fail_errno("cannot sync", tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) fail_errno("cannot close", tmp);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) fail_errno("cannot rename into", path_);
  // The rename itself must reach the disk, or a crash could bring back the old name.
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace broker::daemon
