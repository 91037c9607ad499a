#include "rest/api.h"

#include <algorithm>
#include <ctime>

#include "rest/error_map.h"
#include "rest/json.h"
#include "rest/log_file.h"
#include "salt_ipc/cli_args.h"

namespace saltgw::rest {

using salt_ipc::Error;
using salt_ipc::ErrorKind;
using salt_ipc::JobRequest;
using salt_ipc::JobResult;
using salt_ipc::List;
using salt_ipc::make_error;
using salt_ipc::Map;
using salt_ipc::Result;

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segs;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) segs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return segs;
}

HttpResponse json_response(int status, const Value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json_write(v);
  return r;
}

const char* const kApnKeys[] = {"apn", "mtu", "pass", "pin", "user"};

// Python repr of a list of strings, as the reference's messages show them.
std::string py_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += ", ";
    s += "'" + items[i] + "'";
  }
  return s + "]";
}

}  // namespace

LocalApi::LocalApi(ApiOptions options, salt_ipc::Strategy& strategy, const JwtSigner& signer)
    : opts_(std::move(options)), unit_id_(opts_.minion_id), strategy_(strategy), signer_(signer) {}

HttpResponse LocalApi::error_response(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = json_error_body(message);
  return r;
}

HttpResponse LocalApi::error_response(const Error& error) {
  HttpError he = http_error_for(error.kind);
  Map body{{"error", Value(error.message)}, {"kind", Value(salt_ipc::error_kind_name(error.kind))}};
  if (error.detail) body["return"] = *error.detail;
  HttpResponse r = json_response(he.status, Value(std::move(body)));
  if (he.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(he.retry_after_s));
  return r;
}

bool LocalApi::authorized(const HttpRequest& req) const {
  if (!opts_.auth_required) return true;
  std::string_view a = req.authorization;
  for (std::string_view scheme : {"Bearer ", "JWT ", "bearer ", "jwt "}) {
    if (a.substr(0, scheme.size()) == scheme) {
      auto claims = signer_.verify(a.substr(scheme.size()), static_cast<int64_t>(std::time(nullptr)));
      return claims.ok();
    }
  }
  return false;
}

void LocalApi::handle(const HttpRequest& req, Responder respond) {
  auto segs = split_path(req.path);
  enum class Route { kNone, kRoot, kLogin, kDevices, kLog, kExecute, kExecuteRaw, kApn } route = Route::kNone;
  std::vector<std::string> allowed;
  std::string unit;
  if (segs.empty()) route = Route::kRoot, allowed = {"GET"};
  else if (segs.size() == 2 && segs[0] == "auth" && segs[1] == "login") route = Route::kLogin, allowed = {"POST"};
  else if (segs.size() == 2 && segs[0] == "dongle" && segs[1] == "devices") route = Route::kDevices, allowed = {"GET"};
  else if (segs.size() == 1 && segs[0] == "download_log") route = Route::kLog, allowed = {"GET"};
  else if (segs.size() == 3 && segs[0] == "dongle" && segs[2] == "execute") route = Route::kExecute, allowed = {"POST"}, unit = segs[1];
  else if (segs.size() == 3 && segs[0] == "dongle" && segs[2] == "execute_raw") route = Route::kExecuteRaw, allowed = {"POST"}, unit = segs[1];
  else if (segs.size() == 4 && segs[0] == "dongle" && segs[2] == "settings" && segs[3] == "apn") route = Route::kApn, allowed = {"GET", "PUT"}, unit = segs[1];

  if (route == Route::kNone)
    return respond(error_response(404, "404 Not Found: no route for " + req.path.substr(0, 200)));

  std::string allow;
  for (const auto& m : allowed) allow += m + ", ";
  allow += "OPTIONS";

  if (req.method == "OPTIONS") {
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Allow", allow);
    r.headers.emplace_back("Access-Control-Allow-Methods", allow);
    r.headers.emplace_back("Access-Control-Allow-Headers",
                           req.request_headers.empty() ? "Content-Type, Authorization, Accept"
                                                       : req.request_headers);
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    return respond(std::move(r));
  }
  if (std::find(allowed.begin(), allowed.end(), req.method) == allowed.end()) {
    HttpResponse r = error_response(405, "405 Method Not Allowed: " + req.method + " is not allowed here; use " + allow);
    r.headers.emplace_back("Allow", allow);
    return respond(std::move(r));
  }

  if (route != Route::kRoot && route != Route::kLogin && !authorized(req)) {
    HttpResponse r = error_response(401, "authentication required: send 'Authorization: Bearer <token>' with a token from POST /auth/login/");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return respond(std::move(r));
  }

  if (!unit.empty()) {
    switch (unit_id_.match(unit)) {
      case UnitIdMatch::kMatch: break;
      case UnitIdMatch::kMalformed:
        return respond(error_response(404, "404 Not Found: '" + unit.substr(0, 100) + "' is not a unit id"));
      case UnitIdMatch::kMismatch:
        return respond(error_response(401, "unit_id does not match the id configured on this device"));
    }
  }

  Map device{{"unit_id", Value(unit_id_.display())}, {"display", Value("Local device")}};
  switch (route) {
    case Route::kRoot:
      return respond(json_response(200, Value(Map{{"unit_id", Value(unit_id_.display())}})));
    case Route::kDevices:
      return respond(json_response(200, Value(List{Value(device)})));
    case Route::kLogin: {
      int64_t now = static_cast<int64_t>(std::time(nullptr));
      Map claims{{"sub", Value("local user")}, {"unit_id", Value(unit_id_.display())}, {"iat", Value(now)}};
      Map user{{"pk", Value(0)},
               {"username", Value("local user")},
               {"has_devices", Value(true)},
               {"is_local", Value(true)},
               {"devices", Value(List{Value(device)})},
               {"timezone", Value("UTC")}};
      return respond(json_response(200, Value(Map{{"token", Value(signer_.sign(Value(claims)))},
                                                  {"user", Value(std::move(user))}})));
    }
    case Route::kLog: {
      auto it = req.query.find("file");
      if (it == req.query.end())
        return respond(error_response(400, "missing query parameter 'file', e.g. /download_log/?file=syslog"));
      auto path = resolve_log_file(opts_.log_root, it->second);
      if (!path) return respond(error_response(path.error()));
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.file_path = path.value();
      std::string base = it->second.substr(it->second.find_last_of('/') + 1);
      std::string safe;
      for (char c : base) safe.push_back((c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c);
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + safe + "\"");
      return respond(std::move(r));
    }
    case Route::kExecute: return execute(req, std::move(respond), false);
    case Route::kExecuteRaw: return execute(req, std::move(respond), true);
    case Route::kApn:
      if (req.method == "GET") return apn_get(std::move(respond));
      return apn_put(req, std::move(respond));
    case Route::kNone: break;
  }
  respond(error_response(500, "unhandled route"));
}

void LocalApi::execute(const HttpRequest& req, Responder respond, bool raw) {
  auto bad = [&](std::string msg) { respond(error_response(400, msg)); };
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return bad("request body is empty; expected JSON such as {\"command\": \"test.ping\"}");
  auto body = json_parse(req.body);
  if (!body) return bad(body.error().message);
  JobRequest job;
  job.timeout = opts_.job_timeout;
  if (raw) {
    const Value* cmd = body->find("command");
    if (!body->is_map()) return bad("body must be a JSON object {\"command\": \"<function> <args...>\"}");
    if (!cmd) return bad("missing 'command'");
    if (!cmd->is_string()) return bad("'command' must be a string");
    auto words = salt_ipc::shell_split(cmd->as_string());
    if (!words) return bad("cannot split 'command': " + words.error().message);
    if (words->empty()) return bad("'command' is empty");
    job.fun = words->front();
    auto parsed = salt_ipc::parse_cli_args(std::vector<std::string>(words->begin() + 1, words->end()));
    job.args = std::move(parsed.args);
    job.kwargs = std::move(parsed.kwargs);
  } else if (body->is_list()) {
    const List& l = body->as_list();
    if (l.empty() || !l[0].is_string())
      return bad("a list body must start with the function name, e.g. [\"test.arg\", \"a\", \"k=v\"]");
    job.fun = l[0].as_string();
    auto parsed = salt_ipc::parse_cli_values(List(l.begin() + 1, l.end()));
    job.args = std::move(parsed.args);
    job.kwargs = std::move(parsed.kwargs);
  } else if (body->is_map()) {
    const Value* cmd = body->find("command");
    if (!cmd) return bad("missing 'command'");
    if (!cmd->is_string()) return bad("'command' must be a string");
    job.fun = cmd->as_string();
    if (const Value* a = body->find("arg"); a && !a->is_null()) {
      if (!a->is_list()) return bad("'arg' must be a list");
      job.args = a->as_list();
    }
    if (const Value* k = body->find("kwarg"); k && !k->is_null()) {
      if (!k->is_map()) return bad("'kwarg' must be an object");
      job.kwargs = k->as_map();
    }
  } else {
    return bad("body must be a JSON object {\"command\", \"arg\", \"kwarg\"} or a JSON list");
  }
  if (!salt_ipc::is_valid_function_name(job.fun))
    return bad("'" + job.fun.substr(0, 100) + "' is not a valid function name (expected module.function)");
  run_job(std::move(job), std::move(respond));
}

void LocalApi::run_job(JobRequest job, Responder respond) {
  std::string jid = strategy_.submit(std::move(job), [respond](Result<JobResult> outcome) {
    HttpResponse r;
    if (outcome) {
      r = json_response(200, outcome->ret);
      r.jid = outcome->jid;
    } else {
      r = error_response(outcome.error());
    }
    respond(std::move(r));
  });
  (void)jid;
}

void LocalApi::apn_get(Responder respond) {
  JobRequest job{"grains.get", List{Value("qmi")}, Map{}, opts_.job_timeout};
  strategy_.submit(std::move(job), [respond](Result<JobResult> outcome) {
    if (!outcome) return respond(error_response(outcome.error()));
    const Value& v = outcome->ret;
    respond(json_response(200, v.is_map() ? v : Value(Map{})));
  });
}

void LocalApi::apn_put(const HttpRequest& req, Responder respond) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return respond(error_response(400, "request body is empty; expected a JSON object with apn, user, pass, pin, mtu"));
  auto body = json_parse(req.body);
  if (!body) return respond(error_response(400, body.error().message));
  if (!body->is_map()) return respond(error_response(400, "body must be a JSON object with apn, user, pass, pin, mtu"));
  std::vector<std::string> invalid;
  for (const auto& [k, v] : body->as_map())
    if (std::find(std::begin(kApnKeys), std::end(kApnKeys), k) == std::end(kApnKeys)) invalid.push_back(k);
  if (!invalid.empty()) return respond(error_response(400, "Invalid keys found. " + py_list(invalid)));
  Map stored;
  for (const char* k : kApnKeys) {
    const Value* v = body->find(k);
    stored[k] = v ? *v : (std::string_view(k) == "mtu" ? Value() : Value(""));
  }
  if (const Value& mtu = stored["mtu"]; !mtu.is_null() && !mtu.is_int())
    return respond(error_response(400, "'mtu' must be an integer or null"));
  for (const char* k : {"apn", "user", "pass", "pin"})
    if (!stored[k].is_string()) return respond(error_response(400, std::string("'") + k + "' must be a string"));
  // grains.setval qmi {...}, then refresh grains, then read back what is stored.
  auto timeout = opts_.job_timeout;
  auto& strategy = strategy_;
  JobRequest set{"grains.setval", List{Value("qmi"), Value(stored)}, Map{}, timeout};
  strategy.submit(std::move(set), [respond, timeout, &strategy](Result<JobResult> r1) {
    if (!r1) return respond(error_response(r1.error()));
    JobRequest refresh{"saltutil.refresh_grains", List{}, Map{}, timeout};
    strategy.submit(std::move(refresh), [respond, timeout, &strategy](Result<JobResult> r2) {
      if (!r2) return respond(error_response(r2.error()));
      JobRequest get{"grains.get", List{Value("qmi")}, Map{}, timeout};
      strategy.submit(std::move(get), [respond](Result<JobResult> r3) {
        if (!r3) return respond(error_response(r3.error()));
        respond(json_response(200, r3->ret.is_map() ? r3->ret : Value(Map{})));
      });
    });
  });
}

}  // namespace saltgw::rest
