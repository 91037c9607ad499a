#include "salt_ipc/engine_link.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <zmq.hpp>

#include "salt_ipc/log.h"
#include "salt_ipc/msgpack_codec.h"

namespace saltgw::salt_ipc {

namespace {

using Clock = std::chrono::steady_clock;

// Messages taken from the socket in one go before tasks and timers get a turn.
constexpr int kReceiveBatch = 1000;

// Each link has its own context, so one inproc name is enough.
constexpr const char* kMonitorEndpoint = "inproc://saltgw-engine-monitor";

}  // namespace

struct EngineLink::Impl {
  EngineLinkOptions opts;
  MessageHandler on_message;
  StateHandler on_state;
  zmq::context_t ctx{1};
  std::thread thread;
  std::atomic<std::thread::id> io_id{};
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> peer_up{false};
  int wake_fd = -1;

  std::mutex mu;  // guards tasks and timers
  std::deque<std::function<void()>> tasks;
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> timers;
  std::map<uint64_t, Clock::time_point> timer_at;
  uint64_t next_timer = 0;

  // I/O thread only.
  zmq::socket_t* dealer = nullptr;
  zmq::socket_t* monitor = nullptr;

  explicit Impl(EngineLinkOptions o) : opts(std::move(o)) { wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  bool on_io() const { return std::this_thread::get_id() == io_id.load(); }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
  }

  std::string unavailable() const {
    return "the saltgw executor engine is not running in the minion (no listener on " + opts.endpoint +
           "); enable it with 'engines: [{saltgw_executor: {}}]' in /etc/salt/minion.d/saltgw.conf and restart "
           "the minion, or set dispatch: schedule";
  }

  Status send(const Value& request) {
    if (!dealer) return make_error(ErrorKind::kCancelled, "saltgw is shutting down");
    std::string payload = msgpack_encode(request);
    try {
      if (dealer->send(zmq::buffer(payload), zmq::send_flags::dontwait)) return Ok{};
    } catch (const zmq::error_t& e) {
      return make_error(ErrorKind::kEngineUnavailable, std::string("engine: ") + e.what());
    }
    return make_error(ErrorKind::kEngineUnavailable, unavailable());
  }

  // Takes the messages waiting on the socket; true when more may be waiting.
  bool receive() {
    for (int i = 0; i < kReceiveBatch; ++i) {
      zmq::message_t msg;
      zmq::recv_result_t got;
      try {
        got = dealer->recv(msg, zmq::recv_flags::dontwait);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) log(LogLevel::kWarning, std::string("engine: receive failed: ") + e.what());
        return false;
      }
      if (!got) return false;
      // A large reply (a big result) is not copied: its message is kept and
      // the result stays in it, packed (msgpack_decode_shared).
      Result<Value> v = Value();
      if (msg.size() < kPackedMinBytes) {
        v = msgpack_decode(std::string_view(static_cast<const char*>(msg.data()), msg.size()));
      } else {
        auto kept = std::make_shared<const zmq::message_t>(std::move(msg));
        v = msgpack_decode_shared(kept, std::string_view(static_cast<const char*>(kept->data()), kept->size()),
                                  kPackedMinBytes);
      }
      if (!v || !v->is_map()) {
        log(LogLevel::kWarning, "engine: dropping an undecodable reply");
        continue;
      }
      on_message(std::move(v).value());
    }
    return true;
  }

  // A socket monitor event: the engine came (handshake done: only then does
  // ZMQ_IMMEDIATE let messages through) or went.
  void on_monitor() {
    zmq::message_t ev, addr;
    while (monitor->recv(ev, zmq::recv_flags::dontwait) && monitor->recv(addr, zmq::recv_flags::dontwait)) {
      if (ev.size() < 2) continue;
      uint16_t event;
      std::memcpy(&event, ev.data(), sizeof event);
      if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (!peer_up.exchange(true)) log(LogLevel::kInfo, "engine: connected to " + opts.endpoint);
        on_state(true, "");
      } else if (event == ZMQ_EVENT_DISCONNECTED) {
        peer_up = false;
        log(LogLevel::kWarning, "engine: " + opts.endpoint + " went away");
        receive();  // replies that made it before the connection went
        on_state(false, "the executor engine went away (minion restarted?)");
      }
    }
  }

  void run_tasks() {
    std::deque<std::function<void()>> now;
    {
      std::lock_guard<std::mutex> lock(mu);
      now.swap(tasks);
    }
    for (auto& fn : now) fn();
  }

  void run_due_timers() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (timers.empty() || timers.begin()->first.first > Clock::now()) return;
        auto it = timers.begin();
        fn = std::move(it->second);
        timer_at.erase(it->first.second);
        timers.erase(it);
      }
      fn();
    }
  }

  // How long poll() may sleep: until the next timer, 0 with work waiting, else for ever.
  int poll_timeout(bool more) {
    std::lock_guard<std::mutex> lock(mu);
    if (more || !tasks.empty()) return 0;
    if (timers.empty()) return -1;
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(timers.begin()->first.first - Clock::now());
    return static_cast<int>(std::clamp<int64_t>(d.count() + 1, 0, 1 << 30));
  }

  void wait(int sock_fd, int timeout) {
    zmq::pollitem_t items[] = {{nullptr, sock_fd, ZMQ_POLLIN, 0},
                               {monitor->handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, wake_fd, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 3, std::chrono::milliseconds(timeout));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) log(LogLevel::kError, std::string("engine: poll failed: ") + e.what());
      return;
    }
    if (items[2].revents & ZMQ_POLLIN) {
      uint64_t n;
      [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
    }
    if (items[1].revents & ZMQ_POLLIN) on_monitor();
  }

  void loop() {
    io_id = std::this_thread::get_id();
    zmq::socket_t sock(ctx, zmq::socket_type::dealer);
    sock.set(zmq::sockopt::immediate, 1);
    sock.set(zmq::sockopt::linger, 0);
    sock.set(zmq::sockopt::reconnect_ivl, 100);
    sock.set(zmq::sockopt::reconnect_ivl_max, 2000);
    sock.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(opts.max_message_bytes));
    sock.set(zmq::sockopt::sndhwm, 10000);
    zmq_socket_monitor(sock.handle(), kMonitorEndpoint, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    zmq::socket_t mon(ctx, zmq::socket_type::pair);
    mon.connect(kMonitorEndpoint);
    sock.connect(opts.endpoint);
    int sock_fd = sock.get(zmq::sockopt::fd);
    dealer = &sock;
    monitor = &mon;
    bool more = false;
    while (!stopping) {
      run_tasks();
      run_due_timers();
      // ZMQ_FD is edge-triggered and any use of the socket (a send in a task)
      // may consume its signal: drain before sleeping.
      more = receive();
      if (stopping) break;
      wait(sock_fd, poll_timeout(more));
    }
    dealer = nullptr;
    zmq_socket_monitor(sock.handle(), nullptr, 0);  // stop monitoring before the PAIR closes
    monitor = nullptr;
  }
};

EngineLink::EngineLink(EngineLinkOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

EngineLink::~EngineLink() { stop(); }

void EngineLink::start(MessageHandler on_message, StateHandler on_state) {
  if (impl_->started.exchange(true)) return;
  impl_->on_message = std::move(on_message);
  impl_->on_state = std::move(on_state);
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void EngineLink::stop() {
  impl_->stopping = true;
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  // The calling thread is the I/O thread from now on: tasks posted before
  // the stop still run (their sends fail: the socket is closed), so that
  // every job they carry is answered.
  impl_->io_id = std::this_thread::get_id();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      if (impl_->tasks.empty()) break;
    }
    impl_->run_tasks();
  }
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> timers;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    timers.swap(impl_->timers);
    impl_->timer_at.clear();
  }
  // Dropped here, outside the lock: they may own what cancels timers.
}

Status EngineLink::send(const Value& request) { return impl_->send(request); }

bool EngineLink::connected() const { return impl_->peer_up.load(); }

const std::string& EngineLink::endpoint() const { return impl_->opts.endpoint; }

void EngineLink::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->tasks.push_back(std::move(fn));
  }
  if (!impl_->on_io()) impl_->wake();
}

bool EngineLink::run_and_wait(std::function<void()> fn, std::chrono::milliseconds limit) {
  if (impl_->on_io()) {
    fn();
    return true;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  post([fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  return f.wait_for(limit) == std::future_status::ready;
}

uint64_t EngineLink::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    id = ++impl_->next_timer;
    auto at = Clock::now() + delay;
    impl_->timers.emplace(std::make_pair(at, id), std::move(fn));
    impl_->timer_at.emplace(id, at);
  }
  if (!impl_->on_io()) impl_->wake();
  return id;
}

void EngineLink::cancel_timer(uint64_t id) {
  std::function<void()> dropped;
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->timer_at.find(id);
  if (it == impl_->timer_at.end()) return;
  auto t = impl_->timers.find({it->second, id});
  if (t != impl_->timers.end()) {
    dropped = std::move(t->second);
    impl_->timers.erase(t);
  }
  impl_->timer_at.erase(it);
}

bool EngineLink::on_io_thread() const { return impl_->on_io(); }

}  // namespace saltgw::salt_ipc
