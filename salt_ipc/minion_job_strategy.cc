#include "salt_ipc/minion_job_strategy.h"

#include <future>

#include "salt_ipc/in_flight.h"
#include "salt_ipc/log.h"

namespace saltgw::salt_ipc {

struct MinionJobStrategy::Impl : std::enable_shared_from_this<Impl> {
  EventBus& bus;
  JidGenerator& jids;
  MinionJobOptions opts;
  uint64_t sub_id = 0;
  uint64_t state_id = 0;
  InFlightJobs jobs;  // by jid; I/O thread only

  Impl(EventBus& b, JidGenerator& j, MinionJobOptions o) : bus(b), jids(j), opts(std::move(o)), jobs(b) {}

  void on_ret(const Event& ev) {
    std::string jid = jid_of_ret_tag(ev.tag);
    if (jid.empty()) return;
    const InFlightJobs::Job* job = jobs.find(jid);
    if (!job) return;
    JobResult r;
    r.jid = jid;
    r.fun = job->fun;
    if (const Value* v = ev.data.find("fun"); v && v->is_string()) r.fun = v->as_string();
    if (const Value* v = ev.data.find("return")) r.ret = *v;
    if (const Value* v = ev.data.find("retcode"); v && v->is_int())
      r.retcode = static_cast<int>(v->as_int());
    const Value* success = ev.data.find("success");
    // Salt always sets "success"; an answer without it is judged by retcode.
    r.success = success && success->is_bool() ? success->as_bool() : r.retcode == 0;
    jobs.finish(jid, settle_result(std::move(r), opts.max_event_size));
  }

  void on_state(bool up, const std::string& reason) {
    if (up) return;
    jobs.finish_all(make_error(ErrorKind::kConnectionLost,
                               "lost the connection to the minion while the job was running (" + reason +
                                   "); the job's result is unknown"));
  }

  void start_job(const std::string& jid, const JobRequest& req) {
    Status st = bus.publish("minion_job", Map{{"jid", jid},
                                              {"fun", req.fun},
                                              {"arg", Value(job_args(req))},
                                              {"ret", opts.returner}});
    if (!st) {
      jobs.finish(jid, st.error());
      return;
    }
    auto self = weak_from_this();
    jobs.expire_after(jid, req.timeout, [self](const std::string& key, Error why) {
      if (auto s = self.lock()) s->jobs.finish(key, std::move(why));
    });
  }
};

List MinionJobStrategy::job_args(const JobRequest& request) {
  List arg = request.args;
  if (!request.kwargs.empty()) {
    Map kw = request.kwargs;
    kw["__kwarg__"] = Value(true);
    arg.push_back(Value(std::move(kw)));
  }
  return arg;
}

std::string MinionJobStrategy::jid_of_ret_tag(std::string_view tag) {
  constexpr std::string_view head = "salt/job/", tail = "/ret";
  if (tag.size() <= head.size() + tail.size() || tag.substr(0, head.size()) != head ||
      tag.substr(tag.size() - tail.size()) != tail)
    return {};
  std::string_view jid = tag.substr(head.size(), tag.size() - head.size() - tail.size());
  if (jid.find('/') != std::string_view::npos) return {};  // salt/job/<jid>/ret/<minion> etc.
  return std::string(jid);
}

MinionJobStrategy::MinionJobStrategy(EventBus& bus, JidGenerator& jids, MinionJobOptions options)
    : impl_(std::make_shared<Impl>(bus, jids, std::move(options))) {
  std::weak_ptr<Impl> w = impl_;
  impl_->sub_id = bus.subscribe("salt/job/", [w](const Event& ev) {
    if (auto s = w.lock()) s->on_ret(ev);
  });
  impl_->state_id = bus.add_state_listener([w](bool up, const std::string& reason) {
    if (auto s = w.lock()) s->on_state(up, reason);
  });
}

MinionJobStrategy::~MinionJobStrategy() {
  impl_->bus.unsubscribe(impl_->sub_id);
  impl_->bus.remove_state_listener(impl_->state_id);
  // Jobs still pending are answered rather than dropped.
  auto impl = impl_;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  impl_->bus.post([impl, done] {
    impl->on_state(false, "saltgw is shutting down");
    done->set_value();
  });
  if (fut.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    log(LogLevel::kWarning, "minion_job: I/O thread did not answer at shutdown");
}

std::string MinionJobStrategy::submit(JobRequest request, JobCallback done) {
  std::string jid = request.jid.empty() ? impl_->jids.next() : request.jid;
  impl_->jobs.reserve();
  auto impl = impl_;
  impl_->bus.post([impl, jid, request = std::move(request), done = std::move(done)]() mutable {
    if (!impl->jobs.add(jid, InFlightJobs::Job{jid, request.fun}, done)) {  // a caller reused a jid in flight
      done(make_error(ErrorKind::kInvalidArgument, "job " + jid + " is already running"));
      return;
    }
    impl->start_job(jid, request);
  });
  return jid;
}

size_t MinionJobStrategy::in_flight() const { return impl_->jobs.size(); }

bool MinionJobStrategy::cancel(const std::string& jid, Error why) {
  auto impl = impl_;
  auto found = std::make_shared<bool>(false);
  // From a job's callback (the I/O thread) this runs at once.
  bool ran = impl_->bus.run_and_wait([impl, jid, why, found]() mutable {
    *found = impl->jobs.finish(jid, std::move(why));
  }, std::chrono::seconds(5));
  return ran && *found;
}

}  // namespace saltgw::salt_ipc
