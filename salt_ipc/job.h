// Jobs: what is asked of the minion and what comes back.
//
// A Strategy (schedule, engine, minion_job) turns a JobRequest into a job on
// the minion and calls the JobCallback exactly once with the JobResult or an
// Error. The callback runs on the strategy's I/O thread (or, for an error
// found before anything was sent, on the caller's thread before submit()
// returns); it must not block.
//
// Progress: a request may carry a ProgressCallback. A strategy whose
// progress_kind() is kPerStep calls it once per finished step of the job (a
// state of a state run), in the order the steps ran, on the same thread as
// `done` and always before `done`; never after `done`. Strategies with
// kNone never call it. Progress that the strategy knows was lost on the way
// is reported as one JobProgress with `lost` > 0 (before `done`), never
// left out silently.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

// One step of a job's progress.
struct JobProgress {
  std::string tag;  // names the step (for Salt: salt/job/<jid>/prog/<minion>/<n>)
  Value data;       // what the step reported
  size_t lost = 0;  // when > 0: this many earlier steps never arrived (tag and data empty)
};

using ProgressCallback = std::function<void(JobProgress)>;

// What progress a strategy reports for a job before its result.
enum class ProgressKind {
  kNone,     // none: the result only
  kPerStep,  // one JobProgress per finished step (state), in order, before the result
};

struct JobRequest {
  std::string fun;   // "module.function"
  List args;         // positional arguments
  Map kwargs;        // keyword arguments
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::string jid;   // empty: the strategy makes one
  ProgressCallback progress;  // optional; see "Progress" above
};

struct JobResult {
  std::string jid;
  std::string fun;
  Value ret;          // the function's return value ("return")
  bool success = false;
  int retcode = 0;
};

using JobCallback = std::function<void(Result<JobResult>)>;

// Interface every dispatch strategy implements. Thread-safe.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // Starts the job and returns its jid. `done` is called exactly once.
  virtual std::string submit(JobRequest request, JobCallback done) = 0;
  // Number of jobs submitted and not yet completed.
  virtual size_t in_flight() const = 0;
  // What progress a job submitted now with a ProgressCallback will report.
  virtual ProgressKind progress_kind() const { return ProgressKind::kNone; }
  // Completes a job in flight now with `why` (its callback runs); false when
  // the strategy has no such job. Stopping the work on the minion is the
  // caller's business (saltutil.kill_job).
  virtual bool cancel(const std::string& jid, Error why) {
    (void)jid;
    (void)why;
    return false;
  }
};

// Function names Salt accepts: "mod.fun" with word characters, dots allowed
// in the module part (e.g. "state.sls", "network.wlan.x" is not a function).
bool is_valid_function_name(std::string_view fun);

// Turns a minion's answer into the caller's outcome: a JobResult when Salt
// reports success, else an Error whose kind says what went wrong (unknown
// function, trimmed result, function failure) and whose message carries
// Salt's own words. `max_event_size` is quoted in the trimmed-result message.
Result<JobResult> settle_result(JobResult result, int64_t max_event_size);

}  // namespace saltgw::salt_ipc
