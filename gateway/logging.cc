#include "gateway/logging.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace saltgw::gateway {

namespace {

constexpr const char* kNames[] = {"debug", "info", "warning", "error"};

std::mutex g_write_mu;
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (int i = 0; i < 4; ++i)
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  return std::nullopt;
}

const char* log_level_name(LogLevel level) {
  int i = static_cast<int>(level);
  return i >= 0 && i < 4 ? kNames[i] : "error";
}

std::string format_log_line(int pid, std::string_view level, std::string_view text) {
  std::string line = "saltgw[" + std::to_string(pid) + "] ";
  line.append(level);
  line += ": ";
  line.append(text);
  return line;
}

void log_line(std::string_view level, std::string_view text) {
  std::string line = format_log_line(static_cast<int>(::getpid()), level, text);
  line += '\n';
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }

LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log_message(LogLevel level, std::string_view text) {
  if (static_cast<int>(level) >= g_level.load()) log_line(log_level_name(level), text);
}

void route_library_logs() {
  salt_ipc::set_log_sink([](LogLevel level, std::string_view text) { log_message(level, text); });
}

void silence_library_logs() {
  salt_ipc::set_log_sink([](LogLevel, std::string_view) {});
}

}  // namespace saltgw::gateway
