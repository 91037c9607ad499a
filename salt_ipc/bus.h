// What a dispatch strategy needs of the minion's event bus: push events,
// hear events by tag prefix, hear the connection come and go, and the bus's
// I/O thread (IoLoop) to run its work and timers on.
//
// EventBus (salt_ipc/event_bus.h) is the real one, over the minion's
// sockets; tests/unit/fake_bus.h is an in-memory one that lets unit tests
// play the minion's part without sockets. Strategies (schedule, minion_job,
// and InFlightJobs under them) depend on this interface only.
//
// Threading: as IoLoop. Event handlers and state listeners run on the I/O
// thread; every member is thread-safe.
#pragma once

#include <functional>
#include <string>

#include "salt_ipc/error.h"
#include "salt_ipc/event_source.h"
#include "salt_ipc/io_loop.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

class Bus : public EventSource, public IoLoop {
 public:
  // connected == false carries the reason the connection was lost or refused.
  using StateListener = std::function<void(bool connected, const std::string& reason)>;

  // Pushes an event to the minion. Fails at once with kMinionUnreachable
  // when the bus is not connected.
  virtual Status publish(std::string tag, Value data) = 0;
  // Calls `listener` whenever the connection comes up or goes down.
  virtual uint64_t add_state_listener(StateListener listener) = 0;
  virtual void remove_state_listener(uint64_t id) = 0;
  virtual bool connected() const = 0;
};

}  // namespace saltgw::salt_ipc
