// Resolves a log-file name from a download request under the log root.
//
// Names are relative ("syslog", "salt/minion"). Anything that would resolve
// outside the root is refused: absolute paths, "..", NUL bytes, symlinks that
// lead out, and things that are not regular files. Every refusal is
// kNotFound, so a client cannot probe which paths exist outside the root.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salt_ipc/error.h"

namespace saltgw::rest {

// The canonical path of the file to send.
salt_ipc::Result<std::string> resolve_log_file(const std::string& root, std::string_view name);

struct LogFileInfo {
  std::string name;   // relative to the root, as /download_log/ takes it
  uint64_t size = 0;
  int64_t modified = 0;  // seconds since the epoch (UTC)
};

// Every regular file under the root that /download_log/ would serve (the same
// rules: symlinks leading out are left out), sorted by name, at most
// `max_files` of them, `max_depth` folders deep. An unreadable root is empty.
std::vector<LogFileInfo> list_log_files(const std::string& root, size_t max_files = 2000, int max_depth = 6);

// The last `max_bytes` bytes of a file (all of it when smaller); `size` gets
// the file's size. kNotFound when it cannot be read.
salt_ipc::Result<std::string> read_log_tail(const std::string& path, uint64_t max_bytes, uint64_t* size);

}  // namespace saltgw::rest
