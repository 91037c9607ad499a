#include "rest/routes.h"

#include <algorithm>
#include <initializer_list>

namespace saltgw::rest {

namespace {

constexpr std::string_view kUnit = ":unit";
constexpr std::string_view kJid = ":jid";

struct RouteSpec {
  Route route;
  std::initializer_list<std::string_view> segments;  // literals, kUnit, kJid
  std::initializer_list<const char*> methods;
};

// Every route of the Local API (rest/api.h lists what each answers).
const RouteSpec kRoutes[] = {
    {Route::kRoot, {}, {"GET"}},
    {Route::kLogin, {"auth", "login"}, {"POST"}},
    {Route::kDevices, {"dongle", "devices"}, {"GET"}},
    {Route::kLog, {"download_log"}, {"GET"}},
    {Route::kLogs, {"logs"}, {"GET"}},
    {Route::kInfo, {"info"}, {"GET"}},
    {Route::kExecute, {"dongle", kUnit, "execute"}, {"POST"}},
    {Route::kExecuteRaw, {"dongle", kUnit, "execute_raw"}, {"POST"}},
    {Route::kApn, {"dongle", kUnit, "settings", "apn"}, {"GET", "PUT"}},
    {Route::kJob, {"dongle", kUnit, "jobs", kJid}, {"GET", "DELETE"}},
    {Route::kEvents, {"dongle", kUnit, "events"}, {"GET"}},
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segs;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) segs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return segs;
}

}  // namespace

bool RouteMatch::serves(std::string_view method) const {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string RouteMatch::allow() const {
  std::string allow;
  for (const auto& m : methods) allow += m + ", ";
  return allow + "OPTIONS";
}

std::optional<RouteMatch> match_route(std::string_view path) {
  auto segs = split_path(path);
  for (const auto& spec : kRoutes) {
    if (spec.segments.size() != segs.size()) continue;
    RouteMatch m{spec.route, {spec.methods.begin(), spec.methods.end()}, {}, {}};
    bool same = true;
    size_t i = 0;
    for (std::string_view want : spec.segments) {
      std::string_view got = segs[i++];
      if (want == kUnit) m.unit = std::string(got);
      else if (want == kJid) m.jid = std::string(got);
      else if (want != got) same = false;
    }
    if (same) return m;
  }
  return std::nullopt;
}

}  // namespace saltgw::rest
