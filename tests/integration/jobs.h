// Small helpers the integration tests share: run a job through any Strategy
// and wait for its one answer, and wait for a condition with a deadline.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

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

}  // namespace saltgw::testing
