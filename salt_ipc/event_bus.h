// A client of the minion's local event bus, driven by one I/O thread.
//
// The bus is two stream sockets (unix, or TCP on 127.0.0.1 with ipc_mode:
// tcp): the minion reads events pushed into its *pull* socket and re-publishes
// every event to all clients of its *pub* socket, framed as in frame.h.
//
// EventBus connects to both, and counts as connected only after an event it
// pushed came back on the pub socket (a hello round trip), which proves the
// peer is a Salt bus and not just something listening on the path. When a
// socket fails or the minion restarts, the connection is dropped, state
// listeners hear of it, and it reconnects with exponential backoff.
//
// Threading: every callback (event handlers, state listeners, posted tasks,
// timers) runs on the I/O thread, one at a time; callbacks must not block.
// All public methods are thread-safe. Calls made from one thread take effect
// in order (subscribe() then publish() means the subscription is active
// before the event is sent).
//
// EventBus is the Bus (salt_ipc/bus.h) the dispatch strategies run on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "salt_ipc/bus.h"
#include "salt_ipc/error.h"
#include "salt_ipc/event.h"
#include "salt_ipc/minion_config.h"

namespace saltgw::salt_ipc {

struct EventBusOptions {
  BusEndpoints endpoints;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{2000};
  std::chrono::milliseconds hello_timeout{2000};
  DecodeLimits limits;
};

class EventBus : public Bus {
 public:
  using Handler = EventSource::Handler;
  using StateListener = Bus::StateListener;

  explicit EventBus(EventBusOptions options);
  ~EventBus() override;  // stops the I/O thread
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  void start();
  void stop();

  // Pushes an event to the minion. Fails at once with kMinionUnreachable when
  // the bus is not connected; an event queued just before a disconnect is lost
  // and the state listeners are told.
  Status publish(std::string tag, Value data) override;

  // Calls `handler` for every event whose tag starts with `prefix`.
  uint64_t subscribe(std::string prefix, Handler handler) override;
  void unsubscribe(uint64_t id) override;
  uint64_t add_state_listener(StateListener listener) override;
  void remove_state_listener(uint64_t id) override;

  // The I/O thread (IoLoop): tasks and timers.
  void post(std::function<void()> fn) override;
  bool run_and_wait(std::function<void()> fn, std::chrono::milliseconds limit) override;
  uint64_t post_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel_timer(uint64_t id) override;

  bool connected() const override { return connected_.load(); }
  // Why the bus is not connected (empty when connected).
  std::string last_error() const;
  // Number of successful connects so far (1 after the first).
  uint64_t connects() const { return connects_.load(); }
  bool on_io_thread() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0};
};

}  // namespace saltgw::salt_ipc
