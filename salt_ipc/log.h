// Logging hook for salt_ipc. The library never writes to stderr itself: the
// composition root (gateway/) installs a sink. Without one, messages at
// warning and above go to stderr.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace saltgw::salt_ipc {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogSink = std::function<void(LogLevel, std::string_view message)>;

// Installs the sink (thread-safe; call once at start-up before threads run).
void set_log_sink(LogSink sink);
void log(LogLevel level, std::string_view message);

}  // namespace saltgw::salt_ipc
