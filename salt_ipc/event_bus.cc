#include "salt_ipc/event_bus.h"

#include <future>

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
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "salt_ipc/frame.h"
#include "salt_ipc/log.h"
#include "salt_ipc/zmq_bus.h"

namespace saltgw::salt_ipc {

using Clock = std::chrono::steady_clock;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Connects a stream socket without ever blocking the I/O thread for long: a
// minion that is wedged (socket file present, nobody accepting) must not
// stall every job. Non-blocking connect; unix sockets fail at once with
// EAGAIN when the listener's backlog is full, TCP gets `timeout` to finish.
Result<int> connect_stream(const BusEndpoints& ep, bool pub,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(500)) {
  int fd = -1;
  std::string where;
  int rc;
  if (ep.tcp) {
    int port = pub ? ep.pub_port : ep.pull_port;
    where = ep.host + ":" + std::to_string(port);
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return make_error(ErrorKind::kMinionUnreachable, "socket: " + errno_text(errno));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ep.host.c_str(), &sa.sin_addr);
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    const std::string& path = pub ? ep.pub_path : ep.pull_path;
    where = path;
    sockaddr_un sa{};
    if (path.size() >= sizeof sa.sun_path)
      return make_error(ErrorKind::kConfig, "socket path too long: " + path);
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return make_error(ErrorKind::kMinionUnreachable, "socket: " + errno_text(errno));
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof err;
    if (n == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      rc = 0;
    } else {
      errno = n == 0 ? ETIMEDOUT : (err ? err : errno);
    }
  }
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    std::string why = e == EAGAIN ? "the listener accepts no connections (minion busy or hung?)" : errno_text(e);
    return make_error(ErrorKind::kMinionUnreachable, "connect " + where + ": " + why);
  }
  return fd;
}

// How long to wait, right after connecting, for a ZeroMQ peer's greeting
// (0xFF ... 0x7F): Salt 2015.8 and older serve the bus with ZeroMQ.
constexpr std::chrono::milliseconds kGreetingWait{100};
// When the plain hello has not come back after this long, also try the
// length-prefixed framing (Salt 3007+ transport) on a second pull connection.
constexpr std::chrono::milliseconds kPrefixProbeDelay{300};
// ZeroMQ PUB drops messages until the subscription has propagated ("slow
// joiner"): repeat the hello this often until it comes back.
constexpr std::chrono::milliseconds kZmqHelloRepeat{200};

std::string prefixed_hello_frame(const std::string& tag) {
  return frame_encode_length_prefixed(event_pack(tag, Value(Map{{"saltgw", Value("hello")}})));
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
  std::atomic<std::thread::id> io_thread_id{};
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
  // Push framing probe (see kPrefixProbeDelay).
  bool push_prefixed = false;
  int probe_fd = -1;  // second pull connection, carrying the length-prefixed hello
  std::string hello_tag_prefixed;
  uint64_t probe_timer = 0;
  // Legacy ZeroMQ bus, when the minion has one (see kGreetingWait).
  std::unique_ptr<LegacyZmqBus> zmq;
  uint64_t zmq_hello_timer = 0;
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

  bool on_io() const { return std::this_thread::get_id() == io_thread_id.load(); }

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
    if (probe_fd >= 0) ::close(probe_fd);
    pub_fd = pull_fd = probe_fd = -1;
    if (probe_timer) remove_timer(probe_timer), probe_timer = 0;
    zmq.reset();
    if (zmq_hello_timer) remove_timer(zmq_hello_timer), zmq_hello_timer = 0;
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
    auto pub = connect_stream(opts.endpoints, true, std::chrono::milliseconds(500));
    if (!pub) {
      drop(pub.error().message);
      return;
    }
    pub_fd = pub.value();
    if (probe_greeting(pub_fd, kGreetingWait) == PeerGreeting::kZmtp) {
      ::close(pub_fd);
      pub_fd = -1;
      connect_zmq();
      return;
    }
    auto pull = connect_stream(opts.endpoints, false, std::chrono::milliseconds(500));
    if (!pull) {
      drop(pull.error().message);
      return;
    }
    pull_fd = pull.value();
    state = State::kHandshake;
    // Prove the far side is a Salt bus: what we push must come back published.
    push_prefixed = false;
    hello_tag = "saltgw/hello/" + random_token();
    queue_event(hello_tag, Value(Map{{"saltgw", Value("hello")}}));
    probe_timer = timer_in(kPrefixProbeDelay, [this] {
      probe_timer = 0;
      send_prefixed_hello();
    });
    hello_timer = timer_in(opts.hello_timeout, [this] {
      hello_timer = 0;
      drop("no answer from the event bus within " +
           std::to_string(opts.hello_timeout.count()) +
           " ms (is the socket a Salt minion's event bus?)");
    });
  }

  // The minion's bus is a legacy ZeroMQ one: open it and say hello.
  void connect_zmq() {
    zmq = std::make_unique<LegacyZmqBus>();
    if (auto st = zmq->open(opts.endpoints); !st) {
      drop(st.error().message);
      return;
    }
    state = State::kHandshake;
    hello_tag = "saltgw/hello/" + random_token();
    send_zmq_hello();
    hello_timer = timer_in(opts.hello_timeout, [this] {
      hello_timer = 0;
      drop("no answer from the legacy ZeroMQ event bus within " +
           std::to_string(opts.hello_timeout.count()) + " ms");
    });
  }

  void send_zmq_hello() {
    zmq_hello_timer = 0;
    if (!zmq || state != State::kHandshake) return;
    queue_event(hello_tag, Value(Map{{"saltgw", Value("hello")}}));
    zmq_hello_timer = timer_in(kZmqHelloRepeat, [this] { send_zmq_hello(); });
  }

  void read_zmq() {
    std::vector<std::string> msgs;
    Status st = zmq->receive(msgs);
    LegacyZmqBus* current = zmq.get();
    for (auto& m : msgs) {
      auto ev = event_unpack(m, opts.limits);
      if (!ev) {
        log(LogLevel::kWarning, "event bus: skipping undecodable event: " + ev.error().message);
        continue;
      }
      dispatch(ev.value());
      if (zmq.get() != current) return;  // a handler dropped the connection
    }
    if (!st) drop(st.error().message);
  }

  // The plain hello got no answer yet: try the length-prefixed framing on a
  // second pull connection (see kPrefixProbeDelay).
  void send_prefixed_hello() {
    if (state != State::kHandshake || probe_fd >= 0) return;
    auto conn = connect_stream(opts.endpoints, false);
    if (!conn) {
      log(LogLevel::kDebug, "event bus: prefixed-hello probe: " + conn.error().message);
      return;
    }
    probe_fd = conn.value();
    hello_tag_prefixed = "saltgw/hello/" + random_token();
    std::string f = prefixed_hello_frame(hello_tag_prefixed);
    // A fresh socket takes a few hundred bytes at once; if not, no probe.
    ssize_t n = ::send(probe_fd, f.data(), f.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(f.size())) {
      ::close(probe_fd);
      probe_fd = -1;
    }
  }

  void queue_event(const std::string& tag, const Value& data) {
    std::string body = event_pack(tag, data);
    if (zmq) {  // one single-part message per event, no frame
      if (auto st = zmq->send(std::move(body)); !st) drop(st.error().message);
      return;
    }
    out_buf += push_prefixed ? frame_encode_length_prefixed(body) : frame_encode(body);
    flush();
  }

  void flush() {
    if (zmq) {
      if (auto st = zmq->flush(); !st) drop(st.error().message);
      return;
    }
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
    if (probe_timer) remove_timer(probe_timer), probe_timer = 0;
    if (zmq_hello_timer) remove_timer(zmq_hello_timer), zmq_hello_timer = 0;
    backoff = opts.reconnect_min;
    reported_down = false;
    set_error("");
    self->connected_ = true;
    self->connects_++;
    log(LogLevel::kInfo, "event bus: connected to " + opts.endpoints.describe() + "; framing: " +
                             (zmq ? std::string("legacy ZeroMQ (single-part messages, Salt 2015.8 and older)")
                                  : std::string("push ") + (push_prefixed ? "length-prefixed" : "plain") +
                                        ", pub " + (decoder.length_prefixed() ? "length-prefixed" : "plain")));
    notify(true, "");
  }

  void dispatch(const Event& ev) {
    if (state == State::kHandshake) {
      if (ev.tag == hello_tag) {
        // Plain framing: the probe connection (if any) is not needed.
        if (probe_fd >= 0) ::close(probe_fd), probe_fd = -1;
        on_connected();
      } else if (!hello_tag_prefixed.empty() && ev.tag == hello_tag_prefixed && probe_fd >= 0) {
        // Length-prefixed framing: the probe connection becomes the pull
        // connection; the first one holds an unread plain hello and is closed.
        ::close(pull_fd);
        pull_fd = probe_fd;
        probe_fd = -1;
        out_buf.clear();
        push_prefixed = true;
        on_connected();
      }
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
      if (zmq && zmq->has_queued()) timeout = timeout < 0 ? 10 : std::min(timeout, 10);
      pollfd fds[5];
      int n = 0;
      fds[n++] = {wake_fd, POLLIN, 0};
      if (zmq)
        for (int zfd : zmq->poll_fds()) fds[n++] = {zfd, POLLIN, 0};
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
      // ZeroMQ's descriptors only hint; look every time round (cheap).
      if (zmq && zmq->has_queued()) flush();
      if (zmq) read_zmq();
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

bool EventBus::run_and_wait(std::function<void()> fn, std::chrono::milliseconds limit) {
  if (on_io_thread()) {
    fn();
    return true;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  post([fn = std::move(fn), done]() {
    fn();
    done->set_value();
  });
  return fut.wait_for(limit) == std::future_status::ready;
}

}  // namespace saltgw::salt_ipc
