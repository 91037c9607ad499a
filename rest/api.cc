#include "rest/api.h"

#include <algorithm>
#include <map>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <ctime>

#include "rest/api_error.h"
#include "rest/error_map.h"
#include "rest/routes.h"
#include "rest/json.h"
#include "rest/json_body.h"
#include "rest/log_file.h"
#include "rest/ui_assets.h"
#include "salt_args/cli_args.h"
#include "salt_ipc/job_control.h"

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

HttpResponse json_response(int status, const Value& v);
std::string iso_time(std::chrono::system_clock::time_point t);

Value device_entry(const UnitId& unit) {
  return Value(Map{{"unit_id", Value(unit.display())}, {"display", Value("Local device")}});
}

Error shutting_down() { return make_error(ErrorKind::kCancelled, "saltgw is shutting down; try again shortly"); }

// CORS preflight: 204 with what the route allows.
HttpResponse preflight(const RouteMatch& route, const HttpRequest& req) {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  r.headers.emplace_back("Allow", route.allow());
  r.headers.emplace_back("Access-Control-Allow-Methods", route.allow());
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         req.request_headers.empty() ? "Content-Type, Authorization, Accept" : req.request_headers);
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  return r;
}

// The last `tail` bytes of a log file, shown inline as text.
HttpResponse log_tail(const std::string& path, const std::string& tail) {
  uint64_t bytes = 0;
  bool digits = !tail.empty() && tail.size() <= 9 && tail.find_first_not_of("0123456789") == std::string::npos;
  if (digits) bytes = std::stoull(tail);
  if (!digits || bytes < 1 || bytes > 16u * 1024 * 1024)
    return error_response(ApiError(ErrorKind::kInvalidArgument, "'tail' must be a number of bytes from 1 to 16777216"));
  uint64_t size = 0;
  auto data = read_log_tail(path, bytes, &size);
  if (!data) return error_response(data.error());
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("X-Log-Size", std::to_string(size));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = std::move(data).value();
  return r;
}

// GET /download_log/?file=NAME[&tail=BYTES]: the file as an attachment, or its tail.
HttpResponse download_log(const HttpRequest& req, const std::string& log_root) {
  auto it = req.query.find("file");
  if (it == req.query.end())
    return error_response(ApiError(ErrorKind::kInvalidArgument, "missing query parameter 'file', e.g. /download_log/?file=syslog"));
  auto path = resolve_log_file(log_root, it->second);
  if (!path) return error_response(path.error());
  if (auto tail = req.query.find("tail"); tail != req.query.end()) return log_tail(path.value(), tail->second);
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.file_path = path.value();
  std::string base = it->second.substr(it->second.find_last_of('/') + 1);
  std::string safe;
  for (char c : base) safe.push_back((c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + safe + "\"");
  return r;
}

// GET /logs/: the files /download_log/ serves.
HttpResponse log_list(const std::string& log_root) {
  List files;
  for (const auto& f : list_log_files(log_root))
    files.push_back(Value(Map{{"name", Value(f.name)},
                              {"size", Value(static_cast<int64_t>(f.size))},
                              {"modified", Value(iso_time(std::chrono::system_clock::from_time_t(f.modified)))}}));
  return json_response(200, Value(std::move(files)));
}

HttpResponse json_response(int status, const Value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json_write(v);
  return r;
}

// Results whose JSON is about this big or more are encoded while being sent.
constexpr size_t kStreamedBodyBytes = 256 * 1024;

// An outcome with its result shared, never copied: the job store keeps the
// same one the answer is written from.
Result<std::shared_ptr<const JobResult>> share(Result<JobResult> outcome) {
  if (!outcome) return outcome.error();
  return std::make_shared<const JobResult>(std::move(outcome).value());
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

// fnmatch-style glob: '*' any run, '?' one character.
bool glob_match(std::string_view pat, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == s[i])) {
      ++p, ++i;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++, mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1, i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool function_allowed(const std::string& fun, const std::vector<std::string>& allow,
                      const std::vector<std::string>& deny) {
  for (const auto& d : deny)
    if (glob_match(d, fun)) return false;
  if (allow.empty()) return true;
  for (const auto& a : allow)
    if (glob_match(a, fun)) return true;
  return false;
}

}  // namespace

HttpResponse LocalApi::error_response(const ApiError& error) { return rest::error_response(error); }

HttpResponse LocalApi::error_response(int status, std::string_view message) {
  return rest::error_response(ApiError::for_status(status, std::string(message)));
}

bool LocalApi::authorized(const HttpRequest& req) const {
  if (!auth_required_.load()) return true;
  std::string_view a = req.authorization;
  for (std::string_view scheme : {"Bearer ", "JWT ", "bearer ", "jwt "}) {
    if (a.substr(0, scheme.size()) == scheme) {
      auto claims = deps_.signer.verify(a.substr(scheme.size()), static_cast<int64_t>(std::time(nullptr)));
      return claims.ok();
    }
  }
  return false;
}

void LocalApi::handle(const HttpRequest& req, std::shared_ptr<Reply> reply) {
  if (auto page = ui_response(req)) return reply->send(std::move(*page));  // the configuration page
  auto route = match_route(req.path);
  if (!route)
    return reply->send(error_response(ApiError(ErrorKind::kNotFound, "404 Not Found: no route for " + req.path.substr(0, 200))));
  if (req.method == "OPTIONS") return reply->send(preflight(*route, req));
  if (auto refused = refusal(req, *route)) return reply->send(error_response(*refused));
  serve(*route, req, std::move(reply));
}

std::optional<ApiError> LocalApi::refusal(const HttpRequest& req, const RouteMatch& route) const {
  if (!route.serves(req.method))
    return ApiError(HttpKind::kMethodNotAllowed,
                    "405 Method Not Allowed: " + (req.head ? std::string("HEAD") : req.method) + " is not allowed here; use " + route.allow())
        .with_header("Allow", route.allow());
  if (!route.open() && !authorized(req))
    return ApiError(HttpKind::kUnauthorized,
                    "authentication required: send 'Authorization: Bearer <token>' with a token from POST /auth/login/")
        .with_header("WWW-Authenticate", "Bearer");
  if (route.unit.empty()) return std::nullopt;
  switch (unit_id_.match(route.unit)) {
    case UnitIdMatch::kMatch: return std::nullopt;
    case UnitIdMatch::kMalformed:
      return ApiError(ErrorKind::kNotFound, "404 Not Found: '" + route.unit.substr(0, 100) + "' is not a unit id");
    case UnitIdMatch::kMismatch:
      return ApiError(HttpKind::kUnauthorized, "unit_id does not match the id configured on this device");
  }
  return std::nullopt;
}

void LocalApi::serve(const RouteMatch& route, const HttpRequest& req, std::shared_ptr<Reply> reply) {
  Responder respond = [reply](HttpResponse r) { reply->send(std::move(r)); };
  switch (route.route) {
    case Route::kRoot: return respond(json_response(200, Value(Map{{"unit_id", Value(unit_id_.display())}})));
    case Route::kDevices: return respond(json_response(200, Value(List{device_entry(unit_id_)})));
    case Route::kLogin: return respond(login_response());
    case Route::kLog: return respond(download_log(req, opts_.log_root));
    case Route::kLogs: return respond(log_list(opts_.log_root));
    case Route::kInfo: return respond(info_response());
    case Route::kExecute: return execute(req, std::move(reply), false);
    case Route::kExecuteRaw: return execute(req, std::move(reply), true);
    case Route::kApn:
      if (draining_.load()) return respond(error_response(shutting_down()));
      if (req.method == "GET") return apn_get(std::move(respond));
      return apn_put(req, std::move(respond));
    case Route::kJob:
      if (req.method == "GET") return job_get(route.jid, std::move(respond));
      return job_delete(route.jid, std::move(respond));
    case Route::kEvents: return events(req, std::move(reply));
  }
  respond(error_response(ApiError(ErrorKind::kInternal, "unhandled route")));
}

HttpResponse LocalApi::login_response() const {
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Map claims{{"sub", Value("local user")}, {"unit_id", Value(unit_id_.display())}, {"iat", Value(now)}};
  Map user{{"pk", Value(0)},
           {"username", Value("local user")},
           {"has_devices", Value(true)},
           {"is_local", Value(true)},
           {"devices", Value(List{device_entry(unit_id_)})},
           {"timezone", Value("UTC")}};
  return json_response(200, Value(Map{{"token", Value(deps_.signer.sign(Value(claims)))}, {"user", Value(std::move(user))}}));
}

HttpResponse LocalApi::info_response() const {
  auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  return json_response(200, Value(Map{{"unit_id", Value(unit_id_.display())},
                                      {"saltgw_version", Value(SALTGW_VERSION)},
                                      {"dispatch", Value(opts_.dispatch_name)},
                                      {"uptime_seconds", Value(static_cast<int64_t>(up))},
                                      {"auth", Value(auth_required_.load() ? "required" : "open")},
                                      {"log_root", Value(opts_.log_root)}}));
}

void LocalApi::execute(const HttpRequest& req, std::shared_ptr<Reply> reply, bool raw) {
  Responder respond = [reply](HttpResponse r) { reply->send(std::move(r)); };
  auto bad = [&](std::string msg) { respond(error_response(ApiError(ErrorKind::kInvalidArgument, std::move(msg)))); };
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
  if (!function_allowed(job.fun, opts_.functions_allow, opts_.functions_deny))
    return respond(error_response(ApiError(HttpKind::kForbidden, "function '" + job.fun + "' is not allowed on this device (functions_allow / functions_deny in /etc/saltgw/saltgw.yaml)")));
  if (draining_.load()) return respond(error_response(shutting_down()));
  job.timeout = std::chrono::milliseconds(job_timeout_ms_.load());
  auto slot = admit(req.client, respond);
  if (!slot) return;
  auto flag = [&](const char* name) {
    auto it = req.query.find(name);
    return it != req.query.end() && (it->second == "1" || it->second == "true" || it->second == "yes");
  };
  if (flag("async")) return run_async(std::move(job), std::move(respond), std::move(slot));
  if (flag("stream") || req.accept.find("application/x-ndjson") != std::string::npos)
    return run_streamed(std::move(job), std::move(reply), std::move(slot));
  run_job(std::move(job), std::move(respond), std::move(slot));
}

void LocalApi::run_job(JobRequest job, Responder respond, std::shared_ptr<void> slot) {
  // Every job is recorded, so a client that lost its connection can still
  // fetch the result by jid (X-Salt-Jid).
  job.jid = deps_.jids.next();
  std::string jid = job.jid;
  deps_.store.started(jid, job.fun);
  auto& store = deps_.store;
  deps_.strategy.submit(std::move(job), [respond, jid, &store, slot](Result<JobResult> outcome) mutable {
    slot.reset();  // the place is free before the client hears the answer (see admit())
    auto shared = share(std::move(outcome));
    store.finished(jid, shared);
    HttpResponse r;
    if (!shared) {
      r = error_response(shared.error());
    } else if (const auto& result = shared.value();
               json_size_estimate(result->ret, kStreamedBodyBytes) >= kStreamedBodyBytes) {
      // Encoded as it is sent, from the value shared with the store (a large
      // engine result: transcoded from its msgpack, never decoded).
      r.body_source = std::make_shared<JsonBody>(std::shared_ptr<const Value>(result, &result->ret));
    } else {
      r = json_response(200, result->ret);
    }
    r.jid = jid;
    respond(std::move(r));
  });
}

void LocalApi::apn_get(Responder respond) {
  salt_ipc::JobControl(deps_.strategy, deps_.async_strategy)
      .read_apn(opts_.job_timeout, [respond](Result<Value> stored) {
        if (!stored) return respond(error_response(stored.error()));
        respond(json_response(200, stored.value()));
      });
}

void LocalApi::apn_put(const HttpRequest& req, Responder respond) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
    return respond(error_response(ApiError(ErrorKind::kInvalidArgument, "request body is empty; expected a JSON object with apn, user, pass, pin, mtu")));
  auto body = json_parse(req.body);
  if (!body) return respond(error_response(body.error()));
  if (!body->is_map()) return respond(error_response(ApiError(ErrorKind::kInvalidArgument, "body must be a JSON object with apn, user, pass, pin, mtu")));
  std::vector<std::string> invalid;
  for (const auto& [k, v] : body->as_map())
    if (std::find(std::begin(kApnKeys), std::end(kApnKeys), k) == std::end(kApnKeys)) invalid.push_back(k);
  if (!invalid.empty()) return respond(error_response(ApiError(ErrorKind::kInvalidArgument, "Invalid keys found. " + py_list(invalid))));
  Map stored;
  for (const char* k : kApnKeys) {
    const Value* v = body->find(k);
    stored[k] = v ? *v : (std::string_view(k) == "mtu" ? Value() : Value(""));
  }
  if (const Value& mtu = stored["mtu"]; !mtu.is_null() && !mtu.is_int())
    return respond(error_response(ApiError(ErrorKind::kInvalidArgument, "'mtu' must be an integer or null")));
  for (const char* k : {"apn", "user", "pass", "pin"})
    if (!stored[k].is_string()) return respond(error_response(ApiError(ErrorKind::kInvalidArgument, std::string("'") + k + "' must be a string")));
  salt_ipc::JobControl(deps_.strategy, deps_.async_strategy)
      .apply_apn(std::move(stored), opts_.job_timeout, [respond](Result<Value> now) {
        if (!now) return respond(error_response(now.error()));
        respond(json_response(200, now.value()));
      });
}

// ---- streaming, async jobs, job routes, live events ---------------------------

namespace {

static_assert(sizeof(std::time_t) >= 8, "time_t must be 64-bit (see meson.build: _TIME_BITS=64)");

std::string iso_time(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(us));
  return buf;
}

// The final NDJSON line / job view of an outcome.
Map outcome_map(const Result<std::shared_ptr<const JobResult>>& outcome) {
  if (outcome) {
    const JobResult& r = *outcome.value();
    return Map{{"type", Value("result")},
               {"return", r.ret},
               {"success", Value(r.success)},
               {"retcode", Value(r.retcode)}};
  }
  ApiError error(outcome.error());
  Map m = error_fields(error);
  m["type"] = Value("error");
  m["status"] = Value(error.status);
  return m;
}

// One NDJSON line of a value: its JSON text (pulled piece by piece), then "\n".
class LineBody : public BodySource {
 public:
  explicit LineBody(std::shared_ptr<const Value> value) : json_(std::move(value)) {}
  bool next(std::string& out, size_t max) override {
    if (done_) return false;
    if (json_.next(out, max)) return true;
    out.push_back('\n');
    done_ = true;
    return false;
  }

 private:
  JsonBody json_;
  bool done_ = false;
};

// A streamed job's NDJSON lines after `accepted`. Progress lines are written
// as the strategy reports them (in order, before the result, on its thread);
// when the client is more than `limit` bytes behind, a progress line is not
// queued but counted, and the count goes out as one progress_dropped line
// before the next line written (the result line at the latest). Progress the
// strategy lost on the way is reported the same way. Nothing waits.
struct NdjsonJob {
  std::shared_ptr<ResponseStream> stream;
  std::string jid;
  size_t limit;
  std::mutex mu;
  uint64_t slow_dropped = 0;  // not written: the client was too far behind

  static std::string line(const Map& m) { return json_write(Value(m)) + "\n"; }

  Map dropped_line(uint64_t count, const char* reason) const {
    return Map{{"type", Value("progress_dropped")}, {"jid", Value(jid)},
               {"count", Value(static_cast<int64_t>(count))}, {"reason", Value(reason)}};
  }

  // mu held. The pending progress_dropped line, if any.
  void flush_dropped_locked() {
    if (slow_dropped == 0) return;
    stream->write(line(dropped_line(slow_dropped, "client_too_slow")));
    slow_dropped = 0;
  }

  void progress(salt_ipc::JobProgress p) {
    std::lock_guard<std::mutex> lock(mu);
    if (stream->closed()) return;
    if (p.lost > 0) {
      flush_dropped_locked();
      stream->write(line(dropped_line(p.lost, "lost_in_transit")));
      return;
    }
    if (stream->backlog() > limit) {
      ++slow_dropped;
      return;
    }
    flush_dropped_locked();
    stream->write(line(Map{{"type", Value("progress")}, {"tag", Value(std::move(p.tag))}, {"data", std::move(p.data)}}));
  }

  void finish(const Map& last) {
    std::lock_guard<std::mutex> lock(mu);
    flush_dropped_locked();
    Value result_line(last);
    if (json_size_estimate(result_line, kStreamedBodyBytes) < kStreamedBodyBytes) {
      stream->write(line(last));  // the job went on to its end even if nobody listens
      stream->end();
      return;
    }
    // A large result: its line is pulled piece by piece as the client takes
    // it (ResponseStream::end_with), so its text never sits whole in memory.
    stream->end_with(std::make_shared<LineBody>(std::make_shared<const Value>(std::move(result_line))));
  }
};

}  // namespace

void LocalApi::run_streamed(JobRequest job, std::shared_ptr<Reply> reply, std::shared_ptr<void> slot) {
  job.jid = deps_.jids.next();
  std::string jid = job.jid;
  std::string fun = job.fun;
  deps_.store.started(jid, fun);
  auto stream = reply->stream(200, "application/x-ndjson",
                              {{"X-Salt-Jid", jid}, {"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}});
  // The accepted line says what progress to expect, so that a client can tell
  // "none will come" from "lost".
  Map accepted{{"type", Value("accepted")}, {"jid", Value(jid)}, {"fun", Value(fun)}};
  salt_ipc::Capabilities can = salt_ipc::JobControl(deps_.strategy, deps_.async_strategy).capabilities();
  if (can.progress == salt_ipc::ProgressKind::kPerStep) {
    accepted["progress"] = Value("per_state");
  } else {
    accepted["progress"] = Value("none");
    accepted["progress_note"] = Value(can.progress_note);
  }
  stream->write(NdjsonJob::line(accepted));
  auto out = std::make_shared<NdjsonJob>();
  out->stream = stream;
  out->jid = jid;
  out->limit = opts_.stream_max_backlog;
  job.progress = [out](salt_ipc::JobProgress p) { out->progress(std::move(p)); };
  auto& store = deps_.store;
  deps_.strategy.submit(std::move(job), [out, jid, &store, slot](Result<JobResult> outcome) mutable {
    slot.reset();  // see admit()
    auto shared = share(std::move(outcome));
    store.finished(jid, shared);
    Map last = outcome_map(shared);
    last["jid"] = Value(jid);
    out->finish(last);
  });
}

void LocalApi::run_async(JobRequest job, Responder respond, std::shared_ptr<void> slot) {
  job.jid = deps_.jids.next();
  std::string jid = job.jid, fun = job.fun;
  // An outcome that comes before submit() returns is a refusal (an unknown
  // function): no job was started, and the client hears it now, as without
  // async. Any later outcome is the job's result, kept for GET /jobs/{jid}.
  struct Start {
    std::mutex mu;
    bool accepted = false;
    std::optional<Result<JobResult>> early;
  };
  auto start = std::make_shared<Start>();
  auto& store = deps_.store;
  deps_.async_strategy.submit(std::move(job), [jid, &store, slot, start](Result<JobResult> outcome) mutable {
    slot.reset();  // see admit()
    {
      std::lock_guard<std::mutex> lock(start->mu);
      if (!start->accepted) {
        start->early = std::move(outcome);
        return;
      }
    }
    store.finished(jid, share(std::move(outcome)));
  });
  std::optional<Result<JobResult>> early;
  {
    std::lock_guard<std::mutex> lock(start->mu);
    start->accepted = true;
    early = std::move(start->early);
    if (!early || *early) store.started(jid, fun);
  }
  if (early && !*early) return respond(error_response(ApiError(early->error())));
  if (early) store.finished(jid, share(std::move(*early)));
  HttpResponse r = json_response(202, Value(Map{{"jid", Value(jid)}}));
  r.headers.emplace_back("Location", "/dongle/" + unit_id_.display() + "/jobs/" + jid);
  r.jid = jid;
  respond(std::move(r));
}

void LocalApi::job_get(const std::string& jid, Responder respond) {
  auto rec = deps_.store.get(jid);
  if (!rec) return respond(error_response(ApiError(ErrorKind::kNotFound, "404 Not Found: no job " + jid.substr(0, 40) + " (finished jobs are kept for a limited time)")));
  Map m{{"jid", Value(rec->jid)},
        {"fun", Value(rec->fun)},
        {"status", Value(salt_ipc::job_state_name(rec->state))},
        {"started", Value(iso_time(rec->started))}};
  if (rec->state != salt_ipc::JobRecord::State::kRunning) m["ended"] = Value(iso_time(rec->ended));
  if (rec->result) {
    m["return"] = rec->result->ret;
    m["success"] = Value(rec->result->success);
    m["retcode"] = Value(rec->result->retcode);
  }
  if (rec->error)
    for (auto& [k, v] : error_fields(ApiError(*rec->error))) m[k] = std::move(v);
  Value view(std::move(m));
  HttpResponse r;
  if (json_size_estimate(view, kStreamedBodyBytes) >= kStreamedBodyBytes)
    r.body_source = std::make_shared<JsonBody>(std::make_shared<const Value>(std::move(view)));  // a large result
  else
    r = json_response(200, view);
  r.jid = jid;
  respond(std::move(r));
}

void LocalApi::job_delete(const std::string& jid, Responder respond) {
  auto rec = deps_.store.get(jid);
  if (!rec) return respond(error_response(ApiError(ErrorKind::kNotFound, "404 Not Found: no job " + jid.substr(0, 40))));
  if (rec->state != salt_ipc::JobRecord::State::kRunning)
    return respond(error_response(ApiError(HttpKind::kConflict, std::string("job ") + jid + " is not running (" +
                                                                     salt_ipc::job_state_name(rec->state) + ")")));
  salt_ipc::JobControl(deps_.strategy, deps_.async_strategy)
      .stop(jid, [respond, jid](Result<salt_ipc::StopOutcome> stopped) {
        if (!stopped) return respond(error_response(stopped.error()));
        Map m{{"jid", Value(jid)}, {"stopped", Value(stopped->stopped)}, {"how", Value(stopped->how)}};
        if (!stopped->minion.is_null()) m["minion"] = std::move(stopped->minion);
        respond(json_response(200, Value(std::move(m))));
      });
}

// ---- Server-Sent Events ------------------------------------------------------------

struct LocalApi::Sse {
  struct Client {
    std::shared_ptr<ResponseStream> stream;
    uint64_t sub;
  };
  ApiOptions opts;
  salt_ipc::EventSource* events;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<Client> clients;
  std::thread thread;

  Sse(const ApiOptions& o, salt_ipc::EventSource* e) : opts(o), events(e) {
    thread = std::thread([this] { loop(); });
  }

  size_t count() const {
    std::lock_guard<std::mutex> lock(mu);
    return clients.size();
  }

  void add(std::shared_ptr<ResponseStream> stream, const std::string& prefix) {
    auto dropped = std::make_shared<std::atomic<uint64_t>>(0);
    std::weak_ptr<ResponseStream> weak = stream;
    size_t soft = opts.sse_max_backlog, hard = opts.sse_disconnect_backlog;
    uint64_t sub = events->subscribe(prefix, [weak, dropped, soft, hard](const salt_ipc::Event& ev) {
      auto s = weak.lock();
      if (!s || s->closed()) return;
      size_t backlog = s->backlog();
      if (backlog > hard) {  // hopelessly behind: let it go
        s->write("event: disconnect\ndata: {\"reason\": \"client too slow\"}\n\n");
        s->end();
        return;
      }
      if (backlog > soft) {
        (*dropped)++;
        return;
      }
      if (uint64_t n = dropped->exchange(0))
        s->write("event: dropped\ndata: {\"dropped\": " + std::to_string(n) + "}\n\n");
      s->write("data: " + json_write(Value(Map{{"tag", Value(ev.tag)}, {"data", ev.data}})) + "\n\n");
    });
    {
      std::lock_guard<std::mutex> lock(mu);
      clients.push_back(Client{std::move(stream), sub});
    }
    cv.notify_all();  // the first client starts the heartbeat
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      // Heartbeats only while someone listens: no client, no wake-up.
      if (clients.empty()) {
        cv.wait(lock, [this] { return stopping || !clients.empty(); });
        continue;
      }
      cv.wait_for(lock, opts.sse_heartbeat);
      if (stopping) break;
      for (auto it = clients.begin(); it != clients.end();) {
        if (it->stream->closed() || !it->stream->write(": keepalive\n\n")) {
          events->unsubscribe(it->sub);
          it = clients.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
    for (auto& c : clients) {
      events->unsubscribe(c.sub);
      c.stream->end();
    }
    clients.clear();
  }
};

void LocalApi::events(const HttpRequest& req, std::shared_ptr<Reply> reply) {
  if (!deps_.events)
    return reply->send(error_response(ApiError(ErrorKind::kMinionUnreachable, "live events are not available (no event bus)")));
  std::string prefix;
  if (auto it = req.query.find("tag"); it != req.query.end()) prefix = it->second;
  auto stream = reply->stream(200, "text/event-stream", {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}});
  stream->write(": saltgw events" + (prefix.empty() ? std::string() : " for tags starting with " + prefix) + "\n\n");
  sse_->add(std::move(stream), prefix);
}

struct LocalApi::Admission {
  std::mutex mu;
  size_t total = 0;
  std::map<std::string, size_t> per_client;
};

LocalApi::LocalApi(ApiOptions options, ApiDeps deps)
    : opts_(std::move(options)),
      unit_id_(opts_.minion_id),
      deps_(deps),
      sse_(std::make_shared<Sse>(opts_, deps.events)),
      admission_(std::make_shared<Admission>()) {
  auth_required_ = opts_.auth_required;
  job_timeout_ms_ = opts_.job_timeout.count();
}

std::shared_ptr<void> LocalApi::admit(const std::string& client, const Responder& respond) {
  auto adm = admission_;
  {
    std::lock_guard<std::mutex> lock(adm->mu);
    if (adm->total >= opts_.max_jobs) {
      respond(error_response(ApiError(ErrorKind::kOverloaded,
          std::to_string(adm->total) + " jobs are in flight, the limit (max_jobs); try again shortly")));
      return nullptr;
    }
    size_t& mine = adm->per_client[client];
    if (mine >= opts_.max_jobs_per_client) {
      respond(error_response(ApiError(HttpKind::kTooManyRequests,
          "this client has " + std::to_string(mine) +
              " jobs in flight, the limit (max_jobs_per_client); wait for one to finish")));
      return nullptr;
    }
    ++mine;
    ++adm->total;
  }
  // The pointer itself is unused; it is non-null so the holder tests true.
  return std::shared_ptr<void>(static_cast<void*>(adm.get()), [adm, client](void*) {
    std::lock_guard<std::mutex> lock(adm->mu);
    --adm->total;
    auto it = adm->per_client.find(client);
    if (it != adm->per_client.end() && --it->second == 0) adm->per_client.erase(it);
  });
}

size_t LocalApi::jobs_in_flight() const {
  std::lock_guard<std::mutex> lock(admission_->mu);
  return admission_->total;
}

void LocalApi::drain() { draining_ = true; }

void LocalApi::reload(bool auth_required, std::chrono::milliseconds job_timeout) {
  auth_required_ = auth_required;
  job_timeout_ms_ = job_timeout.count();
}

LocalApi::~LocalApi() { sse_->stop(); }

size_t LocalApi::event_clients() const { return sse_->count(); }

}  // namespace saltgw::rest
