// Small helpers the integration tests share: run a job through any Strategy
// and wait for its one answer, wait for a condition with a deadline, and
// start an event bus with a strategy on it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"

namespace saltgw::testing {

// Submits `req`; the future gets the job's one answer.
inline std::future<salt_ipc::Result<salt_ipc::JobResult>> submit_job(salt_ipc::Strategy& strategy,
                                                                     salt_ipc::JobRequest req,
                                                                     std::string* jid = nullptr) {
  auto p = std::make_shared<std::promise<salt_ipc::Result<salt_ipc::JobResult>>>();
  auto f = p->get_future();
  std::string j = strategy.submit(std::move(req), [p](salt_ipc::Result<salt_ipc::JobResult> r) {
    p->set_value(std::move(r));
  });
  if (jid) *jid = j;
  return f;
}

// The answer, or an kInternal error when the callback never came (the job's
// own timeout plus 10 s).
inline salt_ipc::Result<salt_ipc::JobResult> await_job(std::future<salt_ipc::Result<salt_ipc::JobResult>> f,
                                                       std::chrono::milliseconds timeout) {
  if (f.wait_for(timeout + std::chrono::seconds(10)) != std::future_status::ready)
    return salt_ipc::make_error(salt_ipc::ErrorKind::kInternal, "callback never called");
  return f.get();
}

// Polls `ready` every 20 ms until it holds or `limit` passes.
template <class Pred>
bool wait_until(Pred ready, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Submits `fun` with `args` and `kwargs` and waits for its answer (see
// await_job): the `run` of every fixture.
inline salt_ipc::Result<salt_ipc::JobResult> run_job(salt_ipc::Strategy& strategy, std::string fun,
                                                     salt_ipc::List args, salt_ipc::Map kwargs,
                                                     std::chrono::milliseconds timeout) {
  salt_ipc::JobRequest req{std::move(fun), std::move(args), std::move(kwargs), timeout};
  return await_job(submit_job(strategy, std::move(req)), timeout);
}

// True once `bus` is connected, false when `limit` passes first.
inline bool wait_connected(const salt_ipc::EventBus& bus, std::chrono::milliseconds limit) {
  return wait_until([&bus] { return bus.connected(); }, limit);
}

// Makes an event bus with options `o`, a strategy S on it (before the bus
// starts, so it sees every event), starts the bus and asserts that it
// connects within 20 s. For a fixture's SetUp (check HasFatalFailure()).
template <class S>
void start_bus_with(const salt_ipc::EventBusOptions& o, salt_ipc::JidGenerator& jids,
                    std::unique_ptr<salt_ipc::EventBus>& bus, std::unique_ptr<S>& strategy) {
  bus = std::make_unique<salt_ipc::EventBus>(o);
  strategy = std::make_unique<S>(*bus, jids);
  bus->start();
  ASSERT_TRUE(wait_connected(*bus, std::chrono::seconds(20))) << bus->last_error();
}

}  // namespace saltgw::testing
