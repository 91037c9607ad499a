// Unit tests for salt_ipc/event_bus.h against a fake minion event bus.
//
// FakeBus stands in for the minion: two listening stream sockets (unix in a
// temp dir, or TCP on 127.0.0.1). Everything framed into the "pull" socket is
// re-published, re-framed, to every client of the "pub" socket, which is what
// the minion's event publisher does. It can also stay silent (a non-Salt
// listener), dribble its output one byte at a time, or inject raw bytes.
#include "salt_ipc/event_bus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "salt_ipc/event.h"
#include "salt_ipc/frame.h"

namespace saltgw::salt_ipc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `cond` until it holds or `timeout` passes.
template <class F>
bool wait_until(F cond, std::chrono::milliseconds timeout = 1500ms) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return cond();
}

int listen_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) {
    ::close(fd);
    return -1;
  }
  std::memcpy(sa.sun_path, path.data(), path.size());
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Listens on 127.0.0.1:`port` (0 picks a free port); stores the port used.
int listen_tcp(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin_port);
  return fd;
}

class FakeBus {
 public:
  FakeBus(std::string dir, bool tcp) : tcp_(tcp) {
    pub_path_ = dir + "/pub.ipc";
    pull_path_ = dir + "/pull.ipc";
  }
  ~FakeBus() { stop(); }
  FakeBus(const FakeBus&) = delete;
  FakeBus& operator=(const FakeBus&) = delete;

  // Starts listening (again, after stop(): same paths / ports).
  bool start() {
    if (tcp_) {
      pub_listen_ = listen_tcp(pub_port_);
      pull_listen_ = listen_tcp(pull_port_);
    } else {
      pub_listen_ = listen_unix(pub_path_);
      pull_listen_ = listen_unix(pull_path_);
    }
    if (pub_listen_ < 0 || pull_listen_ < 0) return false;
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
    return true;
  }

  // Stops the server: every connection and listener is closed, paths unlinked.
  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake();
    thread_.join();
    for (int fd : pub_clients_) ::close(fd);
    for (auto& [fd, dec] : pull_clients_) ::close(fd);
    pub_clients_.clear();
    pull_clients_.clear();
    pub_client_count_ = 0;
    ::close(pub_listen_);
    ::close(pull_listen_);
    ::close(wake_fd_);
    pub_listen_ = pull_listen_ = wake_fd_ = -1;
    if (!tcp_) {
      ::unlink(pub_path_.c_str());
      ::unlink(pull_path_.c_str());
    }
  }

  BusEndpoints endpoints() const {
    BusEndpoints e;
    e.tcp = tcp_;
    e.pub_path = pub_path_;
    e.pull_path = pull_path_;
    e.pub_port = pub_port_;
    e.pull_port = pull_port_;
    return e;
  }

  void set_echo(bool on) { echo_ = on; }
  void set_split(bool on) { split_ = on; }

  // Sends raw bytes to every pub client (from the server thread).
  void inject(std::string bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      injected_.push_back(std::move(bytes));
    }
    wake();
  }

  // Bodies of every frame received on the pull side, in order.
  std::vector<std::string> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  size_t pull_accepts() const { return pull_accepts_.load(); }
  size_t pub_clients() const { return pub_client_count_.load(); }

 private:
  void wake() {
    uint64_t one = 1;
    if (wake_fd_ >= 0) {
      [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
    }
  }

  void send_all(int fd, std::string_view bytes) {
    size_t chunk = split_ ? 1 : bytes.size();
    for (size_t off = 0; off < bytes.size();) {
      ssize_t n = ::send(fd, bytes.data() + off, std::min(chunk, bytes.size() - off), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return;  // the client went away; the poll loop notices
      }
      off += static_cast<size_t>(n);
      if (split_) std::this_thread::sleep_for(300us);
    }
  }

  void publish(std::string_view bytes) {
    for (int fd : pub_clients_) send_all(fd, bytes);
  }

  void loop() {
    while (!stopping_) {
      std::vector<pollfd> fds;
      fds.push_back({wake_fd_, POLLIN, 0});
      fds.push_back({pub_listen_, POLLIN, 0});
      fds.push_back({pull_listen_, POLLIN, 0});
      for (int fd : pub_clients_) fds.push_back({fd, POLLIN, 0});
      for (auto& [fd, dec] : pull_clients_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 100) <= 0) continue;

      std::vector<int> dead_pub, dead_pull;
      char buf[65536];
      for (size_t i = 3; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        int fd = fds[i].fd;
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        bool is_pull = pull_clients_.count(fd) > 0;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          (is_pull ? dead_pull : dead_pub).push_back(fd);
          continue;
        }
        if (n < 0 || !is_pull) continue;  // data from a pub client is ignored
        std::vector<Frame> frames;
        auto st = pull_clients_[fd]->feed(std::string_view(buf, static_cast<size_t>(n)), frames);
        for (auto& f : frames) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            received_.push_back(f.body);
          }
          if (echo_) publish(frame_encode(f.body));
        }
        if (!st) dead_pull.push_back(fd);
      }
      for (int fd : dead_pub) {
        ::close(fd);
        std::erase(pub_clients_, fd);
      }
      for (int fd : dead_pull) {
        ::close(fd);
        pull_clients_.erase(fd);
      }
      pub_client_count_ = pub_clients_.size();

      // Accept pub clients before pull clients so that a client's pub socket
      // is registered before anything it pushes is re-published.
      if (fds[1].revents & POLLIN) {
        int c = ::accept4(pub_listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) pub_clients_.push_back(c);
        pub_client_count_ = pub_clients_.size();
      }
      if (fds[2].revents & POLLIN) {
        int c = ::accept4(pull_listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          pull_clients_[c] = std::make_unique<FrameDecoder>();
          ++pull_accepts_;
        }
      }
      if (fds[0].revents & POLLIN) {
        uint64_t v;
        [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
        std::vector<std::string> batch;
        {
          std::lock_guard<std::mutex> lock(mu_);
          batch.swap(injected_);
        }
        for (const auto& b : batch) publish(b);
      }
    }
  }

  bool tcp_;
  std::string pub_path_, pull_path_;
  int pub_port_ = 0, pull_port_ = 0;
  int pub_listen_ = -1, pull_listen_ = -1, wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> echo_{true};
  std::atomic<bool> split_{false};
  std::atomic<size_t> pull_accepts_{0};
  std::atomic<size_t> pub_client_count_{0};
  // Server thread only:
  std::vector<int> pub_clients_;
  std::map<int, std::unique_ptr<FrameDecoder>> pull_clients_;
  // Guarded by mu_:
  std::mutex mu_;
  std::vector<std::string> injected_;
  std::vector<std::string> received_;
};

// Collects what handlers and listeners see (they run on the I/O thread).
struct Recorder {
  std::mutex mu;
  std::vector<Event> events;
  std::vector<std::pair<bool, std::string>> states;
  std::atomic<bool> wrong_thread{false};

  EventBus::Handler handler(EventBus& bus) {
    return [this, &bus](const Event& ev) {
      if (!bus.on_io_thread()) wrong_thread = true;
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(ev);
    };
  }
  EventBus::StateListener listener(EventBus& bus) {
    return [this, &bus](bool up, const std::string& reason) {
      if (!bus.on_io_thread()) wrong_thread = true;
      std::lock_guard<std::mutex> lock(mu);
      states.emplace_back(up, reason);
    };
  }
  size_t event_count() {
    std::lock_guard<std::mutex> lock(mu);
    return events.size();
  }
  std::vector<Event> events_copy() {
    std::lock_guard<std::mutex> lock(mu);
    return events;
  }
  std::vector<std::pair<bool, std::string>> states_copy() {
    std::lock_guard<std::mutex> lock(mu);
    return states;
  }
  std::vector<std::pair<bool, std::string>> states_since(size_t base) {
    std::lock_guard<std::mutex> lock(mu);
    if (base >= states.size()) return {};
    return {states.begin() + static_cast<std::ptrdiff_t>(base), states.end()};
  }
  bool saw_tag(const std::string& tag) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : events)
      if (e.tag == tag) return true;
    return false;
  }
};

class EventBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "saltgw_bus_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    fake_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  FakeBus& fake(bool tcp = false) {
    if (!fake_) fake_ = std::make_unique<FakeBus>(dir_, tcp);
    return *fake_;
  }

  EventBusOptions options(const BusEndpoints& ep) {
    EventBusOptions o;
    o.endpoints = ep;
    o.reconnect_min = 10ms;
    o.reconnect_max = 100ms;
    o.hello_timeout = 250ms;
    return o;
  }

  // Starts `bus` and waits for the hello round trip.
  static bool start_and_connect(EventBus& bus) {
    bus.start();
    return wait_until([&] { return bus.connected(); });
  }

  // Returns once everything queued so far on the I/O thread has run.
  static bool sync(EventBus& bus) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    bus.post([done] { *done = true; });
    return wait_until([&] { return done->load(); });
  }

  std::string dir_;
  std::unique_ptr<FakeBus> fake_;
};

TEST_F(EventBusTest, NotConnectedBeforeStart) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  EXPECT_FALSE(bus.connected());
  EXPECT_EQ(bus.connects(), 0u);
  EXPECT_FALSE(bus.last_error().empty());
  auto st = bus.publish("salt/test", Value(Map{}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kMinionUnreachable);
}

TEST_F(EventBusTest, ConnectsAfterHelloRoundTrip) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  EXPECT_EQ(bus.connects(), 1u);
  EXPECT_TRUE(bus.last_error().empty()) << bus.last_error();
  EXPECT_FALSE(bus.on_io_thread());

  // The hello went through the pull socket as a framed Salt event.
  auto got = fake().received();
  ASSERT_FALSE(got.empty());
  auto hello = event_unpack(got[0]);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_TRUE(tag_matches(hello->tag, "saltgw/hello/")) << hello->tag;

  ASSERT_TRUE(sync(bus));
  for (const auto& [up, reason] : rec.states_copy()) EXPECT_TRUE(up) << reason;
  EXPECT_FALSE(rec.wrong_thread);
}

// A listener added before start() must hear the first connect: calls made
// from one thread take effect in order. Repeated because the window is small.
TEST_F(EventBusTest, StateListenerAddedBeforeStartHearsFirstConnect) {
  ASSERT_TRUE(fake().start());
  int missed = 0;
  for (int i = 0; i < 30; ++i) {
    Recorder rec;
    EventBus bus(options(fake().endpoints()));
    bus.add_state_listener(rec.listener(bus));
    ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
    ASSERT_TRUE(sync(bus));
    auto states = rec.states_copy();
    if (states.empty() || !states[0].first) ++missed;
  }
  EXPECT_EQ(missed, 0) << missed << " of 30 listeners missed the first connect";
}

TEST_F(EventBusTest, PublishAndSubscribeWithPrefixMatching) {
  ASSERT_TRUE(fake().start());
  Recorder jobs, other, all;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/job/", jobs.handler(bus));
  bus.subscribe("other/", other.handler(bus));
  bus.subscribe("", all.handler(bus));

  Value data(Map{{"fun", Value("test.ping")}, {"return", Value(true)}});
  ASSERT_TRUE(bus.publish("salt/job/20240101120000123456/ret/m1", data).ok());
  ASSERT_TRUE(bus.publish("salt/jobs/x", Value(Map{})).ok());
  ASSERT_TRUE(bus.publish("other/thing", Value(Map{{"n", Value(1)}})).ok());

  ASSERT_TRUE(wait_until([&] { return all.event_count() >= 3; }));
  ASSERT_TRUE(wait_until([&] { return jobs.event_count() >= 1 && other.event_count() >= 1; }));
  std::this_thread::sleep_for(20ms);  // let any stray delivery show up

  auto j = jobs.events_copy();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(j[0].data, data);
  auto o = other.events_copy();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].tag, "other/thing");
  auto a = all.events_copy();
  ASSERT_EQ(a.size(), 3u);  // the hello round trip is not delivered to subscribers
  EXPECT_EQ(a[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(a[1].tag, "salt/jobs/x");
  EXPECT_EQ(a[2].tag, "other/thing");
  EXPECT_FALSE(jobs.wrong_thread || other.wrong_thread || all.wrong_thread);

  // What reached the minion is a Salt event: tag "\n\n" msgpack.
  bool found = false;
  for (const auto& body : fake().received()) {
    auto ev = event_unpack(body);
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    if (ev->tag == "salt/job/20240101120000123456/ret/m1") {
      found = true;
      EXPECT_EQ(ev->data, data);
      EXPECT_EQ(body.substr(0, ev->tag.size() + 2), ev->tag + "\n\n");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EventBusTest, SubscribeThenPublishFromSameThreadIsOrdered) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  for (int i = 0; i < 20; ++i) {
    Recorder rec;
    std::string tag = "salt/order/" + std::to_string(i);
    uint64_t id = bus.subscribe(tag, rec.handler(bus));
    ASSERT_TRUE(bus.publish(tag, Value(Map{})).ok());
    EXPECT_TRUE(wait_until([&] { return rec.saw_tag(tag); })) << tag;
    bus.unsubscribe(id);
    // Make sure the unsubscribe took effect before `rec` goes away.
    std::atomic<bool> done{false};
    bus.post([&] { done = true; });
    ASSERT_TRUE(wait_until([&] { return done.load(); }));
  }
}

TEST_F(EventBusTest, UnsubscribeStopsDelivery) {
  ASSERT_TRUE(fake().start());
  Recorder gone, sentinel;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  uint64_t id = bus.subscribe("salt/", gone.handler(bus));
  bus.subscribe("salt/", sentinel.handler(bus));
  ASSERT_TRUE(bus.publish("salt/one", Value(Map{})).ok());
  ASSERT_TRUE(wait_until([&] { return gone.event_count() == 1 && sentinel.event_count() == 1; }));
  bus.unsubscribe(id);
  ASSERT_TRUE(bus.publish("salt/two", Value(Map{})).ok());
  ASSERT_TRUE(wait_until([&] { return sentinel.event_count() == 2; }));
  EXPECT_EQ(gone.event_count(), 1u);
}

TEST_F(EventBusTest, EventsFromTheMinionAreDelivered) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/job/", rec.handler(bus));
  ASSERT_TRUE(sync(bus));

  Value data(Map{{"jid", Value("20240101120000123456")}, {"return", Value(List{Value(1)})}});
  fake().inject(frame_encode(event_pack("salt/job/20240101120000123456/ret/m1", data)) +
                frame_encode(event_pack("unrelated/tag", Value(Map{}))) +
                frame_encode(event_pack("salt/job/20240101120000123457/ret/m1", data)));
  ASSERT_TRUE(wait_until([&] { return rec.event_count() >= 2; }));
  auto ev = rec.events_copy();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].tag, "salt/job/20240101120000123456/ret/m1");
  EXPECT_EQ(ev[0].data, data);
  EXPECT_EQ(ev[1].tag, "salt/job/20240101120000123457/ret/m1");
}

TEST_F(EventBusTest, EventsSplitByteByByte) {
  fake().set_split(true);
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  // The hello itself comes back one byte at a time.
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", rec.handler(bus));
  ASSERT_TRUE(sync(bus));
  Value data(Map{{"text", Value(std::string(100, 'x'))}, {"bin", Value(Bytes{std::string("\x00\x01", 2)})}});
  ASSERT_TRUE(bus.publish("salt/split/1", data).ok());
  fake().inject(frame_encode(event_pack("salt/split/2", data)));
  ASSERT_TRUE(wait_until([&] { return rec.event_count() >= 2; }));
  auto ev = rec.events_copy();
  ASSERT_EQ(ev.size(), 2u);
  // Order between the two is not fixed (one came through the pull socket).
  for (const auto& e : ev) {
    EXPECT_TRUE(e.tag == "salt/split/1" || e.tag == "salt/split/2") << e.tag;
    EXPECT_EQ(e.data, data);
  }
  EXPECT_EQ(bus.connects(), 1u);
}

TEST_F(EventBusTest, MalformedFrameDropsAndReconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec, events;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  ASSERT_EQ(bus.connects(), 1u);
  bus.subscribe("salt/", events.handler(bus));
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();

  fake().inject(std::string("\xc1", 1));  // never valid msgpack
  ASSERT_TRUE(wait_until([&] { return bus.connects() >= 2; })) << bus.last_error();
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 2; }));
  EXPECT_TRUE(bus.connected());
  auto states = rec.states_since(base);
  ASSERT_EQ(states.size(), 2u);
  EXPECT_FALSE(states[0].first);
  EXPECT_NE(states[0].second.find("frame"), std::string::npos) << states[0].second;
  EXPECT_TRUE(states[1].first);

  // Still works after the reconnect.
  ASSERT_TRUE(bus.publish("salt/after", Value(Map{})).ok());
  EXPECT_TRUE(wait_until([&] { return events.saw_tag("salt/after"); }));
}

TEST_F(EventBusTest, FrameThatIsNotAMapDropsAndReconnects) {
  ASSERT_TRUE(fake().start());
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  fake().inject(msgpack_encode(Value(List{Value("head"), Value("body")})));
  ASSERT_TRUE(wait_until([&] { return bus.connects() >= 2 && bus.connected(); }))
      << bus.last_error();
}

TEST_F(EventBusTest, UndecodableEventInAGoodFrameIsSkipped) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("", rec.handler(bus));
  ASSERT_TRUE(sync(bus));
  fake().inject(frame_encode("short") + frame_encode("salt/bad\n\n\xc1") +
                frame_encode(event_pack("salt/good", Value(Map{}))));
  ASSERT_TRUE(wait_until([&] { return rec.saw_tag("salt/good"); }));
  EXPECT_EQ(rec.event_count(), 1u);
  EXPECT_EQ(bus.connects(), 1u);
  EXPECT_TRUE(bus.connected());
}

TEST_F(EventBusTest, ServerRestartNotifiesAndReconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec, events;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", events.handler(bus));
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();

  fake().stop();
  ASSERT_TRUE(wait_until([&] { return !bus.connected(); }));
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 1; }));
  auto states = rec.states_since(base);
  EXPECT_FALSE(states[0].first);
  EXPECT_FALSE(states[0].second.empty());
  EXPECT_FALSE(bus.last_error().empty());
  auto st = bus.publish("salt/while/down", Value(Map{}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kMinionUnreachable);

  ASSERT_TRUE(fake().start());
  ASSERT_TRUE(wait_until([&] { return bus.connected(); })) << bus.last_error();
  EXPECT_EQ(bus.connects(), 2u);
  ASSERT_TRUE(wait_until([&] { return rec.states_since(base).size() >= 2; }));
  states = rec.states_since(base);
  EXPECT_EQ(states.size(), 2u);  // failed reconnect attempts are not reported again
  EXPECT_TRUE(states[1].first);
  EXPECT_FALSE(rec.wrong_thread);

  ASSERT_TRUE(bus.publish("salt/after/restart", Value(Map{})).ok());
  EXPECT_TRUE(wait_until([&] { return events.saw_tag("salt/after/restart"); }));
}

TEST_F(EventBusTest, NonSaltListenerNeverCountsAsConnected) {
  fake().set_echo(false);
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  bus.start();
  // Wait for a couple of hello attempts to time out.
  ASSERT_TRUE(wait_until([&] { return fake().pull_accepts() >= 2; }, 1800ms));
  EXPECT_FALSE(bus.connected());
  EXPECT_EQ(bus.connects(), 0u);
  std::string why = bus.last_error();
  EXPECT_NE(why.find("no answer"), std::string::npos) << why;
  EXPECT_NE(why.find("Salt"), std::string::npos) << why;
  for (const auto& [up, reason] : rec.states_copy()) EXPECT_FALSE(up) << reason;
  EXPECT_FALSE(bus.publish("salt/x", Value(Map{})).ok());
}

TEST_F(EventBusTest, NothingListeningExplainsWhy) {
  BusEndpoints ep;
  ep.pub_path = dir_ + "/nothing_pub.ipc";
  ep.pull_path = dir_ + "/nothing_pull.ipc";
  EventBus bus(options(ep));
  bus.start();
  ASSERT_TRUE(wait_until([&] { return bus.last_error().find(ep.pub_path) != std::string::npos; }))
      << bus.last_error();
  EXPECT_NE(bus.last_error().find("connect"), std::string::npos) << bus.last_error();
  EXPECT_NE(bus.last_error().find(ep.pub_path), std::string::npos) << bus.last_error();
  EXPECT_FALSE(bus.connected());
}

TEST_F(EventBusTest, TcpMode) {
  ASSERT_TRUE(fake(/*tcp=*/true).start());
  BusEndpoints ep = fake().endpoints();
  ASSERT_TRUE(ep.tcp);
  ASSERT_NE(ep.pub_port, 0);
  Recorder rec;
  EventBus bus(options(ep));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.subscribe("salt/", rec.handler(bus));
  ASSERT_TRUE(bus.publish("salt/tcp", Value(Map{{"a", Value(1)}})).ok());
  EXPECT_TRUE(wait_until([&] { return rec.saw_tag("salt/tcp"); }));
}

TEST_F(EventBusTest, StopNotifiesListenersAndDisconnects) {
  ASSERT_TRUE(fake().start());
  Recorder rec;
  EventBus bus(options(fake().endpoints()));
  bus.add_state_listener(rec.listener(bus));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  ASSERT_TRUE(sync(bus));
  size_t base = rec.states_copy().size();
  bus.stop();
  EXPECT_FALSE(bus.connected());
  auto states = rec.states_since(base);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].first);
  EXPECT_TRUE(wait_until([&] { return fake().pub_clients() == 0; }));
}

TEST_F(EventBusTest, RemovedStateListenerIsNotCalled) {
  ASSERT_TRUE(fake().start());
  Recorder kept, removed;
  EventBus bus(options(fake().endpoints()));
  ASSERT_TRUE(start_and_connect(bus)) << bus.last_error();
  bus.add_state_listener(kept.listener(bus));
  uint64_t id = bus.add_state_listener(removed.listener(bus));
  bus.remove_state_listener(id);
  ASSERT_TRUE(sync(bus));
  fake().inject(std::string("\xc1", 1));  // force a drop and a reconnect
  ASSERT_TRUE(wait_until([&] { return kept.states_copy().size() >= 2; }));
  EXPECT_FALSE(kept.states_copy()[0].first);
  EXPECT_TRUE(kept.states_copy()[1].first);
  EXPECT_TRUE(removed.states_copy().empty());
}

// ---- post / post_after / cancel_timer (no server needed) ----

class EventBusTasksTest : public EventBusTest {
 protected:
  BusEndpoints nowhere() {
    BusEndpoints ep;
    ep.pub_path = dir_ + "/none_pub.ipc";
    ep.pull_path = dir_ + "/none_pull.ipc";
    return ep;
  }
};

struct Log {
  std::mutex mu;
  std::vector<std::string> items;
  void add(std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    items.push_back(std::move(s));
  }
  std::vector<std::string> copy() {
    std::lock_guard<std::mutex> lock(mu);
    return items;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return items.size();
  }
};

TEST_F(EventBusTasksTest, PostRunsInOrderOnIoThread) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  std::atomic<bool> wrong_thread{false};
  for (int i = 0; i < 100; ++i) {
    bus.post([&, i] {
      if (!bus.on_io_thread()) wrong_thread = true;
      log.add(std::to_string(i));
    });
  }
  ASSERT_TRUE(wait_until([&] { return log.size() == 100; }));
  auto items = log.copy();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(items[i], std::to_string(i));
  EXPECT_FALSE(wrong_thread);
}

TEST_F(EventBusTasksTest, PostFromIoThreadRunsAfterCurrentTask) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  bus.post([&] {
    bus.post([&] { log.add("inner"); });
    log.add("outer");
  });
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"outer", "inner"}));
}

TEST_F(EventBusTasksTest, RunAndWaitFromAnotherThreadRunsOnTheIoThreadAndWaits) {
  EventBus bus(options(nowhere()));
  bus.start();
  bool on_io = false, ran = false;
  ASSERT_TRUE(bus.run_and_wait([&] { on_io = bus.on_io_thread(); ran = true; }, 5s));
  EXPECT_TRUE(ran);  // finished before run_and_wait returned
  EXPECT_TRUE(on_io);
}

// A strategy's cancel() called from a job's callback (on the I/O thread) used
// to post and then wait for itself: five seconds lost, false returned, and
// the cancel done only afterwards.
TEST_F(EventBusTasksTest, RunAndWaitOnTheIoThreadRunsAtOnce) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  std::atomic<bool> returned{false}, result{false};
  bus.post([&] {
    result = bus.run_and_wait([&] { log.add("inner"); }, 5s);
    log.add("after");
    returned = true;
  });
  ASSERT_TRUE(wait_until([&] { return returned.load(); }));
  EXPECT_TRUE(result);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"inner", "after"}));
}

TEST_F(EventBusTasksTest, RunAndWaitGivesUpAfterItsLimitAndTheTaskStillRuns) {
  EventBus bus(options(nowhere()));
  bus.start();
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<bool> late{false};
  bus.post([released] { released.wait(); });  // keeps the I/O thread busy
  EXPECT_FALSE(bus.run_and_wait([&] { late = true; }, 50ms));
  release.set_value();
  ASSERT_TRUE(wait_until([&] { return late.load(); }));
}

TEST_F(EventBusTasksTest, PostAfterFiresInDeadlineOrderAndNotEarly) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  auto t0 = Clock::now();
  std::atomic<int64_t> first_ms{-1};
  bus.post_after(90ms, [&] { log.add("90"); });
  bus.post_after(30ms, [&] {
    first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    log.add("30");
  });
  bus.post_after(60ms, [&] { log.add("60"); });
  ASSERT_TRUE(wait_until([&] { return log.size() == 3; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"30", "60", "90"}));
  EXPECT_GE(first_ms.load(), 30);
}

TEST_F(EventBusTasksTest, PostBeforePostAfterZero) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  bus.post([&] { log.add("post"); });
  bus.post_after(0ms, [&] { log.add("timer"); });
  ASSERT_TRUE(wait_until([&] { return log.size() == 2; }));
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"post", "timer"}));
}

TEST_F(EventBusTasksTest, CancelledTimerNeverRuns) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t id = bus.post_after(30ms, [&] { log.add("cancelled"); });
  bus.cancel_timer(id);
  bus.post_after(80ms, [&] { log.add("sentinel"); });
  ASSERT_TRUE(wait_until([&] { return log.size() >= 1; }));
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"sentinel"}));
}

TEST_F(EventBusTasksTest, CancelFromIoThreadAndCancelUnknownId) {
  Log log;
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t id = bus.post_after(40ms, [&] { log.add("cancelled"); });
  bus.post([&] { bus.cancel_timer(id); });
  bus.cancel_timer(987654321);  // unknown: harmless
  bus.post_after(70ms, [&] { log.add("sentinel"); });
  ASSERT_TRUE(wait_until([&] { return log.size() >= 1; }));
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(log.copy(), (std::vector<std::string>{"sentinel"}));
}

TEST_F(EventBusTasksTest, TimerIdsAreDistinct) {
  EventBus bus(options(nowhere()));
  bus.start();
  uint64_t a = bus.post_after(1000ms, [] {});
  uint64_t b = bus.post_after(1000ms, [] {});
  EXPECT_NE(a, b);
  bus.cancel_timer(a);
  bus.cancel_timer(b);
}

TEST_F(EventBusTasksTest, StopAndDestroyWithPendingTimers) {
  auto bus = std::make_unique<EventBus>(options(nowhere()));
  bus->start();
  std::atomic<bool> ran{false};
  bus->post_after(10000ms, [&] { ran = true; });
  auto t0 = Clock::now();
  bus.reset();
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace saltgw::salt_ipc
