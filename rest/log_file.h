// Resolves a log-file name from a download request under the log root.
//
// Names are relative ("syslog", "salt/minion"). Anything that would resolve
// outside the root is refused: absolute paths, "..", NUL bytes, symlinks that
// lead out, and things that are not regular files. Every refusal is
// kNotFound, so a client cannot probe which paths exist outside the root.
#pragma once

#include <string>
#include <string_view>

#include "salt_ipc/error.h"

namespace saltgw::rest {

// The canonical path of the file to send.
salt_ipc::Result<std::string> resolve_log_file(const std::string& root, std::string_view name);

}  // namespace saltgw::rest
