#include "rest/http/deadlines.h"

namespace saltgw::rest::http {

void Deadlines::set(uint64_t id, Clock::time_point when) {
  auto [it, inserted] = by_id_.try_emplace(id, when);
  if (!inserted) {
    if (it->second == when) return;
    order_.erase({it->second, id});
    it->second = when;
  }
  order_.emplace(when, id);
}

void Deadlines::clear(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  order_.erase({it->second, id});
  by_id_.erase(it);
}

std::optional<Deadlines::Clock::time_point> Deadlines::earliest() const {
  if (order_.empty()) return std::nullopt;
  return order_.begin()->first;
}

std::vector<uint64_t> Deadlines::take_expired(Clock::time_point now) {
  std::vector<uint64_t> ids;
  while (!order_.empty() && order_.begin()->first <= now) {
    uint64_t id = order_.begin()->second;
    order_.erase(order_.begin());
    by_id_.erase(id);
    ids.push_back(id);
  }
  return ids;
}

}  // namespace saltgw::rest::http
