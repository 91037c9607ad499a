#include "salt_ipc/job_control.h"

namespace saltgw::salt_ipc {

namespace {

// The grain the APN settings live in.
constexpr const char* kApnGrain = "qmi";

// The stored settings from a grains.get answer: a map, or {} when none.
Result<Value> settings_of(Result<JobResult> r) {
  if (!r) return r.error();
  if (!r->ret.is_map()) return Value(Map{});
  return std::move(r->ret);
}

}  // namespace

void JobControl::stop(const std::string& jid, StopCallback done) {
  Strategy& jobs = jobs_;
  async_jobs_.stop(jid, [&jobs, jid, done](Result<StopOutcome> first) {
    if (!first || first->held) return done(std::move(first));
    jobs.stop(jid, [done](Result<StopOutcome> second) {
      if (!second || second->held) return done(std::move(second));
      done(StopOutcome{false, false, "no process of this job runs on the minion; the job was marked stopped", Value()});
    });
  });
}

void JobControl::read_apn(std::chrono::milliseconds timeout, SettingsCallback done) {
  jobs_.submit(JobRequest{"grains.get", List{Value(kApnGrain)}, Map{}, timeout},
               [done](Result<JobResult> r) { done(settings_of(std::move(r))); });
}

void JobControl::apply_apn(Map settings, std::chrono::milliseconds timeout, SettingsCallback done) {
  // grains.setval, then refresh grains, then read back what is stored.
  Strategy& jobs = jobs_;
  JobRequest set{"grains.setval", List{Value(kApnGrain), Value(std::move(settings))}, Map{}, timeout};
  jobs.submit(std::move(set), [&jobs, timeout, done](Result<JobResult> r1) {
    if (!r1) return done(r1.error());
    JobRequest refresh{"saltutil.refresh_grains", List{}, Map{}, timeout};
    jobs.submit(std::move(refresh), [&jobs, timeout, done](Result<JobResult> r2) {
      if (!r2) return done(r2.error());
      JobControl(jobs, jobs).read_apn(timeout, done);
    });
  });
}

}  // namespace saltgw::salt_ipc
