// The `minion_job` dispatch strategy: for minions patched the way AutoPi
// devices are, which run an event tagged `minion_job` as a normal job. A
// BusStrategy (salt_ipc/bus_strategy.h) with this protocol:
//
//   1. push `minion_job` {"jid": JID, "fun": FUN, "arg": [...], "ret": RETURNER};
//      keyword arguments travel inside "arg" as a trailing map carrying
//      "__kwarg__": true (Salt's load_args_and_kwargs turns it back into kwargs);
//   2. the minion runs the job and its returner (`event_result` by default)
//      fires `salt/job/<JID>/ret` with the whole result (return, success,
//      retcode, fun, jid, id) -> the result.
// Nothing is left on the minion to clean up. The job runs in a process of its
// own, which `saltutil.running` lists under its jid: stop() kills it. A job
// whose result does not come within its timeout gets kTimeout (the job may
// still be running); when the bus connection drops, every job in flight gets
// kConnectionLost. Each callback is called exactly once: a result arriving
// after a timeout, cancel() or connection loss is ignored.
//
// A stock minion ignores the `minion_job` tag, so every job would time out:
// choose this strategy only for a minion known to carry the patch.
#pragma once

#include <string>
#include <string_view>

#include "salt_ipc/bus_strategy.h"

namespace saltgw::salt_ipc {

struct MinionJobOptions {
  int64_t max_event_size = 1048576;       // for the trimmed-result message
  std::string returner = "event_result";  // the "ret" field of each job
};

class MinionJobStrategy : public BusStrategy {
 public:
  MinionJobStrategy(Bus& bus, JidGenerator& jids, MinionJobOptions options = {});

  // The `arg` list a job carries: positional args, then the kwargs as a map
  // with "__kwarg__": true when there are any.
  static List job_args(const JobRequest& request);
  // The jid in a `salt/job/<jid>/ret` tag; empty for any other tag.
  static std::string jid_of_ret_tag(std::string_view tag);
};

}  // namespace saltgw::salt_ipc
