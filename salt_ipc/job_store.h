// What saltgw remembers about the jobs it ran, by jid.
//
// Every job started through the API is recorded as running; its outcome is
// kept once it finishes, so a client that lost its connection (or asked for
// an async job) can fetch the result by jid. Finished jobs are kept for at
// most `keep_for`, at most `max_finished` of them, and results of at most
// `max_result_bytes` together (approx_bytes; oldest dropped first, so a
// single result larger than that is not kept at all); running jobs are never
// dropped. A result is shared, never copied: the answer being sent and the
// store hold the same one. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
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
  std::shared_ptr<const JobResult> result;  // kFinished
  std::optional<Error> error;       // kFailed
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point ended;
};

const char* job_state_name(JobRecord::State state);

class JobStore {
 public:
  JobStore(size_t max_finished = 1000, std::chrono::seconds keep_for = std::chrono::hours(1),
           size_t max_result_bytes = 32u << 20);

  void started(const std::string& jid, const std::string& fun);
  // A job's end, exactly once (later calls for the same jid are ignored).
  void finished(const std::string& jid, std::shared_ptr<const JobResult> result);
  void failed(const std::string& jid, Error error);
  // Either of the two, for an outcome as a strategy delivers it.
  void finished(const std::string& jid, Result<std::shared_ptr<const JobResult>> outcome);
  std::optional<JobRecord> get(const std::string& jid);
  size_t running() const;
  size_t size() const;

 private:
  void prune_locked(std::chrono::system_clock::time_point now);
  // Ends the running record of `jid` once: record(r) fills in the outcome.
  template <typename Record>
  void end(const std::string& jid, Record record);
  // The record to end now, or null when it has ended already.
  JobRecord* ending_locked(const std::string& jid, std::chrono::system_clock::time_point now);
  void ended_locked(JobRecord& r, std::chrono::system_clock::time_point now);

  mutable std::mutex mu_;
  size_t max_finished_;
  std::chrono::seconds keep_for_;
  size_t max_result_bytes_;
  size_t result_bytes_ = 0;                // of the finished jobs kept
  std::map<std::string, size_t> sizes_;    // by jid, for the finished jobs kept
  std::map<std::string, JobRecord> jobs_;
  std::multimap<std::chrono::system_clock::time_point, std::string> finished_order_;
};

}  // namespace saltgw::salt_ipc
