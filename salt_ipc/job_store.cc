#include "salt_ipc/job_store.h"

namespace saltgw::salt_ipc {

const char* job_state_name(JobRecord::State s) {
  switch (s) {
    case JobRecord::State::kRunning: return "running";
    case JobRecord::State::kFinished: return "finished";
    case JobRecord::State::kFailed: return "failed";
  }
  return "unknown";
}

JobStore::JobStore(size_t max_finished, std::chrono::seconds keep_for, size_t max_result_bytes)
    : max_finished_(max_finished), keep_for_(keep_for), max_result_bytes_(max_result_bytes) {}

void JobStore::started(const std::string& jid, const std::string& fun) {
  std::lock_guard<std::mutex> lock(mu_);
  JobRecord r;
  r.jid = jid;
  r.fun = fun;
  r.started = std::chrono::system_clock::now();
  jobs_.insert_or_assign(jid, std::move(r));
}

JobRecord* JobStore::ending_locked(const std::string& jid, std::chrono::system_clock::time_point now) {
  auto it = jobs_.find(jid);
  if (it == jobs_.end()) {
    JobRecord r;
    r.jid = jid;
    r.started = now;
    it = jobs_.emplace(jid, std::move(r)).first;
  }
  JobRecord& r = it->second;
  if (r.state != JobRecord::State::kRunning) return nullptr;  // exactly once
  r.ended = now;
  return &r;
}

void JobStore::ended_locked(JobRecord& r, std::chrono::system_clock::time_point now) {
  size_t bytes = r.result ? approx_bytes(r.result->ret) : 0;
  sizes_[r.jid] = bytes;
  result_bytes_ += bytes;
  finished_order_.emplace(now, r.jid);
  prune_locked(now);
}

template <typename Record>
void JobStore::end(const std::string& jid, Record record) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::system_clock::now();
  JobRecord* r = ending_locked(jid, now);
  if (!r) return;
  record(*r);
  ended_locked(*r, now);
}

void JobStore::finished(const std::string& jid, std::shared_ptr<const JobResult> result) {
  end(jid, [&](JobRecord& r) {
    r.state = JobRecord::State::kFinished;
    r.result = std::move(result);
  });
}

void JobStore::failed(const std::string& jid, Error error) {
  end(jid, [&](JobRecord& r) {
    r.state = JobRecord::State::kFailed;
    r.error = std::move(error);
  });
}

void JobStore::finished(const std::string& jid, Result<std::shared_ptr<const JobResult>> outcome) {
  if (outcome) finished(jid, std::move(outcome).value());
  else failed(jid, outcome.error());
}

void JobStore::prune_locked(std::chrono::system_clock::time_point now) {
  while (!finished_order_.empty() &&
         (finished_order_.size() > max_finished_ || finished_order_.begin()->first + keep_for_ < now ||
          result_bytes_ > max_result_bytes_)) {
    const std::string& jid = finished_order_.begin()->second;
    auto size = sizes_.find(jid);
    if (size != sizes_.end()) {
      result_bytes_ -= size->second;
      sizes_.erase(size);
    }
    jobs_.erase(jid);
    finished_order_.erase(finished_order_.begin());
  }
}

std::optional<JobRecord> JobStore::get(const std::string& jid) {
  std::lock_guard<std::mutex> lock(mu_);
  prune_locked(std::chrono::system_clock::now());
  auto it = jobs_.find(jid);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

size_t JobStore::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size() - finished_order_.size();
}

size_t JobStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

}  // namespace saltgw::salt_ipc
