// salt_ipc over the minion's bus in `ipc_mode: tcp`: the test starts its own
// sandbox minion with --ipc-mode tcp on two free ports, reads its config the
// way saltgw does (minion_config.cc -> BusEndpoints on 127.0.0.1), and runs
// jobs through ScheduleStrategy over TCP.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/minion_config.h"
#include "salt_ipc/schedule_strategy.h"
#include "tests/integration/own_sandbox.h"

using namespace saltgw::salt_ipc;
using namespace std::chrono_literals;

namespace {

class TcpBusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = new saltgw::testing::OwnSandbox();
    pub_port_ = saltgw::testing::free_tcp_port();
    pull_port_ = saltgw::testing::free_tcp_port();
    while (pull_port_ == pub_port_) pull_port_ = saltgw::testing::free_tcp_port();
    start_error_ = sandbox_->start("--ipc-mode tcp --set tcp_pub_port=" + std::to_string(pub_port_) +
                                   " --set tcp_pull_port=" + std::to_string(pull_port_));
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    sandbox_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    auto cfg = load_minion_config(sandbox_->config());
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    config_ = cfg.value();
    auto ep = bus_endpoints(config_);
    ASSERT_TRUE(ep.ok()) << ep.error().message;
    endpoints_ = ep.value();
    EventBusOptions o;
    o.endpoints = endpoints_;
    bus_ = std::make_unique<EventBus>(o);
    strategy_ = std::make_unique<ScheduleStrategy>(*bus_, jids_);
    bus_->start();
    auto end = std::chrono::steady_clock::now() + 20s;
    while (!bus_->connected() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(bus_->connected()) << bus_->last_error() << "\n" << sandbox_->log_tail();
  }
  void TearDown() override {
    strategy_.reset();
    if (bus_) bus_->stop();
  }

  Result<JobResult> run(std::string fun, List args = {}, Map kwargs = {},
                        std::chrono::milliseconds timeout = 60s) {
    auto p = std::make_shared<std::promise<Result<JobResult>>>();
    auto f = p->get_future();
    strategy_->submit(JobRequest{std::move(fun), std::move(args), std::move(kwargs), timeout},
                      [p](Result<JobResult> r) { p->set_value(std::move(r)); });
    if (f.wait_for(timeout + 10s) != std::future_status::ready)
      return make_error(ErrorKind::kInternal, "callback never called");
    return f.get();
  }

  static saltgw::testing::OwnSandbox* sandbox_;
  static std::string start_error_;
  static int pub_port_, pull_port_;
  MinionConfig config_;
  BusEndpoints endpoints_;
  JidGenerator jids_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<ScheduleStrategy> strategy_;
};

saltgw::testing::OwnSandbox* TcpBusTest::sandbox_ = nullptr;
std::string TcpBusTest::start_error_;
int TcpBusTest::pub_port_ = 0;
int TcpBusTest::pull_port_ = 0;

TEST_F(TcpBusTest, ConfigSaysTcpOnTheSandboxPorts) {
  EXPECT_EQ(config_.ipc_mode, "tcp");
  EXPECT_TRUE(endpoints_.tcp);
  EXPECT_EQ(endpoints_.host, "127.0.0.1");
  EXPECT_EQ(endpoints_.pub_port, pub_port_);
  EXPECT_EQ(endpoints_.pull_port, pull_port_);
  EXPECT_NE(endpoints_.describe().find("tcp://127.0.0.1:" + std::to_string(pub_port_)), std::string::npos);
}

TEST_F(TcpBusTest, TestPingOverTcp) {
  auto r = run("test.ping");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret, Value(true));
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->fun, "test.ping");
}

TEST_F(TcpBusTest, TestArgOverTcp) {
  auto r = run("test.arg", List{Value(1), Value("two")}, Map{{"k", Value("v")}, {"n", Value(3)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Value* args = r->ret.find("args");
  const Value* kwargs = r->ret.find("kwargs");
  ASSERT_TRUE(args && kwargs) << r->ret.debug_string();
  EXPECT_EQ(*args, Value(List{Value(1), Value("two")}));
  EXPECT_EQ(*kwargs->find("k"), Value("v"));
  EXPECT_EQ(*kwargs->find("n"), Value(3));
}

TEST_F(TcpBusTest, StateSlsOverTcp) {
  auto r = run("state.sls", List{Value("gwtest")}, Map{{"queue", Value(true)}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Value* st = r->ret.find("test_|-gwtest-ok_|-gwtest_|-succeed_without_changes");
  ASSERT_TRUE(st) << r->ret.debug_string();
  EXPECT_EQ(*st->find("result"), Value(true));
}

TEST_F(TcpBusTest, TenJobsInFlightOverTcp) {
  std::vector<std::future<Result<JobResult>>> fs;
  for (int i = 0; i < 10; ++i) {
    auto p = std::make_shared<std::promise<Result<JobResult>>>();
    fs.push_back(p->get_future());
    strategy_->submit(JobRequest{"test.echo", List{Value("tcp-" + std::to_string(i))}, {}, 60s},
                      [p](Result<JobResult> r) { p->set_value(std::move(r)); });
  }
  for (int i = 0; i < 10; ++i) {
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message;
    EXPECT_EQ(r->ret, Value("tcp-" + std::to_string(i)));
  }
}

TEST_F(TcpBusTest, MinionRestartOverTcpReconnects) {
  uint64_t connects = bus_->connects();
  ASSERT_TRUE(sandbox_->restart()) << sandbox_->log_tail();
  auto end = std::chrono::steady_clock::now() + 30s;
  while (bus_->connects() == connects && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(50ms);
  EXPECT_GT(bus_->connects(), connects) << bus_->last_error();
  auto r = run("test.ping");
  ASSERT_TRUE(r.ok()) << r.error().message;
}

}  // namespace
