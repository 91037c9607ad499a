#include "salt_ipc/job_announcer.h"

namespace saltgw::salt_ipc {

std::string JobAnnouncer::submit(JobRequest request, JobCallback done) {
  std::string fun = request.fun;
  std::string asked_jid = request.jid;
  Bus* bus = &bus_;
  return inner_.submit(std::move(request), [bus, fun, asked_jid, done = std::move(done)](Result<JobResult> r) {
    if (!bus->connected()) return done(std::move(r));
    Map data{{"fun", Value(fun)}};
    std::string jid = asked_jid;
    if (r) {
      jid = r->jid;
      data["success"] = Value(r->success);
      data["retcode"] = Value(r->retcode);
      data["status"] = Value("finished");
    } else {
      data["success"] = Value(false);
      data["status"] = Value("failed");
      data["kind"] = Value(error_kind_name(r.error().kind));
    }
    // The client's answer first: waking the bus thread must not delay it.
    done(std::move(r));
    if (!jid.empty()) {
      data["jid"] = Value(jid);
      (void)bus->publish("saltgw/job/" + jid + "/ret", Value(std::move(data)));
    }
  });
}

}  // namespace saltgw::salt_ipc
