// Job ids in Salt's format: the local time as YYYYmmddHHMMSSffffff (20
// digits, microseconds), as salt.utils.jid.gen_jid makes them. JidGenerator
// never hands out the same jid twice in one process: when two calls fall in
// the same microsecond the later one is moved forward, as Salt does with
// unique_jid off.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace saltgw::salt_ipc {

class JidGenerator {
 public:
  std::string next();

 private:
  std::mutex mu_;
  int64_t last_us_ = 0;
};

// Formats microseconds since the epoch (local time) as a 20-digit jid.
std::string format_jid(int64_t epoch_us);

// True for a 20-digit jid.
bool is_valid_jid(std::string_view jid);

}  // namespace saltgw::salt_ipc
