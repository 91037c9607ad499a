#include "salt_ipc/in_flight.h"

#include <vector>

namespace saltgw::salt_ipc {

InFlightJobs::InFlightJobs(IoLoop& bus) : bus_(bus), state_(std::make_shared<State>()) {}

InFlightJobs::~InFlightJobs() {
  for (auto& [key, e] : state_->jobs)
    if (e.timer) bus_.cancel_timer(e.timer);
}

void InFlightJobs::reserve() { state_->count++; }

bool InFlightJobs::add(const std::string& key, Job job, JobCallback done) {
  auto [it, added] = state_->jobs.try_emplace(key, Entry{std::move(job), std::move(done), 0});
  if (!added) state_->count--;
  return added;
}

void InFlightJobs::expire_after(const std::string& key, std::chrono::milliseconds timeout, Expired expired) {
  auto it = state_->jobs.find(key);
  if (it == state_->jobs.end()) return;
  if (it->second.timer) bus_.cancel_timer(it->second.timer);
  std::weak_ptr<State> weak = state_;
  it->second.timer = bus_.post_after(timeout, [weak, key, timeout, expired = std::move(expired)] {
    auto state = weak.lock();
    if (!state) return;
    auto it = state->jobs.find(key);
    if (it == state->jobs.end()) return;
    it->second.timer = 0;  // fired: nothing to cancel
    expired(key, timeout_error(timeout));
  });
}

const InFlightJobs::Job* InFlightJobs::find(const std::string& key) const {
  auto it = state_->jobs.find(key);
  return it == state_->jobs.end() ? nullptr : &it->second.job;
}

InFlightJobs::Job* InFlightJobs::find(const std::string& key) {
  auto it = state_->jobs.find(key);
  return it == state_->jobs.end() ? nullptr : &it->second.job;
}

bool InFlightJobs::finish(const std::string& key, Result<JobResult> outcome) {
  auto it = state_->jobs.find(key);
  if (it == state_->jobs.end()) return false;
  Entry e = std::move(it->second);
  state_->jobs.erase(it);
  state_->count--;
  if (e.timer) bus_.cancel_timer(e.timer);
  e.done(std::move(outcome));
  return true;
}

void InFlightJobs::finish_all(const Error& why) {
  std::vector<std::string> keys;
  keys.reserve(state_->jobs.size());
  for (auto& [key, e] : state_->jobs) keys.push_back(key);
  for (auto& key : keys) finish(key, why);
}

Error InFlightJobs::timeout_error(std::chrono::milliseconds timeout) {
  auto secs = std::to_string(timeout.count() / 1000.0);
  secs.erase(secs.find_last_not_of('0') + 1);
  if (!secs.empty() && secs.back() == '.') secs.pop_back();
  return make_error(ErrorKind::kTimeout,
                    "no result from the minion within " + secs + " s; the job may still be running");
}

}  // namespace saltgw::salt_ipc
