// The applied configuration on disk, so it survives a restart. Written atomically (temp
// file, fsync, rename, fsync of the directory): after a crash the file holds the old state
// or the new one, never a mix. A trailer line carries a CRC-32 of the body, so a truncated
// or damaged file is recognised and refused instead of half-read.
#pragma once
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "broker/v1/state.pb.h"

namespace broker::daemon {

// The state file exists but cannot be trusted; it is left in place for inspection.
class StateFileDamaged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateStore {
 public:
  explicit StateStore(std::filesystem::path dir);

  // nullopt when there is no state yet; throws StateFileDamaged when it cannot be trusted:
  // damaged, truncated, with bytes after its checksum line, a symbolic link (even a dangling
  // one) or not a regular file.
  std::optional<v1::PersistedState> load() const;
  // Throws std::runtime_error (with the path and errno text) when it cannot be written; the
  // temporary file is then removed, and it is never opened through a symbolic link.
  void save(const v1::PersistedState& state) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_, path_;
};

}  // namespace broker::daemon
