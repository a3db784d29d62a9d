// Offline replay: captures in, one capture per egress port out, through a card's data path.
// broker-replay is a thin command line around it; tests and brokerd reuse it.
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "driver.h"
#include "soft_card.h"

namespace broker::replay {

struct Input {
  uint8_t port = 0;
  std::string path;
};

struct EgressSummary {
  uint32_t port = 0;
  std::string name;
  uint64_t packets = 0, bytes = 0, sessions = 0;
  double share = 0;        // of all forwarded bytes
  uint32_t peak_util_bp = 0;
  std::string pcap;        // where its frames were written
};

struct Summary {
  uint64_t frames_in = 0, bytes_in = 0, frames_out = 0, dropped = 0, malformed = 0;
  std::vector<EgressSummary> egress;  // every egress port that is a group member or got frames
};

struct Options {
  std::vector<Input> inputs;
  std::filesystem::path out_dir;     // empty: write no captures
  std::FILE* log = nullptr;          // decision log, or none
  // Called before each frame with the number of frames forwarded so far; lets tests and
  // demos change membership in the middle of a replay.
  std::function<void(uint64_t)> before_frame;
};

// Runs every input through the card (inputs merged in timestamp order, ties by input
// order) and returns the summary. The driver must already have a configuration applied.
// Throws std::runtime_error for unreadable captures or unwritable outputs.
Summary run(cards::SoftCard& card, driver::Driver& driver, const Options& options);

// The summary table for people.
void print_summary(std::FILE* out, const Summary& summary);

}  // namespace broker::replay
