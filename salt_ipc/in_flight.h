// The jobs in flight on one dispatch strategy, keyed by what the minion's
// answer carries: the schedule entry's name, the jid, or the engine
// request's id. Every strategy (salt_ipc/bus_strategy.h for schedule and
// minion_job, salt_ipc/engine_strategy.h) keeps its jobs here.
//
// Each job completes exactly once, whichever comes first: its answer
// (finish), its timeout, a cancel, or the loss of the bus connection
// (finish_all); anything arriving later for the same key finds nothing. The
// table lives on one I/O thread (an IoLoop: the event bus, or the engine's
// link), whose timers it uses: every member but reserve() and size() must be
// called there. size() counts a job from the moment submit() reserved
// it, so that it is right on any thread before the I/O thread has added it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "salt_ipc/error.h"
#include "salt_ipc/io_loop.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

class InFlightJobs {
 public:
  struct Job {
    std::string jid;
    std::string fun;
    ProgressCallback progress;  // the request's, if the strategy delivers progress
    int64_t progress_seen = 0;  // progress steps delivered so far
  };
  // Called on the I/O thread when a job's time is up; the owner finishes it
  // (and cleans up on the minion's side if it must).
  using Expired = std::function<void(const std::string& key, Error why)>;

  explicit InFlightJobs(IoLoop& loop);
  ~InFlightJobs();  // timers still armed are cancelled; callbacks are not called
  InFlightJobs(const InFlightJobs&) = delete;
  InFlightJobs& operator=(const InFlightJobs&) = delete;

  // Any thread: one job is on its way to add().
  void reserve();
  // Adds a reserved job. False, with nothing added and the reservation
  // released, when `key` is in flight already (the caller answers the job).
  bool add(const std::string& key, Job job, JobCallback done);
  // After `timeout` with no finish(), calls expired(key, a kTimeout error).
  void expire_after(const std::string& key, std::chrono::milliseconds timeout, Expired expired);
  // The job in flight under `key`, or null.
  const Job* find(const std::string& key) const;
  Job* find(const std::string& key);
  // Completes the job: its timer is cancelled, its entry removed, and its
  // callback called last. False when no job is in flight under `key`.
  bool finish(const std::string& key, Result<JobResult> outcome);
  // Completes every job in flight with `why`.
  void finish_all(const Error& why);
  // Any thread: jobs reserved and not yet completed.
  size_t size() const { return state_->count.load(); }

  // "no result from the minion within 2.5 s; the job may still be running"
  static Error timeout_error(std::chrono::milliseconds timeout);

 private:
  struct Entry {
    Job job;
    JobCallback done;
    uint64_t timer = 0;
  };
  struct State {
    std::map<std::string, Entry> jobs;
    std::atomic<size_t> count{0};
  };
  IoLoop& bus_;
  std::shared_ptr<State> state_;  // timers hold it weakly
};

}  // namespace saltgw::salt_ipc
