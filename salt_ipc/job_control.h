// Job control: what the API asks of jobs besides running them, in the API's
// words (jobs, results, settings), so that rest/ never learns how a dispatch
// works, which one is in use, or a Salt function name.
//
//   capabilities()  what a job run now can do: progress per step or none (with
//                   the sentence saying why), how far it can be stopped;
//   stop(jid)       stops a job in flight on the minion, whatever the dispatch:
//                   the strategy that holds the job does what its dispatch
//                   allows (Strategy::stop: schedule and minion_job kill the
//                   job's process, the engine removes a job that has not
//                   started) and the job's caller gets kCancelled;
//   read_apn(),     the device's mobile-data (APN) settings, kept in the
//   apply_apn()     minion's `qmi` grain.
//
// Contract of stop(): the strategy for async jobs is asked first, then the
// one for the other jobs; `done` is called exactly once, on any thread, with
// what happened (StopOutcome, salt_ipc/job.h: stopped or not and one sentence
// saying how) or an Error when asking the minion failed. A job no strategy
// holds (it ended meanwhile) gets stopped == false.
//
// JobControl only holds references to the two strategies: it may be a
// temporary, and operations in progress need only the strategies to live on.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

class JobControl {
 public:
  using SettingsCallback = std::function<void(Result<Value>)>;

  // `jobs` runs the API's jobs, `async_jobs` its async ones (may be the same).
  JobControl(Strategy& jobs, Strategy& async_jobs) : jobs_(jobs), async_jobs_(async_jobs) {}

  Capabilities capabilities() const { return jobs_.capabilities(); }
  void stop(const std::string& jid, StopCallback done);

  // The APN settings stored now: a map ({} when none are stored).
  void read_apn(std::chrono::milliseconds timeout, SettingsCallback done);
  // Stores `settings` (a map of apn, user, pass, pin, mtu, already checked),
  // makes the minion reload them, and answers what is stored afterwards.
  void apply_apn(Map settings, std::chrono::milliseconds timeout, SettingsCallback done);

 private:
  Strategy& jobs_;
  Strategy& async_jobs_;
};

}  // namespace saltgw::salt_ipc
