#include "salt_ipc/jid.h"

#include <cstdio>
#include <ctime>

namespace saltgw::salt_ipc {

// Jids after 2038-01-19 03:14:07 UTC need a 64-bit time_t. 64-bit targets have
// it; meson.build defines _TIME_BITS=64 on 32-bit glibc (armhf).
static_assert(sizeof(time_t) >= 8, "time_t must be 64-bit (build with -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64)");

std::string format_jid(int64_t epoch_us) {
  time_t secs = static_cast<time_t>(epoch_us / 1000000);
  int64_t us = epoch_us % 1000000;
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%06lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us));
  return buf;
}

std::string JidGenerator::next() {
  int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::lock_guard<std::mutex> lock(mu_);
  if (now <= last_us_) now = last_us_ + 1;
  last_us_ = now;
  return format_jid(now);
}

bool is_valid_jid(std::string_view jid) {
  if (jid.size() != 20) return false;
  for (char c : jid)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace saltgw::salt_ipc
