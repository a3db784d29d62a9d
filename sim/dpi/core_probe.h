// What the co-simulated core reports to whoever drives the model (the Verilator card): every
// word that enters a stream of the core, and the items of the traced streams. The task modules'
// DPI glue (core_tasks_dpi.cpp) reports into the probe that was current in its thread when the
// module was created (the card sets it around the model's first evaluation); without one, they
// report into a probe that drops everything.
#pragma once
#include <cstdint>

#include "core_step.h"

namespace broker {
namespace sim {

class CoreProbe {
 public:
  virtual ~CoreProbe() = default;
  // A word entered stream s on this clock edge: a FIFO between tasks (written), or a port of
  // the core (rx taken from the shell, tx taken by it). frame_start: the word is a frame's
  // item, or the first beat of a frame (core::StreamUnit).
  virtual void on_word(core::CoreStream s, bool frame_start) = 0;
  // Where the traced streams' items go (nullptr: nowhere).
  virtual core::FrameTraceZip* trace() = 0;
};

// Makes `probe` the one that task modules created in this thread report into, until the
// binding is destroyed.
class ProbeBinding {
 public:
  explicit ProbeBinding(CoreProbe* probe);
  ~ProbeBinding();
  ProbeBinding(const ProbeBinding&) = delete;
  ProbeBinding& operator=(const ProbeBinding&) = delete;
  // Task modules created in this thread while bound: a model with the composed core has one
  // per task of the description, a model with a black box none.
  int tasks_created() const;

 private:
  CoreProbe* previous_;
  int created_before_;
};

// For a task module being created: the probe it reports into (never null).
CoreProbe& attach_task();

}  // namespace sim
}  // namespace broker
