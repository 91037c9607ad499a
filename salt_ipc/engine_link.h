// The connection to the saltgw executor engine inside the minion
// (packaging/salt/engines/saltgw_executor.py): one ZeroMQ DEALER socket and
// the I/O thread that owns it.
//
// EngineChannel is what EngineStrategy (salt_ipc/engine_strategy.h) needs of
// it: send one request, hear each message that comes back (decoded), hear
// the engine come and go, and run work and timers on the I/O thread
// (IoLoop). EngineLink is the real one; unit tests use an in-memory channel
// that plays the engine (tests/unit/engine_strategy_test.cc).
//
// EngineLink: the socket is set ZMQ_IMMEDIATE, so a request sent while no
// engine is listening fails at once with kEngineUnavailable. A socket
// monitor notices the engine going away (minion restart) and coming back
// (ZMTP handshake done); ZeroMQ reconnects by itself. Each message is one
// msgpack map; one that does not decode to a map is logged and dropped. The
// I/O thread sleeps in poll() until a message, a monitor event, a task or
// the next timer: nothing ticks while idle.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "salt_ipc/error.h"
#include "salt_ipc/io_loop.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

class EngineChannel : public IoLoop {
 public:
  using MessageHandler = std::function<void(Value message)>;
  // up == false carries why the engine went away.
  using StateHandler = std::function<void(bool up, const std::string& why)>;

  // Starts the I/O thread; the handlers run on it from now on. Called once.
  virtual void start(MessageHandler on_message, StateHandler on_state) = 0;
  // Stops the I/O thread; tasks already posted then run on the calling
  // thread (which is the I/O thread from then on: sends fail with
  // kCancelled), timers not fired are dropped. Idempotent; must not be
  // called on the I/O thread.
  virtual void stop() = 0;
  // I/O thread only: sends one request map. kEngineUnavailable when no
  // engine is listening.
  virtual Status send(const Value& request) = 0;
  // The engine is connected (handshake done).
  virtual bool connected() const = 0;
  // Where the engine listens, for messages.
  virtual const std::string& endpoint() const = 0;
};

struct EngineLinkOptions {
  std::string endpoint;  // "ipc:///var/run/salt/minion/saltgw.ipc"
  size_t max_message_bytes = 256u << 20;
};

class EngineLink : public EngineChannel {
 public:
  explicit EngineLink(EngineLinkOptions options);
  ~EngineLink() override;  // stop()
  EngineLink(const EngineLink&) = delete;
  EngineLink& operator=(const EngineLink&) = delete;

  void start(MessageHandler on_message, StateHandler on_state) override;
  void stop() override;
  Status send(const Value& request) override;
  bool connected() const override;
  const std::string& endpoint() const override;

  void post(std::function<void()> fn) override;
  bool run_and_wait(std::function<void()> fn, std::chrono::milliseconds limit) override;
  uint64_t post_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel_timer(uint64_t id) override;
  bool on_io_thread() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saltgw::salt_ipc
