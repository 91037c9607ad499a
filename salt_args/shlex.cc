// shlex.split in POSIX mode; see shlex.h.
#include "salt_args/shlex.h"

#include <utility>

namespace saltgw::salt_ipc {

Result<std::vector<std::string>> shell_split(std::string_view command) {
  // Python's shlex in POSIX mode with whitespace_split=True, commenters=''.
  // All special characters are ASCII, so working on UTF-8 bytes is exact.
  std::vector<std::string> words;
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = 0, n = command.size();
  for (;;) {
    while (i < n && is_ws(command[i])) ++i;
    if (i >= n) break;
    std::string token;
    bool quoted = false;
    while (i < n && !is_ws(command[i])) {
      char c = command[i];
      if (c == '\'' || c == '"') {
        quoted = true;
        char q = c;
        ++i;
        for (;;) {
          if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No closing quotation");
          char d = command[i];
          if (d == q) {
            ++i;
            break;
          }
          if (q == '"' && d == '\\') {
            ++i;
            if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No escaped character");
            char e = command[i];
            if (e != '\\' && e != '"') token.push_back('\\');
            token.push_back(e);
            ++i;
            continue;
          }
          token.push_back(d);
          ++i;
        }
      } else if (c == '\\') {
        ++i;
        if (i >= n) return make_error(ErrorKind::kInvalidArgument, "No escaped character");
        token.push_back(command[i]);
        ++i;
      } else {
        token.push_back(c);
        ++i;
      }
    }
    if (!token.empty() || quoted) words.push_back(std::move(token));
  }
  return words;
}

}  // namespace saltgw::salt_ipc
