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
#include "native/frame_result.h"
#include "soft_card.h"

namespace broker::replay {

// A card's data path as replay drives it. Frames go in through forward() in replay order;
// what the card decided about each comes back through `done`, in the same order, exactly once
// per frame, from within forward() or finish(). A card may hold frames in flight in between.
class FrameCard {
 public:
  // The bytes a frame left egress port `port` with (one of its decision's out_mask): after
  // tunnel termination, and wrapped when the port originates a tunnel.
  using DeliveredTo = std::function<const std::vector<uint8_t>&(uint8_t port)>;
  // A frame's decision and what each port got.
  using Done = std::function<void(const core::FrameResult&, const DeliveredTo& delivered_to)>;
  virtual ~FrameCard() = default;
  // One frame (len >= 1) arriving on in_port at capture time ts_ns.
  virtual void forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame, uint32_t len,
                       const Done& done) = 0;
  // Reports every frame forwarded so far; the card stays usable afterwards.
  virtual void finish(const Done& done) = 0;
};

// The soft card: each frame is decided inside forward(), clocked by its timestamp.
class SoftFrameCard final : public FrameCard {
 public:
  explicit SoftFrameCard(cards::SoftCard& card) : card_(card) {}
  void forward(uint8_t in_port, uint64_t ts_ns, const uint8_t* frame, uint32_t len,
               const Done& done) override {
    const core::FrameResult& r = card_.forward(in_port, ts_ns, frame, len);
    done(r, [this](uint8_t port) -> const std::vector<uint8_t>& { return card_.delivered_to(port); });
  }
  void finish(const Done&) override {}

 private:
  cards::SoftCard& card_;
};

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
  uint64_t empty_skipped = 0;         // capture records without a byte (not sent, not logged)
  std::vector<EgressSummary> egress;  // every egress port that is a group member or got frames
};

struct Options {
  std::vector<Input> inputs;
  std::filesystem::path out_dir;     // empty: write no captures
  std::FILE* log = nullptr;          // decision log, or none
  // Called before each frame with the number of frames forwarded so far; lets tests and
  // demos change membership in the middle of a replay. When set, every earlier frame has
  // been decided before it is called (a streaming card then runs one frame at a time).
  std::function<void(uint64_t)> before_frame;
};

// Runs every input through the card (inputs merged in timestamp order, ties by input
// order) and returns the summary. The driver must already have a configuration applied
// through the same card. Throws std::runtime_error for unreadable captures, unwritable
// outputs, or a card that loses, adds or changes frames.
Summary run(FrameCard& card, driver::Driver& driver, const Options& options);
// The same on a soft card.
Summary run(cards::SoftCard& card, driver::Driver& driver, const Options& options);

// The summary table for people.
void print_summary(std::FILE* out, const Summary& summary);

}  // namespace broker::replay
