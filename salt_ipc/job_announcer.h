// Announces every job saltgw ran on the minion's event bus, the way a
// minion announces its own jobs: when a job ends, the event
//   saltgw/job/<jid>/ret  {"jid", "fun", "success", "retcode", "status", "kind"?}
// is published (without the return value, which can be megabytes). Live-event
// clients (SSE) and other local consumers see what saltgw did.
//
// JobAnnouncer wraps another Strategy; publishing never delays or changes the
// job's own answer, and is skipped while the bus is down.
#pragma once

#include "salt_ipc/bus.h"
#include "salt_ipc/job.h"

namespace saltgw::salt_ipc {

class JobAnnouncer : public Strategy {
 public:
  JobAnnouncer(Strategy& inner, Bus& bus) : inner_(inner), bus_(bus) {}

  std::string_view name() const override { return inner_.name(); }
  std::string submit(JobRequest request, JobCallback done) override;
  size_t in_flight() const override { return inner_.in_flight(); }
  Capabilities capabilities() const override { return inner_.capabilities(); }
  bool cancel(const std::string& jid, Error why) override { return inner_.cancel(jid, std::move(why)); }
  void stop(const std::string& jid, StopCallback done) override { inner_.stop(jid, std::move(done)); }

 private:
  Strategy& inner_;
  Bus& bus_;
};

}  // namespace saltgw::salt_ipc
