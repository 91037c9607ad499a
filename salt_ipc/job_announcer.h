// Announces every job saltgw ran on the minion's event bus, the way a
// minion announces its own jobs: when a job ends, the event
//   saltgw/job/<jid>/ret  {"jid", "fun", "success", "retcode", "status", "kind"?}
// is published (without the return value, which can be megabytes). Live-event
// clients (SSE) and other local consumers see what saltgw did.
//
// JobAnnouncer wraps another Strategy; publishing never delays or changes the
// job's own answer, and is skipped while the bus is down.
#pragma once

#include "salt_ipc/event_bus.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

class JobAnnouncer : public Strategy {
 public:
  JobAnnouncer(Strategy& inner, EventBus& bus) : inner_(inner), bus_(bus) {}

  std::string_view name() const override { return inner_.name(); }
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override { return inner_.in_flight(); }
  ProgressKind progress_kind() const override { return inner_.progress_kind(); }
  bool cancel(const std::string& jid, Error why) override { return inner_.cancel(jid, std::move(why)); }

 private:
  Strategy& inner_;
  EventBus& bus_;
};

}  // namespace saltgw::salt_ipc
