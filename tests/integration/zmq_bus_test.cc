// salt_ipc against the legacy ZeroMQ event bus of Salt 2015.8 and older:
// tests/sandbox/legacy_zmq_bus.py binds a ZeroMQ PUB and PULL at the md5
// socket names of a minion id (as those releases did), re-publishes every
// event and answers manage_schedule run_job with __schedule_return. EventBus
// must recognise it by the ZMTP greeting and carry the schedule dispatch over
// it unchanged.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"
#include "salt_ipc/zmq_bus.h"
#include "tests/integration/jobs.h"
#include "tests/integration/sandbox.h"

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

TEST(Greeting, Classification) {
  EXPECT_EQ(classify_greeting(""), PeerGreeting::kNothing);
  // ZMTP 3.x signature as libzmq sends it.
  EXPECT_EQ(classify_greeting(std::string("\xff\0\0\0\0\0\0\0\x01\x7f", 10)), PeerGreeting::kZmtp);
  EXPECT_EQ(classify_greeting(std::string("\xff\0\0", 3)), PeerGreeting::kZmtp);  // partial
  EXPECT_EQ(classify_greeting(std::string("\xff\0\0\0\0\0\0\0\x01\x00", 10)), PeerGreeting::kOther);
  EXPECT_EQ(classify_greeting(std::string("\x01\x00", 2)), PeerGreeting::kZmtp);  // ZMTP 1.0
  // A Salt stream-bus frame ({"head": ...}) and a length prefix are not greetings.
  EXPECT_EQ(classify_greeting("\x82\xa4head"), PeerGreeting::kOther);
  EXPECT_EQ(classify_greeting(std::string("\0\0\0\x22\x82", 5)), PeerGreeting::kOther);
}

TEST(Greeting, ZmqAddresses) {
  BusEndpoints ipc;
  ipc.pub_path = "/run/m/pub.ipc";
  ipc.pull_path = "/run/m/pull.ipc";
  EXPECT_EQ(zmq_address(ipc, true), "ipc:///run/m/pub.ipc");
  EXPECT_EQ(zmq_address(ipc, false), "ipc:///run/m/pull.ipc");
  BusEndpoints tcp;
  tcp.tcp = true;
  tcp.pub_port = 4510;
  tcp.pull_port = 4511;
  EXPECT_EQ(zmq_address(tcp, true), "tcp://127.0.0.1:4510");
  EXPECT_EQ(zmq_address(tcp, false), "tcp://127.0.0.1:4511");
}

class LegacyBus {
 public:
  ~LegacyBus() { stop(); }
  // Starts legacy_zmq_bus.py for minion `id` in dir/run; "" or what failed.
  std::string start(const std::string& dir, const std::string& id) {
    dir_ = dir;
    id_ = id;
    std::string py = saltgw::testing::env_or_empty("SALTGW_SANDBOX_PY");
    std::string sandbox = saltgw::testing::env_or_empty("SALTGW_SANDBOX_SCRIPT");
    if (py.empty() || sandbox.empty()) return "SALTGW_SANDBOX_PY / SALTGW_SANDBOX_SCRIPT are not set";
    std::string script = (fs::path(sandbox).parent_path() / "legacy_zmq_bus.py").string();
    fs::remove(dir + "/bus.pid");
    std::string cmd = py + " " + script + " --sock-dir " + dir + "/run --id " + id + " --pidfile " + dir +
                      "/bus.pid >>" + dir + "/bus.out 2>&1 &";
    if (std::system(cmd.c_str()) != 0) return "could not start " + cmd;
    auto end = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < end) {
      std::ifstream in(dir + "/bus.out");
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (all.rfind("ready") != std::string::npos && fs::exists(dir + "/bus.pid")) {
        std::ifstream p(dir + "/bus.pid");
        p >> pid_;
        if (pid_ > 0 && ready_count(all) > starts_) {
          starts_++;
          return "";
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    return "legacy bus did not become ready; see " + dir + "/bus.out";
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(20ms);
      ::kill(pid_, SIGKILL);
    }
    pid_ = 0;
  }
  std::string restart() {
    stop();
    return start(dir_, id_);
  }

 private:
  static int ready_count(const std::string& s) {
    int n = 0;
    for (size_t p = s.find("ready"); p != std::string::npos; p = s.find("ready", p + 1)) n++;
    return n;
  }
  std::string dir_, id_;
  pid_t pid_ = 0;
  int starts_ = 0;
};

class ZmqBusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/saltgw-legacy-bus.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::create_directories(dir_ + "/run");
    // A 2015.8-style minion config: silent about hash_type (md5 then).
    std::ofstream(dir_ + "/minion") << "id: legacy-2015\nsock_dir: " << dir_ << "/run\n";
    bus_proc_ = new LegacyBus();
    start_error_ = bus_proc_->start(dir_, "legacy-2015");
  }
  static void TearDownTestSuite() {
    delete bus_proc_;
    bus_proc_ = nullptr;
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    auto cfg = load_minion_config(dir_ + "/minion");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto ep = find_bus_endpoints(cfg.value());
    ASSERT_TRUE(ep.ok()) << ep.error().message;
    endpoints_ = ep.value();
    EventBusOptions o;
    o.endpoints = endpoints_;
    o.reconnect_max = 500ms;
    saltgw::testing::start_bus_with(o, jids_, bus_, strategy_);
  }
  void TearDown() override {
    strategy_.reset();
    if (bus_) bus_->stop();
  }

  bool wait_connected(std::chrono::seconds limit) { return saltgw::testing::wait_connected(*bus_, limit); }

  std::future<Result<JobResult>> submit(JobRequest req) {
    return saltgw::testing::submit_job(*strategy_, std::move(req));
  }
  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {},
                        std::chrono::milliseconds timeout = 20s) {
    return saltgw::testing::run_job(*strategy_, std::move(fun), std::move(args), std::move(kwargs), timeout);
  }

  static std::string dir_;
  static std::string start_error_;
  static LegacyBus* bus_proc_;
  BusEndpoints endpoints_;
  JidGenerator jids_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<ScheduleStrategy> strategy_;
};

std::string ZmqBusTest::dir_;
std::string ZmqBusTest::start_error_;
LegacyBus* ZmqBusTest::bus_proc_ = nullptr;

TEST_F(ZmqBusTest, FindsTheMd5NamedSocketsOfASilentConfig) {
  EXPECT_EQ(endpoints_.hash_type, "md5");
  // python3 -c 'import hashlib; print(hashlib.md5(b"legacy-2015").hexdigest()[:10])'
  EXPECT_EQ(fs::path(endpoints_.pub_path).filename(), "minion_event_25ad8eeaec_pub.ipc");
}

TEST_F(ZmqBusTest, RawConnectSeesTheZmtpGreeting) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", endpoints_.pub_path.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_EQ(probe_greeting(fd, 1000ms), PeerGreeting::kZmtp);
  ::close(fd);
}

TEST_F(ZmqBusTest, TestPing) {
  auto r = run("test.ping");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value(true));
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->fun, "test.ping");
}

TEST_F(ZmqBusTest, TestArgCarriesArgsAndKwargs) {
  auto r = run("test.arg", List{Value(1), Value("two")}, Map{{"k", Value("v")}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r->ret.find("args"), Value(List{Value(1), Value("two")}));
  EXPECT_EQ(*r->ret.find("kwargs")->find("k"), Value("v"));
}

TEST_F(ZmqBusTest, UnknownFunction) {
  auto r = run("no.such");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnknownFunction) << r.error().message;
}

TEST_F(ZmqBusTest, TwentyJobsInFlight) {
  std::vector<std::future<Result<JobResult>>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(submit(JobRequest{"test.echo", List{Value("z-" + std::to_string(i))}, {}, 20s}));
  for (int i = 0; i < 20; ++i) {
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    EXPECT_EQ(r->ret, Value("z-" + std::to_string(i)));
  }
}

TEST_F(ZmqBusTest, Timeout) {
  auto r = run("test.sleep", List{Value(3)}, {}, 500ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  auto p = run("test.ping");
  ASSERT_TRUE(p.ok()) << p.error().message;
}

TEST_F(ZmqBusTest, SubscriberSeesPublishedEvents) {
  auto got = std::make_shared<std::promise<Event>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  bus_->subscribe("saltgw/zmqtest/", [got, once](const Event& ev) {
    if (!once->exchange(true)) got->set_value(ev);
  });
  auto f = got->get_future();
  ASSERT_TRUE(bus_->publish("saltgw/zmqtest/x", Map{{"n", Value(7)}}).ok());
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*f.get().data.find("n"), Value(7));
}

TEST_F(ZmqBusTest, BusRestartFailsInFlightJobAndReconnects) {
  auto inflight = submit(JobRequest{"test.sleep", List{Value(30)}, {}, 60s});
  std::this_thread::sleep_for(300ms);
  uint64_t connects = bus_->connects();
  ASSERT_EQ(bus_proc_->restart(), "");
  ASSERT_EQ(inflight.wait_for(20s), std::future_status::ready);
  auto r = inflight.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConnectionLost) << r.error().message;
  ASSERT_TRUE(wait_connected(20s)) << bus_->last_error();
  EXPECT_GT(bus_->connects(), connects);
  auto p = run("test.ping");
  ASSERT_TRUE(p.ok()) << p.error().message;
}

}  // namespace
