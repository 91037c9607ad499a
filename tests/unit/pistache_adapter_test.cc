// rest/http/pistache_adapter.h: pins the Pistache version and the behaviour
// saltgw relies on (see the limitations listed in that header). When Debian
// ships another Pistache, these fail first: read the header again then.
#include "rest/http/pistache_adapter.h"

#include <gtest/gtest.h>
#include <pistache/endpoint.h>
#include <pistache/peer.h>
#include <pistache/version.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>

using namespace Pistache;
using saltgw::rest::http::ReactorClient;
using saltgw::rest::http::ReactorTransport;

namespace {

std::set<int> tasks() {
  std::set<int> out;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.insert(std::atoi(e->d_name));
    ::closedir(d);
  }
  return out;
}

// Voluntary + involuntary context switches of the given threads.
long switches(const std::set<int>& tids) {
  long total = 0;
  for (int tid : tids) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
        total += std::stol(line.substr(line.find(':') + 1));
  }
  return total;
}

std::set<int> new_threads(const std::set<int>& before) {
  std::set<int> out;
  for (int t : tasks())
    if (!before.count(t)) out.insert(t);
  return out;
}

struct Probe : Tcp::Handler, ReactorClient {
  std::shared_ptr<Tcp::Handler> clone() const override { return std::make_shared<Probe>(); }
  void onInput(const char*, size_t, const std::shared_ptr<Tcp::Peer>&) override {}
  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    // Peer::send on the reactor thread; its promise resolves there too.
    peer->send(RawBuffer(std::string("hi"), 2)).then(
        [](ssize_t) { shared->sent.set_value(std::this_thread::get_id()); },
        [](std::exception_ptr) { shared->sent.set_value(std::thread::id()); });
    shared->connected.set_value(std::this_thread::get_id());
    shared->transport = static_cast<ReactorTransport*>(transport());
  }
  void on_timer() override { shared->timers++; }
  struct Shared {
    std::atomic<int> timers{0};
    std::promise<std::thread::id> connected, sent;
    ReactorTransport* transport = nullptr;
  };
  static inline std::shared_ptr<Shared> shared;
};

int connect_to(uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return s;
}

}  // namespace

TEST(PistacheAdapter, TheVersionTheAdapterWasWrittenFor) {
  EXPECT_EQ(Version::Major, 0);
  EXPECT_EQ(Version::Minor, 0);
  EXPECT_EQ(Version::Patch, 5) << "a new Pistache: check the limitations in rest/http/pistache_adapter.h";
}

TEST(PistacheAdapter, HttpEndpointStillTicksWhileIdle) {
  // Limitation 1: why saltgw does not use Http::Endpoint.
  struct Nothing : Http::Handler {
    HTTP_PROTOTYPE(Nothing)
    void onRequest(const Http::Request&, Http::ResponseWriter) override {}
  };
  auto before = tasks();
  Http::Endpoint ep(Address("127.0.0.1", Port(0)));
  ep.init(Http::Endpoint::options().threads(1));
  ep.setHandler(Http::make_handler<Nothing>());
  ep.serveThreaded();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto threads = new_threads(before);
  long s0 = switches(threads);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  long woke = switches(threads) - s0;
  ep.shutdown();
  EXPECT_GE(woke, 2) << "Http::Endpoint no longer wakes while idle: it may be usable again";
}

TEST(PistacheAdapter, ReactorTransportSleepsRunsTimersTasksAndSends) {
  Probe::shared = std::make_shared<Probe::Shared>();
  auto before = tasks();
  Tcp::Listener listener(Address("127.0.0.1", Port(0)));
  listener.init(1, Flags<Tcp::Options>(Tcp::Options::ReuseAddr));
  auto handler = std::make_shared<Probe>();
  listener.setHandler(handler);
  listener.setTransportFactory([handler] { return std::make_shared<ReactorTransport>(handler); });
  listener.bind();
  listener.runThreaded();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto threads = new_threads(before);
  ASSERT_GE(threads.size(), 2u);  // the accept thread and one reactor

  // Idle: not one wake-up.
  long s0 = switches(threads);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  EXPECT_EQ(switches(threads) - s0, 0);

  int client = connect_to(listener.getPort());
  auto connected = Probe::shared->connected.get_future();
  ASSERT_EQ(connected.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  std::thread::id reactor = connected.get();
  auto sent = Probe::shared->sent.get_future();
  ASSERT_EQ(sent.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(sent.get(), reactor);
  char buf[4] = {};
  EXPECT_EQ(::recv(client, buf, sizeof buf, 0), 2);

  // A task posted from another thread runs on the reactor thread; it arms
  // the timer, which fires once; a disarmed timer does not fire.
  ReactorTransport* t = Probe::shared->transport;
  std::promise<std::thread::id> ran;
  t->mailbox()->post([&] {
    ran.set_value(std::this_thread::get_id());
    t->arm(std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
  });
  auto ran_f = ran.get_future();
  ASSERT_EQ(ran_f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(ran_f.get(), reactor);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Probe::shared->timers.load(), 1);
  t->mailbox()->post([&] {
    t->arm(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    t->disarm();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Probe::shared->timers.load(), 1);
  ::close(client);
  listener.shutdown();
}
