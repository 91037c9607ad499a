#include "salt_ipc/event_bus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "salt_ipc/frame.h"
#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Connects a stream socket (blocking connect: the bus is local), then makes it
// non-blocking. Returns the fd or an Error naming the endpoint.
Result<int> connect_stream(const BusEndpoints& ep, bool pub) {
  int fd = -1;
  std::string where;
  if (ep.tcp) {
    int port = pub ? ep.pub_port : ep.pull_port;
    where = ep.host + ":" + std::to_string(port);
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorKind::kMinionUnreachable, "socket: " + errno_text(errno));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ep.host.c_str(), &sa.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int e = errno;
      ::close(fd);
      return make_error(ErrorKind::kMinionUnreachable, "connect " + where + ": " + errno_text(e));
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    const std::string& path = pub ? ep.pub_path : ep.pull_path;
    where = path;
    sockaddr_un sa{};
    if (path.size() >= sizeof sa.sun_path)
      return make_error(ErrorKind::kConfig, "socket path too long: " + path);
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorKind::kMinionUnreachable, "socket: " + errno_text(errno));
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int e = errno;
      ::close(fd);
      return make_error(ErrorKind::kMinionUnreachable, "connect " + where + ": " + errno_text(e));
    }
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

std::string random_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

struct EventBus::Impl {
  enum class State { kDisconnected, kHandshake, kConnected };

  EventBus* self;
  EventBusOptions opts;
  std::thread thread;
  std::thread::id io_thread_id;
  std::atomic<bool> stopping{false};
  int wake_fd = -1;

  std::mutex mu;  // guards tasks and last_error
  std::deque<std::function<void()>> tasks;
  std::string last_error = "not connected yet";

  // ---- I/O thread only below ----
  State state = State::kDisconnected;
  int pub_fd = -1;
  int pull_fd = -1;
  std::string out_buf;
  FrameDecoder decoder;
  std::string hello_tag;
  uint64_t hello_timer = 0;
  std::chrono::milliseconds backoff{0};
  uint64_t reconnect_timer = 0;
  bool reported_down = false;

  struct Sub {
    std::string prefix;
    std::shared_ptr<Handler> handler;
  };
  std::map<uint64_t, Sub> subs;
  std::map<uint64_t, std::shared_ptr<StateListener>> listeners;
  std::atomic<uint64_t> next_id{1};

  struct Timer {
    Clock::time_point when;
    std::function<void()> fn;
  };
  std::map<uint64_t, Timer> timers;
  std::set<std::pair<Clock::time_point, uint64_t>> timer_order;

  explicit Impl(EventBus* s, EventBusOptions o)
      : self(s), opts(std::move(o)), decoder(opts.limits), backoff(opts.reconnect_min) {}

  bool on_io() const { return std::this_thread::get_id() == io_thread_id; }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
  }

  void run_on_io(std::function<void()> fn) {
    if (on_io()) {
      fn();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      tasks.push_back(std::move(fn));
    }
    wake();
  }

  void set_error(std::string e) {
    std::lock_guard<std::mutex> lock(mu);
    last_error = std::move(e);
  }

  void add_timer(uint64_t id, Clock::time_point when, std::function<void()> fn) {
    timers[id] = Timer{when, std::move(fn)};
    timer_order.emplace(when, id);
  }
  void remove_timer(uint64_t id) {
    auto it = timers.find(id);
    if (it == timers.end()) return;
    timer_order.erase({it->second.when, id});
    timers.erase(it);
  }
  uint64_t timer_in(std::chrono::milliseconds d, std::function<void()> fn) {
    uint64_t id = next_id++;
    add_timer(id, Clock::now() + d, std::move(fn));
    return id;
  }

  void close_fds() {
    if (pub_fd >= 0) ::close(pub_fd);
    if (pull_fd >= 0) ::close(pull_fd);
    pub_fd = pull_fd = -1;
    out_buf.clear();
    decoder = FrameDecoder(opts.limits);
  }

  void notify(bool up, const std::string& reason) {
    std::vector<std::shared_ptr<StateListener>> ls;
    for (auto& [id, l] : listeners) ls.push_back(l);
    for (auto& l : ls) (*l)(up, reason);
  }

  // Drops the connection and schedules a reconnect.
  void drop(const std::string& reason) {
    bool was_up = state == State::kConnected;
    close_fds();
    state = State::kDisconnected;
    self->connected_ = false;
    if (hello_timer) remove_timer(hello_timer), hello_timer = 0;
    set_error(reason);
    if (was_up || !reported_down) {
      log(LogLevel::kWarning, "event bus: " + reason + "; reconnecting");
      reported_down = true;
    } else {
      log(LogLevel::kDebug, "event bus: " + reason);
    }
    if (was_up) notify(false, reason);
    schedule_reconnect();
  }

  void schedule_reconnect() {
    if (stopping) return;
    auto delay = backoff;
    backoff = std::min(opts.reconnect_max, backoff * 2);
    reconnect_timer = timer_in(delay, [this] {
      reconnect_timer = 0;
      try_connect();
    });
  }

  void try_connect() {
    if (state != State::kDisconnected || stopping) return;
    auto pub = connect_stream(opts.endpoints, true);
    if (!pub) {
      drop(pub.error().message);
      return;
    }
    pub_fd = pub.value();
    auto pull = connect_stream(opts.endpoints, false);
    if (!pull) {
      drop(pull.error().message);
      return;
    }
    pull_fd = pull.value();
    state = State::kHandshake;
    // Prove the far side is a Salt bus: what we push must come back published.
    hello_tag = "saltgw/hello/" + random_token();
    queue_event(hello_tag, Value(Map{{"saltgw", Value("hello")}}));
    hello_timer = timer_in(opts.hello_timeout, [this] {
      hello_timer = 0;
      drop("no answer from the event bus within " +
           std::to_string(opts.hello_timeout.count()) +
           " ms (is the socket a Salt minion's event bus?)");
    });
  }

  void queue_event(const std::string& tag, const Value& data) {
    out_buf += frame_encode(event_pack(tag, data));
    flush();
  }

  void flush() {
    while (!out_buf.empty() && pull_fd >= 0) {
      ssize_t n = ::send(pull_fd, out_buf.data(), out_buf.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out_buf.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        drop("write to the minion's pull socket failed: " + errno_text(errno));
        return;
      }
    }
  }

  void on_connected() {
    state = State::kConnected;
    if (hello_timer) remove_timer(hello_timer), hello_timer = 0;
    backoff = opts.reconnect_min;
    reported_down = false;
    set_error("");
    self->connected_ = true;
    self->connects_++;
    log(LogLevel::kInfo, "event bus: connected to " + opts.endpoints.describe());
    notify(true, "");
  }

  void dispatch(const Event& ev) {
    if (state == State::kHandshake) {
      if (ev.tag == hello_tag) on_connected();
      return;
    }
    if (ev.tag.rfind("saltgw/hello/", 0) == 0) return;
    std::vector<std::shared_ptr<Handler>> hs;
    for (auto& [id, s] : subs)
      if (tag_matches(ev.tag, s.prefix)) hs.push_back(s.handler);
    for (auto& h : hs) (*h)(ev);
  }

  void read_pub() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(pub_fd, buf, sizeof buf, 0);
      if (n > 0) {
        std::vector<Frame> frames;
        auto st = decoder.feed(std::string_view(buf, static_cast<size_t>(n)), frames);
        int fd_before = pub_fd;
        for (auto& f : frames) {
          auto ev = event_unpack(f.body, opts.limits);
          if (!ev) {
            log(LogLevel::kWarning, "event bus: skipping undecodable event: " + ev.error().message);
            continue;
          }
          dispatch(ev.value());
          if (pub_fd != fd_before) return;  // a handler dropped the connection
        }
        if (!st) {
          drop("bad frame on the minion's pub socket, closing: " + st.error().message);
          return;
        }
        if (static_cast<size_t>(n) < sizeof buf) return;
      } else if (n == 0) {
        drop("the minion closed its pub socket");
        return;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return;
      } else {
        drop("read from the minion's pub socket failed: " + errno_text(errno));
        return;
      }
    }
  }

  void check_pull_readable() {
    char buf[4096];
    ssize_t n = ::recv(pull_fd, buf, sizeof buf, 0);
    if (n == 0) drop("the minion closed its pull socket");
    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      drop("pull socket failed: " + errno_text(errno));
    // Data on the pull socket is unexpected and ignored.
  }

  void run_tasks() {
    uint64_t v;
    [[maybe_unused]] auto r = ::read(wake_fd, &v, sizeof v);
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(mu);
      batch.swap(tasks);
    }
    for (auto& t : batch) t();
  }

  void run_timers() {
    auto now = Clock::now();
    while (!timer_order.empty() && timer_order.begin()->first <= now) {
      uint64_t id = timer_order.begin()->second;
      timer_order.erase(timer_order.begin());
      auto it = timers.find(id);
      if (it == timers.end()) continue;
      auto fn = std::move(it->second.fn);
      timers.erase(it);
      fn();
    }
  }

  void loop() {
    io_thread_id = std::this_thread::get_id();
    // Subscriptions and listeners registered before start() take effect first.
    run_tasks();
    try_connect();
    while (!stopping) {
      int timeout = -1;
      if (!timer_order.empty()) {
        auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
                     timer_order.begin()->first - Clock::now())
                     .count();
        timeout = d < 0 ? 0 : static_cast<int>(std::min<int64_t>(d + 1, 60000));
      }
      pollfd fds[3];
      int n = 0;
      fds[n++] = {wake_fd, POLLIN, 0};
      int pub_idx = -1, pull_idx = -1;
      if (pub_fd >= 0) pub_idx = n, fds[n++] = {pub_fd, POLLIN, 0};
      if (pull_fd >= 0)
        pull_idx = n, fds[n++] = {pull_fd, static_cast<short>(POLLIN | (out_buf.empty() ? 0 : POLLOUT)), 0};
      int rc = ::poll(fds, static_cast<nfds_t>(n), timeout);
      if (rc < 0 && errno != EINTR) {
        log(LogLevel::kError, "event bus: poll failed: " + errno_text(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (rc > 0) {
        // Tasks first: a subscribe() made before an event arrived sees it.
        if (fds[0].revents & POLLIN) run_tasks();
        int pub_now = pub_fd, pull_now = pull_fd;
        if (pub_idx >= 0 && pub_fd == pub_now && (fds[pub_idx].revents & (POLLIN | POLLHUP | POLLERR)))
          read_pub();
        if (pull_idx >= 0 && pull_fd == pull_now && pull_fd >= 0) {
          if (fds[pull_idx].revents & (POLLIN | POLLHUP | POLLERR)) check_pull_readable();
          if (pull_fd == pull_now && pull_fd >= 0 && (fds[pull_idx].revents & POLLOUT)) flush();
        }
      }
      run_timers();
    }
    bool was_up = state == State::kConnected;
    close_fds();
    state = State::kDisconnected;
    self->connected_ = false;
    if (was_up) notify(false, "saltgw is shutting down");
  }
};

EventBus::EventBus(EventBusOptions options) : impl_(std::make_unique<Impl>(this, std::move(options))) {
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

EventBus::~EventBus() {
  stop();
  if (impl_->wake_fd >= 0) ::close(impl_->wake_fd);
}

void EventBus::start() {
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([this] { impl_->loop(); });
}

void EventBus::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  impl_->wake();
  impl_->thread.join();
}

Status EventBus::publish(std::string tag, Value data) {
  if (!connected_) {
    return make_error(ErrorKind::kMinionUnreachable,
                      "the minion's event bus is not connected: " + last_error());
  }
  impl_->run_on_io([this, tag = std::move(tag), data = std::move(data)] {
    if (impl_->state != Impl::State::kConnected) return;  // listeners were told
    impl_->queue_event(tag, data);
  });
  return Ok{};
}

uint64_t EventBus::subscribe(std::string prefix, Handler handler) {
  uint64_t id = impl_->next_id++;
  auto h = std::make_shared<Handler>(std::move(handler));
  impl_->run_on_io([this, id, prefix = std::move(prefix), h] {
    impl_->subs[id] = Impl::Sub{prefix, h};
  });
  return id;
}

void EventBus::unsubscribe(uint64_t id) {
  impl_->run_on_io([this, id] { impl_->subs.erase(id); });
}

uint64_t EventBus::add_state_listener(StateListener listener) {
  uint64_t id = impl_->next_id++;
  auto l = std::make_shared<StateListener>(std::move(listener));
  impl_->run_on_io([this, id, l] { impl_->listeners[id] = l; });
  return id;
}

void EventBus::remove_state_listener(uint64_t id) {
  impl_->run_on_io([this, id] { impl_->listeners.erase(id); });
}

void EventBus::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->tasks.push_back(std::move(fn));
  }
  impl_->wake();
}

uint64_t EventBus::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  uint64_t id = impl_->next_id++;
  auto when = Clock::now() + delay;
  impl_->run_on_io([this, id, when, fn = std::move(fn)]() mutable {
    impl_->add_timer(id, when, std::move(fn));
  });
  return id;
}

void EventBus::cancel_timer(uint64_t id) {
  impl_->run_on_io([this, id] { impl_->remove_timer(id); });
}

std::string EventBus::last_error() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_error;
}

bool EventBus::on_io_thread() const { return impl_->on_io(); }

}  // namespace saltgw::salt_ipc
