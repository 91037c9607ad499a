// Jobs: what is asked of the minion and what comes back.
//
// A Strategy (schedule, engine, minion_job) turns a JobRequest into a job on
// the minion and calls the JobCallback exactly once with the JobResult or an
// Error. The callback runs on the strategy's I/O thread (or, for an error
// found before anything was sent, on the caller's thread before submit()
// returns); it must not block.
//
// Progress: a request may carry a ProgressCallback. A strategy whose
// capabilities().progress is kPerStep calls it once per finished step of the job (a
// state of a state run), in the order the steps ran, on the same thread as
// `done` and always before `done`; never after `done`. Strategies with
// kNone never call it. Progress that the strategy knows was lost on the way
// is reported as one JobProgress with `lost` > 0 (before `done`), never
// left out silently.
//
// Stopping: cancel() answers a job in flight at once (saltgw's side only);
// stop() also stops the work on the minion as far as the dispatch can, and
// says what happened. Callers outside salt_ipc/ use JobControl
// (salt_ipc/job_control.h), which knows which strategy holds a job.
//
// Layering: the strategies (schedule_strategy.h and minion_job_strategy.h on
// the core in bus_strategy.h, engine_strategy.h) implement Strategy;
// FunctionGuard and JobAnnouncer wrap one; JobControl and rest/ use one.
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

// How far a strategy can stop a job that is in flight.
enum class StopKind {
  kNone,         // not at all on the minion (cancel() still answers the caller)
  kProcess,      // queued or running: the job has a process of its own on the minion, which is killed
  kBeforeStart,  // only while it waits to start (the engine: a thread cannot be killed)
};

// What a strategy can do beyond running a job, for the API to tell its
// clients without knowing which dispatch is in use.
struct Capabilities {
  ProgressKind progress = ProgressKind::kNone;
  // With kNone: one sentence for clients saying why no progress will come.
  std::string progress_note;
  StopKind stop = StopKind::kNone;
};

// What stop() did.
struct StopOutcome {
  bool held = false;     // the strategy had the job in flight (false: nothing else below applies)
  bool stopped = false;  // the job will not go on running on the minion; its caller got kCancelled
  std::string how;       // one sentence: what was done, or why the job could not be stopped
  Value minion;          // what the minion answered to the stop, when it is worth showing (else null)
};
using StopCallback = std::function<void(Result<StopOutcome>)>;

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
  // What a job submitted now can do (progress, stopping).
  virtual Capabilities capabilities() const { return {}; }
  // Completes a job in flight now with `why` (its callback runs); false when
  // the strategy has no such job. Work already running on the minion is left
  // alone (see stop()).
  virtual bool cancel(const std::string& jid, Error why) {
    (void)jid;
    (void)why;
    return false;
  }
  // Stops job `jid` on the minion as far as capabilities().stop allows, and
  // completes it with kCancelled when it was stopped. `done` is called
  // exactly once, on any thread: with held == false at once when this
  // strategy has no such job; an Error only when asking the minion failed.
  virtual void stop(const std::string& jid, StopCallback done) {
    (void)jid;
    done(StopOutcome{});
  }
};

// The progress note of a strategy that sends no progress, naming it.
std::string no_progress_note(std::string_view dispatch);

// Function names Salt accepts: "mod.fun" with word characters, dots allowed
// in the module part (e.g. "state.sls", "network.wlan.x" is not a function).
bool is_valid_function_name(std::string_view fun);

// The one reading of a job's return as the minion (scheduler, returner or
// executor engine) sends it: a map with "return", "retcode" (int) and
// "success" (bool; when missing or not a bool, success means retcode 0),
// and "fun" (replaces `fun` when present). Missing fields keep their
// defaults; the return value is moved out of `answer`, not copied. Used by
// every strategy, then settle_result().
JobResult read_job_return(Value answer, std::string jid, std::string fun);

// Turns a minion's answer into the caller's outcome: a JobResult when Salt
// reports success, else an Error whose kind says what went wrong (unknown
// function, trimmed result, function failure) and whose message carries
// Salt's own words. `max_event_size` is quoted in the trimmed-result message.
Result<JobResult> settle_result(JobResult result, int64_t max_event_size);

}  // namespace saltgw::salt_ipc
