#include "salt_ipc/engine_support.h"

namespace saltgw::salt_ipc {

std::optional<int> salt_release(std::string_view version) {
  int n = 0;
  size_t i = 0;
  for (; i < version.size() && version[i] >= '0' && version[i] <= '9' && i < 6; ++i)
    n = n * 10 + (version[i] - '0');
  if (i == 0) return std::nullopt;
  return n;
}

bool engine_supports_salt(std::string_view version) {
  auto r = salt_release(version);
  return !r || *r >= kEngineMinSalt;
}

std::string engine_unsupported_words(std::string_view version) {
  return "the minion runs Salt " + std::string(version) + ", older than the executor engine supports (Salt " +
         std::to_string(kEngineMinSalt) + " or newer on Python " + std::string(kEngineMinPython) +
         " or newer), so saltgw dispatches jobs through the minion's scheduler (schedule), which works on every "
         "Salt since 2016.3";
}

}  // namespace saltgw::salt_ipc
