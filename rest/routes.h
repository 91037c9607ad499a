// The Local API's route table: which paths exist and which methods each
// serves. Pure: no I/O, no LocalApi.
//
// A path is split on '/' (empty segments, so trailing and doubled slashes,
// are ignored) and matched against one table (rest/routes.cc): literal
// segments, and the placeholders for a unit id and a jid, which are returned
// as given (LocalApi checks the unit id). No match: the path has no route
// (404). A match carries the methods the route serves; OPTIONS is served on
// every route (CORS preflight) and appears last in allow().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace saltgw::rest {

enum class Route { kRoot, kLogin, kDevices, kLog, kLogs, kInfo, kExecute, kExecuteRaw, kApn, kJob, kEvents };

struct RouteMatch {
  Route route;
  std::vector<std::string> methods;  // as in the table, e.g. {"GET", "PUT"}
  std::string unit;                  // the unit id segment, when the route has one
  std::string jid;                   // the jid segment (kJob)

  bool serves(std::string_view method) const;
  // "GET, PUT, OPTIONS": for Allow and Access-Control-Allow-Methods.
  std::string allow() const;
  // Routes anyone may call when auth is required (the root and the login).
  bool open() const { return route == Route::kRoot || route == Route::kLogin; }
};

std::optional<RouteMatch> match_route(std::string_view path);

}  // namespace saltgw::rest
