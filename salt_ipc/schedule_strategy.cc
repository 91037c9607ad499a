#include "salt_ipc/schedule_strategy.h"

#include <atomic>
#include <future>
#include <map>

#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

struct ScheduleStrategy::Impl : std::enable_shared_from_this<Impl> {
  EventBus& bus;
  JidGenerator& jids;
  ScheduleOptions opts;
  uint64_t sub_id = 0;
  uint64_t state_id = 0;
  std::atomic<size_t> count{0};

  struct Pending {
    std::string jid;
    std::string fun;
    JobCallback done;
    uint64_t timer = 0;
  };
  std::map<std::string, Pending> pending;  // by schedule name; I/O thread only

  Impl(EventBus& b, JidGenerator& j, ScheduleOptions o) : bus(b), jids(j), opts(std::move(o)) {}

  void finish(const std::string& name, Result<JobResult> outcome, bool cleanup) {
    auto it = pending.find(name);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    count--;
    if (p.timer) bus.cancel_timer(p.timer);
    if (cleanup && bus.connected()) {
      (void)bus.publish("manage_schedule",
                        Map{{"func", "delete"}, {"name", name}, {"persist", false}});
    }
    p.done(std::move(outcome));
  }

  void on_return(const Event& ev) {
    const Value* sched = ev.data.find("schedule");
    if (!sched || !sched->is_string()) return;
    const std::string& name = sched->as_string();
    auto it = pending.find(name);
    if (it == pending.end()) return;
    JobResult r;
    r.jid = it->second.jid;
    r.fun = it->second.fun;
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
    fail_all(make_error(ErrorKind::kConnectionLost,
                        "lost the connection to the minion while the job was running (" + reason +
                            "); the job's result is unknown"));
  }

  void fail_all(const Error& why) {
    std::vector<std::string> names;
    for (auto& [name, p] : pending) names.push_back(name);
    for (auto& name : names) finish(name, why, false);
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
    auto secs = std::to_string(req.timeout.count() / 1000.0);
    secs.erase(secs.find_last_not_of('0') + 1);
    if (!secs.empty() && secs.back() == '.') secs.pop_back();
    pending[name].timer = bus.post_after(req.timeout, [self, name, secs] {
      if (auto s = self.lock()) {
        auto it = s->pending.find(name);
        if (it == s->pending.end()) return;
        it->second.timer = 0;
        s->finish(name,
                  make_error(ErrorKind::kTimeout, "no result from the minion within " + secs +
                                                      " s; the job may still be running"),
                  true);
      }
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
    impl->fail_all(make_error(ErrorKind::kCancelled, "saltgw is shutting down; the job may still finish on the minion"));
    done->set_value();
  });
  if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    log(LogLevel::kWarning, "schedule: I/O thread did not answer at shutdown");
}

std::string ScheduleStrategy::submit(JobRequest request, JobCallback done) {
  std::string jid = request.jid.empty() ? impl_->jids.next() : request.jid;
  std::string name = impl_->opts.name_prefix + jid;
  impl_->count++;
  auto impl = impl_;
  impl_->bus.post([impl, jid, name, request = std::move(request), done = std::move(done)]() mutable {
    impl->pending[name] = Impl::Pending{jid, request.fun, std::move(done), 0};
    impl->start_job(name, std::move(request));
  });
  return jid;
}

size_t ScheduleStrategy::in_flight() const { return impl_->count.load(); }

}  // namespace saltgw::salt_ipc

namespace saltgw::salt_ipc {

std::string ScheduleStrategy::schedule_name(const std::string& jid) const { return impl_->opts.name_prefix + jid; }

bool ScheduleStrategy::cancel(const std::string& jid, Error why) {
  auto impl = impl_;
  auto done = std::make_shared<std::promise<bool>>();
  auto fut = done->get_future();
  std::string name = schedule_name(jid);
  impl_->bus.post([impl, name, why, done]() mutable {
    bool found = impl->pending.count(name) > 0;
    if (found) impl->finish(name, std::move(why), true);
    done->set_value(found);
  });
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return false;
  return fut.get();
}

}  // namespace saltgw::salt_ipc
