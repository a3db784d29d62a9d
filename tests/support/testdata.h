// Locating the shared ground-truth captures. They exist in CI and on the developers'
// machines, never in a user's clone: tests that need them skip with this message.
#pragma once
#include <filesystem>
#include <string>
#include <vector>
#include <algorithm>

#include <gtest/gtest.h>

namespace broker::testing {

inline std::filesystem::path shared_pcap_dir() {
  return std::filesystem::path(BROKER_SHARED_TESTDATA) / "pcap";
}

// Every capture (*.pcap, *.pcapng) in the shared folder, sorted; empty when absent.
inline std::vector<std::filesystem::path> shared_captures() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(shared_pcap_dir(), ec)) {
    const auto ext = e.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace broker::testing

// Skips the current test when the shared captures are not there (a user's clone).
#define BROKER_REQUIRE_SHARED_TESTDATA()                                                   \
  do {                                                                                     \
    if (::broker::testing::shared_captures().empty())                                      \
      GTEST_SKIP() << "shared captures not found at "                                      \
                   << ::broker::testing::shared_pcap_dir().string()                        \
                   << " (they come with the developers' checkout and CI, not with a clone)"; \
  } while (0)
