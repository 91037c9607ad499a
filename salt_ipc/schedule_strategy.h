// The `schedule` dispatch strategy: runs a job on any stock minion through its
// scheduler, using nothing but the event bus. A BusStrategy
// (salt_ipc/bus_strategy.h) with this protocol:
//
//   1. manage_schedule {func: add, persist: false, schedule: {NAME: {function,
//      args, kwargs, enabled: false, jid_include: true, maxrunning, name}}}
//      -- disabled, so the scheduler loop never starts it on its own;
//   2. manage_schedule {func: run_job, name: NAME};
//   3. the minion fires __schedule_return with schedule: NAME -> the result;
//   4. manage_schedule {func: delete, name: NAME, persist: false} (also after
//      a timeout or a stop).
// NAME is "saltgw_<jid>" (this file pair is the one place that knows the
// prefix), unique per job, so results are matched exactly and any number of
// jobs can be in flight. The job runs in a process of its own on the minion,
// which `saltutil.running` lists with `schedule: NAME`: stop() kills it.
// When the bus connection drops, every job in flight gets kConnectionLost (a
// restarted minion has forgotten non-persistent schedule entries, so no
// answer will come).
#pragma once

#include <string>

#include "salt_ipc/bus_strategy.h"

namespace saltgw::salt_ipc {

struct ScheduleOptions {
  int64_t max_event_size = 1048576;  // for the trimmed-result message
};

class ScheduleStrategy : public BusStrategy {
 public:
  ScheduleStrategy(Bus& bus, JidGenerator& jids, ScheduleOptions options = {});

  // The schedule entry name of a job ("saltgw_<jid>").
  static std::string schedule_name(const std::string& jid);
};

}  // namespace saltgw::salt_ipc
