#include "task_ports.h"

#include <atomic>

namespace broker {
namespace sim {
namespace {

std::atomic<int> g_tasks{0};

}  // namespace

TaskBase::TaskBase(const char* task, const char* scope)
    : task_(task), scope_(scope ? scope : ""), probe_(&attach_task()) {
  ++g_tasks;
}

TaskBase::~TaskBase() { --g_tasks; }

const core::CoreTaskState& reset_core_state() {
  static const core::CoreTaskState* const state = [] {
    auto* st = new core::CoreTaskState();
    core::reset_task_state(*st);
    return st;
  }();
  return *state;
}

}  // namespace sim
}  // namespace broker

extern "C" int broker_sim_dpi_instances() { return broker::sim::g_tasks.load(); }
