#include "core_probe.h"

namespace broker {
namespace sim {
namespace {

class NullProbe final : public CoreProbe {
 public:
  void on_word(core::CoreStream, bool) override {}
  core::FrameTraceZip* trace() override { return nullptr; }
};

NullProbe g_null_probe;
thread_local CoreProbe* t_probe = nullptr;
thread_local int t_created = 0;

}  // namespace

ProbeBinding::ProbeBinding(CoreProbe* probe) : previous_(t_probe), created_before_(t_created) {
  t_probe = probe;
}
ProbeBinding::~ProbeBinding() { t_probe = previous_; }
int ProbeBinding::tasks_created() const { return t_created - created_before_; }

CoreProbe& attach_task() {
  ++t_created;
  return t_probe ? *t_probe : g_null_probe;
}

}  // namespace sim
}  // namespace broker
