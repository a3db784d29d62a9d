// One co-simulated task's ports and pipeline, for the generated DPI glue (core_tasks_dpi.cpp).
//
// Per rising edge the glue (1) settles the handshakes of the ending clock: an output word the
// FIFO took leaves its register, an input word whose handshake completed is accepted into the
// stream the task reads; (2) calls the task function once, unless an output register still
// holds a word nobody took (an HLS pipeline stalls as a whole on a blocking write); (3) shows
// the next clock's outputs. What the task writes in a call is shown `latency` clocks after it
// (a pipeline of `latency` stages, the last one being the output register).
//
// An input word the task did not read in its call stays in the stream ("held", READY low)
// until a later call reads it, as a word waits at the head of a FIFO.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core_probe.h"
#include "core_step.h"
#include "item_words.h"
#include "svdpi.h"

namespace broker {
namespace sim {

// What every task module has: names for messages and the probe it reports into.
class TaskBase {
 public:
  TaskBase(const char* task, const char* scope);
  ~TaskBase();
  TaskBase(const TaskBase&) = delete;
  TaskBase& operator=(const TaskBase&) = delete;

  CoreProbe& probe() const { return *probe_; }
  // A broken contract (tasks.h) or a stale description: the simulation cannot go on.
  [[noreturn]] void fail(const std::string& what) const {
    std::fprintf(stderr, "co-simulation: task %s (%s): %s\n", task_, scope_.c_str(), what.c_str());
    std::abort();
  }

 private:
  const char* task_;
  std::string scope_;
  CoreProbe* probe_;
};

// Stops the simulation when a stream's item is not as wide as the description says (the SV
// ports are generated from the description, the packing from visit()).
template <class T>
void check_bits(core::CoreStream s) {
  static const int bits = item_bits<T>();
  const core::CoreStreamInfo& info = core::stream_info(s);
  if (bits != info.bits) {
    std::fprintf(stderr,
                 "co-simulation: stream %s carries %s, %d bits by its visit() list, but "
                 "hw/graph/core_graph.toml says %d: update [item] %s\n",
                 info.name, info.item, bits, info.bits, info.item);
    std::abort();
  }
}

// The state after reset, as reset_task_state() makes it (computed once).
const core::CoreTaskState& reset_core_state();

// A task's member of CoreTaskState, on the heap, owned by its module instance.
template <class Core, class S>
class TaskState {
 public:
  explicit TaskState(S Core::*member) : member_(member), st_(std::make_unique<S>()) {}
  void reset() { *st_ = reset_core_state().*member_; }
  S& operator*() { return *st_; }

 private:
  S Core::*member_;
  std::unique_ptr<S> st_;
};

// Which words of a stream start a frame (core::StreamUnit).
class FrameStarts {
 public:
  explicit FrameStarts(core::CoreStream s) : unit_(core::stream_info(s).unit) {}
  template <class T>
  bool next(const T& word) {
    if (unit_ == core::StreamUnit::kFrame) return true;
    if (unit_ == core::StreamUnit::kCopy) return core::first_copy(word);
    if constexpr (std::is_same_v<T, core::AxisBeat>) {
      if (unit_ == core::StreamUnit::kBeat) {
        const bool start = !in_frame_;
        in_frame_ = uint64_t(word.last) == 0;
        return start;
      }
    }
    return false;
  }
  void reset() { in_frame_ = false; }

 private:
  core::StreamUnit unit_;
  bool in_frame_ = false;
};

template <class T>
class TaskInput {
 public:
  // port: a port of the core (rx, ...), whose words are reported when they enter the task.
  TaskInput(core::CoreStream s, bool port) : stream_(s), port_(port), starts_(s) { check_bits<T>(s); }

  hls::stream<T> s;  // what the task reads: the accepted word it has not read yet, if any

  void reset() {
    while (!s.empty()) (void)s.read();
    starts_.reset();
  }
  void accept(svBit fire, const svBitVecVal* data, CoreProbe& probe) {
    if (!fire) return;
    const T word = unpack_item<T>(data);
    if (port_) probe.on_word(stream_, starts_.next(word));
    s.write(word);
  }
  bool held() { return !s.empty(); }

 private:
  core::CoreStream stream_;
  bool port_;
  FrameStarts starts_;
};

template <class T>
class TaskOutput {
 public:
  TaskOutput(core::CoreStream s, int latency)
      : stream_(s), stages_(size_t(std::max(latency, 1))), starts_(s) {
    check_bits<T>(s);
  }

  hls::stream<T> produced;  // what the task writes in a call

  void reset() {
    while (!produced.empty()) (void)produced.read();
    for (auto& x : stages_) x.reset();
    newest_ = 0;
    starts_.reset();
  }
  // The handshake of the ending clock. Returns the word the FIFO took, or nullptr.
  const T* settle(svBit ready, CoreProbe& probe) {
    std::optional<T>& out = shown();
    if (!out || !ready) return nullptr;
    taken_ = *out;
    out.reset();
    probe.on_word(stream_, starts_.next(taken_));
    return &taken_;
  }
  // The output register is empty: the pipeline may move.
  bool free() const { return !stages_[oldest()]; }
  // After a call: every stage moves one on (the output register is free), the call's word
  // enters the first.
  void advance(const TaskBase& task) {
    newest_ = oldest();
    std::optional<T>& first = stages_[newest_];
    first.reset();
    if (!produced.empty()) {
      first = produced.read();
      if (!produced.empty())
        task.fail(std::string("wrote more than one word to ") + core::stream_info(stream_).name +
                  " in one call (tasks.h: at most one item per output per call)");
    }
  }
  void present(svBit* valid, svBitVecVal* data) {
    const std::optional<T>& out = shown();
    *valid = out.has_value();
    std::fill(data, data + (core::stream_info(stream_).bits + 31) / 32, svBitVecVal(0));
    if (out) pack_item(*out, data);
  }

 private:
  size_t oldest() const { return (newest_ + 1) % stages_.size(); }
  std::optional<T>& shown() { return stages_[oldest()]; }

  core::CoreStream stream_;
  std::vector<std::optional<T>> stages_;  // a ring: stages_[newest_] holds the last call's word
  size_t newest_ = 0;
  FrameStarts starts_;
  T taken_{};
};

// Shows a traced word the FIFO took to the probe's trace.
template <class T>
void trace(CoreProbe& probe, const T* taken, core::TraceStream which) {
  if (!taken) return;
  if (core::FrameTraceZip* zip = probe.trace()) (*zip)(*taken, which);
}

}  // namespace sim
}  // namespace broker

// Live task modules of co-simulated cores in this process: lets a card check that its model
// really contains the composed core (and not a black box).
extern "C" int broker_sim_dpi_instances();
