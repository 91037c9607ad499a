#include "salt_ipc/log.h"

#include <cstdio>
#include <mutex>

namespace saltgw::salt_ipc {

namespace {
std::mutex g_mu;
LogSink g_sink;
}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_sink = std::move(sink);
}

void log(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_sink) {
    g_sink(level, message);
  } else if (level >= LogLevel::kWarning) {
    std::fprintf(stderr, "saltgw: %.*s\n", static_cast<int>(message.size()), message.data());
  }
}

}  // namespace saltgw::salt_ipc
