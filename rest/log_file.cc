#include "rest/log_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

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

std::vector<LogFileInfo> list_log_files(const std::string& root, size_t max_files, int max_depth) {
  namespace fs = std::filesystem;
  std::vector<LogFileInfo> out;
  std::error_code ec;
  fs::path base(root);
  fs::recursive_directory_iterator it(base, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end && out.size() < max_files; it.increment(ec)) {
    if (it.depth() >= max_depth) it.disable_recursion_pending();
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;  // follows symlinks; resolve_log_file checks where they lead
    // Lexically: fs::relative would resolve a symlink's name into its target's.
    std::string name = it->path().lexically_relative(base).generic_string();
    if (name.empty()) continue;  // resolve_log_file below refuses anything else that leaves the root
    auto real = resolve_log_file(root, name);
    if (!real) continue;
    struct stat st {};
    if (::stat(real->c_str(), &st) != 0) continue;
    out.push_back(LogFileInfo{name, static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
  }
  std::sort(out.begin(), out.end(), [](const LogFileInfo& a, const LogFileInfo& b) { return a.name < b.name; });
  return out;
}

salt_ipc::Result<std::string> read_log_tail(const std::string& path, uint64_t max_bytes, uint64_t* size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::kNotFound, "404 Not Found: the log file could not be opened");
  in.seekg(0, std::ios::end);
  auto total = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  uint64_t from = total > max_bytes ? total - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string data(static_cast<size_t>(total - from), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  if (size) *size = total;
  return data;
}

}  // namespace saltgw::rest
