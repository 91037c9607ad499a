// saltgw's log: one line per message on stderr ("saltgw[PID] LEVEL: text",
// which journald keeps with the unit), filtered by the configured level.
//
// The level is one process-wide setting (SIGHUP may change it while threads
// log). route_library_logs() sends salt_ipc's messages (salt_ipc/log.h)
// through the same filter; access lines (one per request) are info-level, so
// they are on exactly when access_lines_on(level). Log level names are those
// of the config key log_level: debug, info, warning, error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "salt_ipc/log.h"

namespace saltgw::gateway {

using salt_ipc::LogLevel;

// "debug" -> kDebug, ...; nullopt for any other text.
std::optional<LogLevel> parse_log_level(std::string_view name);
const char* log_level_name(LogLevel level);

// Access lines are written at info and below.
inline bool access_lines_on(LogLevel level) { return level <= LogLevel::kInfo; }

// "saltgw[PID] LEVEL: text" without the newline.
std::string format_log_line(int pid, std::string_view level, std::string_view text);

// Writes one line to stderr now, whatever the level (callers filter);
// `level` may be a level's name or another label ("access").
void log_line(std::string_view level, std::string_view text);

// The level below which messages are dropped (default info).
void set_log_level(LogLevel level);
LogLevel log_level();

// Writes `text` when `level` passes the filter.
void log_message(LogLevel level, std::string_view text);

// Installs salt_ipc's log sink: its messages go through log_message().
void route_library_logs();

// Silences salt_ipc's messages (saltgw --check prints its own report).
void silence_library_logs();

}  // namespace saltgw::gateway
