// Shared by the unit tests of salt_ipc/event_bus.h (event_bus_test.cc: the
// connection and events; event_bus_tasks_test.cc: posts and timers): a fake
// minion event bus and the test fixture.
//
// FakeBus stands in for the minion: two listening stream sockets (unix in a
// temp dir, or TCP on 127.0.0.1). Everything framed into the "pull" socket is
// re-published, re-framed, to every client of the "pub" socket, which is what
// the minion's event publisher does. It can also stay silent (a non-Salt
// listener), dribble its output one byte at a time, or inject raw bytes.
#pragma once

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

namespace saltgw::salt_ipc::bus_test {

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

inline int listen_unix(const std::string& path) {
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
inline int listen_tcp(int& port) {
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

}  // namespace saltgw::salt_ipc::bus_test
