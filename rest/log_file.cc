#include "rest/log_file.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

namespace saltgw::rest {

using salt_ipc::ErrorKind;
using salt_ipc::make_error;

salt_ipc::Result<std::string> resolve_log_file(const std::string& root, std::string_view name) {
  auto not_found = [&] {
    return make_error(ErrorKind::kNotFound, "404 Not Found: no log file named '" +
                                                std::string(name.substr(0, 200)) + "'");
  };
  if (name.empty() || name.size() > 1024 || name.find('\0') != std::string_view::npos ||
      name.front() == '/')
    return not_found();
  // Reject ".." components outright, before touching the file system.
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return not_found();
    start = end + 1;
  }
  char root_real[PATH_MAX];
  if (!::realpath(root.c_str(), root_real)) return not_found();
  std::string candidate = std::string(root_real) + "/" + std::string(name);
  char real[PATH_MAX];
  if (!::realpath(candidate.c_str(), real)) return not_found();
  std::string r(real), rr(root_real);
  if (rr != "/" && (r.size() <= rr.size() || r.compare(0, rr.size(), rr) != 0 || r[rr.size()] != '/'))
    return not_found();
  struct stat st {};
  if (::stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return not_found();
  return r;
}

}  // namespace saltgw::rest
