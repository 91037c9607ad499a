// One I/O thread that runs tasks and timers, one at a time.
//
// This is what InFlightJobs and the dispatch strategies need of a thread:
// the minion's event bus (EventBus) is one, the executor engine's link
// (EngineLink) another, and unit tests drive a fake one on their own thread
// (tests/unit/fake_bus.h). Every task and timer runs on the loop's thread and
// must not block. All members are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace saltgw::salt_ipc {

class IoLoop {
 public:
  virtual ~IoLoop() = default;
  // Runs `fn` on the I/O thread (after the task running now, when called there).
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` on the I/O thread and waits up to `limit` for it to finish.
  // Called on the I/O thread itself (from a callback), it runs `fn` at once:
  // posting and waiting there would wait for itself. False when `fn` had not
  // finished within `limit` (it still runs later).
  virtual bool run_and_wait(std::function<void()> fn, std::chrono::milliseconds limit) = 0;
  // Runs `fn` on the I/O thread once `delay` has passed, unless cancelled.
  // Returns the timer's id (never 0).
  virtual uint64_t post_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Cancels a timer that has not fired; unknown or fired ids are ignored.
  virtual void cancel_timer(uint64_t id) = 0;
  virtual bool on_io_thread() const = 0;
};

}  // namespace saltgw::salt_ipc
