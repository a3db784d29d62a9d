#include <new>

#include "tasks.h"

namespace broker {
namespace core {

void reset_task_state(CoreTaskState& st) {
  // Value-initialised in place (the state is ~1 MB: no temporary): every register and table
  // entry zero, as the fabric reset leaves them.
  st.~CoreTaskState();
  ::new (static_cast<void*>(&st)) CoreTaskState();
}

}  // namespace core
}  // namespace broker
