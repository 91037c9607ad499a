#include "salt_ipc/schedule_strategy.h"

#include <future>

#include "salt_ipc/in_flight.h"
#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

struct ScheduleStrategy::Impl : std::enable_shared_from_this<Impl> {
  EventBus& bus;
  JidGenerator& jids;
  ScheduleOptions opts;
  uint64_t sub_id = 0;
  uint64_t state_id = 0;
  InFlightJobs jobs;  // by schedule name; I/O thread only

  Impl(EventBus& b, JidGenerator& j, ScheduleOptions o) : bus(b), jids(j), opts(std::move(o)), jobs(b) {}

  // Completes a job once; `cleanup` deletes its schedule entry (not needed
  // when the entry was never added, or the minion that held it is gone).
  void finish(const std::string& name, Result<JobResult> outcome, bool cleanup) {
    if (!jobs.find(name)) return;
    if (cleanup && bus.connected()) {
      (void)bus.publish("manage_schedule",
                        Map{{"func", "delete"}, {"name", name}, {"persist", false}});
    }
    jobs.finish(name, std::move(outcome));
  }

  void on_return(const Event& ev) {
    const Value* sched = ev.data.find("schedule");
    if (!sched || !sched->is_string()) return;
    const std::string& name = sched->as_string();
    const InFlightJobs::Job* job = jobs.find(name);
    if (!job) return;
    JobResult r;
    r.jid = job->jid;
    r.fun = job->fun;
    if (const Value* v = ev.data.find("fun"); v && v->is_string()) r.fun = v->as_string();
    if (const Value* v = ev.data.find("return")) r.ret = *v;
    const Value* success = ev.data.find("success");
    r.success = success && success->is_bool() && success->as_bool();
    if (const Value* v = ev.data.find("retcode"); v && v->is_int())
      r.retcode = static_cast<int>(v->as_int());
    finish(name, settle_result(std::move(r), opts.max_event_size), true);
  }

  void on_state(bool up, const std::string& reason) {
    if (up) return;
    jobs.finish_all(make_error(ErrorKind::kConnectionLost,
                               "lost the connection to the minion while the job was running (" + reason +
                                   "); the job's result is unknown"));
  }

  void start_job(const std::string& name, JobRequest req) {
    Map entry{{"function", req.fun},
              {"args", Value(req.args)},
              {"enabled", false},
              {"jid_include", true},
              {"maxrunning", 1},
              {"name", name}};
    if (!req.kwargs.empty()) entry["kwargs"] = Value(req.kwargs);
    Status st = bus.publish("manage_schedule",
                            Map{{"func", "add"},
                                {"persist", false},
                                {"schedule", Map{{name, Value(std::move(entry))}}}});
    if (st) st = bus.publish("manage_schedule", Map{{"func", "run_job"}, {"name", name}});
    if (!st) {
      finish(name, st.error(), false);
      return;
    }
    auto self = weak_from_this();
    jobs.expire_after(name, req.timeout, [self](const std::string& key, Error why) {
      if (auto s = self.lock()) s->finish(key, std::move(why), true);
    });
  }
};

ScheduleStrategy::ScheduleStrategy(EventBus& bus, JidGenerator& jids, ScheduleOptions options)
    : impl_(std::make_shared<Impl>(bus, jids, std::move(options))) {
  std::weak_ptr<Impl> w = impl_;
  impl_->sub_id = bus.subscribe("__schedule_return", [w](const Event& ev) {
    if (auto s = w.lock()) s->on_return(ev);
  });
  impl_->state_id = bus.add_state_listener([w](bool up, const std::string& reason) {
    if (auto s = w.lock()) s->on_state(up, reason);
  });
}

ScheduleStrategy::~ScheduleStrategy() {
  impl_->bus.unsubscribe(impl_->sub_id);
  impl_->bus.remove_state_listener(impl_->state_id);
  // Jobs still pending are answered rather than dropped.
  auto impl = impl_;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  impl_->bus.post([impl, done] {
    impl->jobs.finish_all(
        make_error(ErrorKind::kCancelled, "saltgw is shutting down; the job may still finish on the minion"));
    done->set_value();
  });
  if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    log(LogLevel::kWarning, "schedule: I/O thread did not answer at shutdown");
}

std::string ScheduleStrategy::submit(JobRequest request, JobCallback done) {
  std::string jid = request.jid.empty() ? impl_->jids.next() : request.jid;
  std::string name = impl_->opts.name_prefix + jid;
  impl_->jobs.reserve();
  auto impl = impl_;
  impl_->bus.post([impl, jid, name, request = std::move(request), done = std::move(done)]() mutable {
    if (!impl->jobs.add(name, InFlightJobs::Job{jid, request.fun}, done)) {  // a caller reused a jid in flight
      done(make_error(ErrorKind::kInvalidArgument, "job " + jid + " is already running"));
      return;
    }
    impl->start_job(name, std::move(request));
  });
  return jid;
}

size_t ScheduleStrategy::in_flight() const { return impl_->jobs.size(); }

std::string ScheduleStrategy::schedule_name(const std::string& jid) const { return impl_->opts.name_prefix + jid; }

bool ScheduleStrategy::cancel(const std::string& jid, Error why) {
  auto impl = impl_;
  auto found = std::make_shared<bool>(false);
  std::string name = schedule_name(jid);
  // From a job's callback (the I/O thread) this runs at once.
  bool ran = impl_->bus.run_and_wait([impl, name, why, found]() mutable {
    *found = impl->jobs.find(name) != nullptr;
    if (*found) impl->finish(name, std::move(why), true);
  }, std::chrono::seconds(5));
  return ran && *found;
}

}  // namespace saltgw::salt_ipc
