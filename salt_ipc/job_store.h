// What saltgw remembers about the jobs it ran, by jid.
//
// Every job started through the API is recorded as running; its outcome is
// kept once it finishes, so a client that lost its connection (or asked for
// an async job) can fetch the result by jid. Finished jobs are kept for at
// most `keep_for` and at most `max_finished` of them (oldest dropped first);
// running jobs are never dropped. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

struct JobRecord {
  enum class State { kRunning, kFinished, kFailed };
  std::string jid;
  std::string fun;
  State state = State::kRunning;
  std::optional<JobResult> result;  // kFinished
  std::optional<Error> error;       // kFailed
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point ended;
  bool cancel_requested = false;
};

const char* job_state_name(JobRecord::State state);

class JobStore {
 public:
  JobStore(size_t max_finished = 1000, std::chrono::seconds keep_for = std::chrono::hours(1));

  void started(const std::string& jid, const std::string& fun);
  void finished(const std::string& jid, const Result<JobResult>& outcome);
  std::optional<JobRecord> get(const std::string& jid);
  // Marks a running job as asked to stop; false when unknown or not running.
  bool mark_cancel(const std::string& jid);
  size_t running() const;
  size_t size() const;

 private:
  void prune_locked(std::chrono::system_clock::time_point now);

  mutable std::mutex mu_;
  size_t max_finished_;
  std::chrono::seconds keep_for_;
  std::map<std::string, JobRecord> jobs_;
  std::multimap<std::chrono::system_clock::time_point, std::string> finished_order_;
};

}  // namespace saltgw::salt_ipc
