// Something that delivers the minion's events by tag prefix (the event bus).
// rest/ uses this interface for live event streams and job progress without
// knowing about sockets or msgpack.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "salt_ipc/event.h"

namespace saltgw::salt_ipc {

class EventSource {
 public:
  using Handler = std::function<void(const Event&)>;
  virtual ~EventSource() = default;
  // Calls `handler` (on the source's I/O thread, must not block) for every
  // event whose tag starts with `prefix`, until unsubscribe(id).
  virtual uint64_t subscribe(std::string prefix, Handler handler) = 0;
  virtual void unsubscribe(uint64_t id) = 0;
};

}  // namespace saltgw::salt_ipc
