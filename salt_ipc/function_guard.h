// Refuses unknown functions at once, from a cached copy of the minion's
// function list, instead of waiting seconds for the minion's loader to say so
// (and, with the scheduler, instead of making the minion's own process import
// every module to look for the name).
//
// FunctionGuard wraps another Strategy. The list is fetched with a
// `sys.list_functions` job through that strategy (so it works with every
// dispatch) at start and whenever invalidate() is called (the gateway calls it
// when the minion fires `module_refresh`). A job for a function the list has,
// or any job before the first load, goes through. A function missing from a
// fresh list (younger than `trust_for`) is refused with kUnknownFunction and
// never reaches the minion. A function missing from a stale list waits for a
// reload and is then judged by it (refused, or sent on), so a newly synced
// module is never refused by an old list; if the reload fails, it is sent on.
// Never blocks the caller.
//
// Contract of submit(): a refusal calls `done` before submit() returns, on
// the caller's thread; a job that waits for the reload is answered or sent on
// from the thread that delivers the reload, after submit() returned (give it a
// jid: submit() returns request.jid as it was). Destroying a guard answers the
// jobs waiting in it with kCancelled.
//
// A second guard may share the first one's list (the gateway guards its async
// jobs too). The list lives as long as any guard sharing it; it is loaded
// through the first guard's strategy, which must outlive every guard.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

class FunctionGuard : public Strategy {
 public:
  FunctionGuard(Strategy& inner, std::chrono::seconds trust_for = std::chrono::seconds(300));
  // Guards `inner` with the list of `shares_list_of` (refreshes reach both).
  FunctionGuard(Strategy& inner, const FunctionGuard& shares_list_of);
  ~FunctionGuard() override;

  std::string_view name() const override;
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override;
  Capabilities capabilities() const override;
  bool cancel(const std::string& jid, Error why) override;
  void stop(const std::string& jid, StopCallback done) override;

  // Starts a background reload of the list.
  void refresh();
  // Marks the list stale and reloads it.
  void invalidate();
  // Number of functions known (0 until the first load finished).
  size_t size() const;

 private:
  struct List;
  Strategy& inner_;
  std::shared_ptr<List> list_;
};

}  // namespace saltgw::salt_ipc
