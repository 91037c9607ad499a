// Python's shlex.split(s) in POSIX mode (whitespace_split, no comments), the
// first step of execute_raw: the command string becomes words.
//
// Quotes ('...' literal, "..." with backslash escaping only \\ and \"),
// backslash escapes outside quotes, and empty quoted words ('' gives "") are
// handled as Python does. Whitespace is space, tab, CR and LF. All special
// characters are ASCII, so the input is treated as bytes: any UTF-8 (or
// non-UTF-8) text between them is copied unchanged.
// Errors (kind kInvalidArgument) carry Python's messages, "No closing
// quotation" or "No escaped character". No exception escapes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "salt_ipc/error.h"

namespace saltgw::salt_ipc {

// shlex.split(s) in POSIX mode (quotes, backslash escapes, no comments).
// Error (kind kInvalidArgument) with Python's messages "No closing quotation"
// or "No escaped character".
Result<std::vector<std::string>> shell_split(std::string_view command);

}  // namespace saltgw::salt_ipc
