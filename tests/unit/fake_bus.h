// In-memory stand-ins for the minion's event bus (salt_ipc/bus.h) and the
// executor engine's channel (salt_ipc/engine_link.h), for unit tests of the
// dispatch strategies without sockets or threads.
//
// The test's own thread is the I/O thread: post() runs the task at once (or,
// from inside a task, right after it), run_and_wait() runs inline, and
// timers fire only when the test calls advance(). The test plays the
// minion's part: it reads what was published or sent and delivers answers.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "salt_ipc/bus.h"
#include "salt_ipc/engine_link.h"

namespace saltgw::salt_ipc::testing {

// The IoLoop part both fakes share.
class FakeLoop {
 public:
  void post_task(std::function<void()> fn) {
    tasks_.push_back(std::move(fn));
    if (draining_) return;
    draining_ = true;
    while (!tasks_.empty()) {
      auto next = std::move(tasks_.front());
      tasks_.pop_front();
      next();
    }
    draining_ = false;
  }
  uint64_t add_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
    uint64_t id = ++next_id_;
    timers_.emplace(std::make_pair(now_ + delay, id), std::move(fn));
    return id;
  }
  void drop_timer(uint64_t id) {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) return (void)timers_.erase(it);
  }
  // Moves the clock on, firing every timer due by then in deadline order.
  void advance(std::chrono::milliseconds by) {
    now_ += by;
    while (!timers_.empty() && timers_.begin()->first.first <= now_) {
      auto fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      post_task(std::move(fn));
    }
  }
  size_t timers() const { return timers_.size(); }

 private:
  std::deque<std::function<void()>> tasks_;
  bool draining_ = false;
  std::chrono::milliseconds now_{0};
  uint64_t next_id_ = 0;
  std::map<std::pair<std::chrono::milliseconds, uint64_t>, std::function<void()>> timers_;
};

class FakeBus : public Bus {
 public:
  uint64_t subscribe(std::string prefix, Handler handler) override {
    handlers_[++next_] = {std::move(prefix), std::move(handler)};
    return next_;
  }
  void unsubscribe(uint64_t id) override { handlers_.erase(id); }
  Status publish(std::string tag, Value data) override {
    if (!up_) return make_error(ErrorKind::kMinionUnreachable, "fake bus is down");
    published.push_back(Event{std::move(tag), std::move(data)});
    return Ok{};
  }
  uint64_t add_state_listener(StateListener listener) override {
    listeners_[++next_] = std::move(listener);
    return next_;
  }
  void remove_state_listener(uint64_t id) override { listeners_.erase(id); }
  bool connected() const override { return up_; }

  void post(std::function<void()> fn) override { loop.post_task(std::move(fn)); }
  bool run_and_wait(std::function<void()> fn, std::chrono::milliseconds) override {
    fn();
    return true;
  }
  uint64_t post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    return loop.add_timer(delay, std::move(fn));
  }
  void cancel_timer(uint64_t id) override { loop.drop_timer(id); }
  bool on_io_thread() const override { return true; }

  // The minion's part.
  void deliver(const std::string& tag, Value data) {
    Event ev{tag, std::move(data)};
    auto copy = handlers_;
    for (auto& [id, h] : copy)
      if (tag.compare(0, h.first.size(), h.first) == 0) h.second(ev);
  }
  void set_connected(bool up, const std::string& reason = "") {
    up_ = up;
    auto copy = listeners_;
    for (auto& [id, l] : copy) l(up, reason);
  }
  size_t subscriptions() const { return handlers_.size(); }

  FakeLoop loop;
  std::vector<Event> published;

 private:
  bool up_ = true;
  uint64_t next_ = 0;
  std::map<uint64_t, std::pair<std::string, Handler>> handlers_;
  std::map<uint64_t, StateListener> listeners_;
};

// The executor engine's channel. `engine`, when set, answers each request
// sent (its messages are delivered right after the send, in order).
class FakeChannel : public EngineChannel {
 public:
  void start(MessageHandler on_message, StateHandler on_state) override {
    on_message_ = std::move(on_message);
    on_state_ = std::move(on_state);
  }
  void stop() override { stopped = true; }
  Status send(const Value& request) override {
    if (!up_) return make_error(ErrorKind::kEngineUnavailable, "fake engine is not listening");
    sent.push_back(request);
    if (engine)
      for (auto& m : engine(request)) post([this, m] { on_message_(m); });
    return Ok{};
  }
  bool connected() const override { return up_; }
  const std::string& endpoint() const override { return endpoint_; }

  void post(std::function<void()> fn) override { loop.post_task(std::move(fn)); }
  bool run_and_wait(std::function<void()> fn, std::chrono::milliseconds) override {
    fn();
    return true;
  }
  uint64_t post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    return loop.add_timer(delay, std::move(fn));
  }
  void cancel_timer(uint64_t id) override { loop.drop_timer(id); }
  bool on_io_thread() const override { return true; }

  // The engine's part.
  void reply(Value message) {
    post([this, message = std::move(message)] { on_message_(message); });
  }
  void set_up(bool up, const std::string& why = "went away") {
    up_ = up;
    post([this, up, why] { on_state_(up, why); });
  }

  FakeLoop loop;
  std::vector<Value> sent;
  std::function<std::vector<Value>(const Value& request)> engine;
  bool stopped = false;

 private:
  bool up_ = true;
  std::string endpoint_ = "ipc:///fake/saltgw.ipc";
  MessageHandler on_message_;
  StateHandler on_state_;
};

}  // namespace saltgw::salt_ipc::testing
