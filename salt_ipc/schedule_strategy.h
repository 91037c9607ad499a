// The `schedule` dispatch strategy: runs a job on any stock minion through its
// scheduler, using nothing but the event bus.
//
// For each job (all on the bus's I/O thread):
//   1. manage_schedule {func: add, persist: false, schedule: {NAME: {function,
//      args, kwargs, enabled: false, jid_include: true, maxrunning, name}}}
//      -- disabled, so the scheduler loop never starts it on its own;
//   2. manage_schedule {func: run_job, name: NAME};
//   3. the minion fires __schedule_return with schedule: NAME -> the result;
//   4. manage_schedule {func: delete, name: NAME, persist: false}.
// NAME is "saltgw_<jid>", unique per job, so results are matched exactly and
// any number of jobs can be in flight. A job whose result does not come within
// its timeout gets kTimeout and its schedule entry is deleted; when the bus
// connection drops, every job in flight gets kConnectionLost (a restarted
// minion has forgotten non-persistent schedule entries, so no answer will come).
#pragma once

#include <memory>

#include "salt_ipc/event_bus.h"
#include "salt_ipc/jid.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

struct ScheduleOptions {
  int64_t max_event_size = 1048576;  // for the trimmed-result message
  std::string name_prefix = "saltgw_";
};

class ScheduleStrategy : public Strategy {
 public:
  ScheduleStrategy(EventBus& bus, JidGenerator& jids, ScheduleOptions options = {});
  ~ScheduleStrategy() override;

  std::string_view name() const override { return "schedule"; }
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override;
  bool cancel(const std::string& jid, Error why) override;
  // The schedule entry name of a job ("saltgw_<jid>").
  std::string schedule_name(const std::string& jid) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace saltgw::salt_ipc
