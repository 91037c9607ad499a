// The deadlines of one reactor thread's connections, earliest first.
//
// Each connection has at most one deadline at a time (the one its state
// implies: header, body, answer, keep-alive or linger); the reactor arms its
// single timer for the earliest and disarms it when there is none, so an idle
// server has no timer at all. Pure bookkeeping (no clock, no fds); one per
// reactor thread, not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace saltgw::rest::http {

class Deadlines {
 public:
  using Clock = std::chrono::steady_clock;

  // Sets or moves id's deadline.
  void set(uint64_t id, Clock::time_point when);
  // Removes id's deadline, if any.
  void clear(uint64_t id);
  // The earliest deadline, if there is one.
  std::optional<Clock::time_point> earliest() const;
  // Removes the deadlines at or before `now` and returns their ids, earliest first.
  std::vector<uint64_t> take_expired(Clock::time_point now);
  size_t size() const { return by_id_.size(); }

 private:
  std::set<std::pair<Clock::time_point, uint64_t>> order_;
  std::unordered_map<uint64_t, Clock::time_point> by_id_;
};

}  // namespace saltgw::rest::http
