// The one error path of rest/: the kind -> status table (rest/error_map.h),
// the ApiError type and the one writer of error answers (rest/api_error.h),
// and LocalApi's own refusals, each answered through them.
#include "rest/error_map.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "rest/api.h"
#include "rest/api_error.h"
#include "rest/json.h"

namespace saltgw::rest {
namespace {

using salt_ipc::ErrorKind;
using salt_ipc::Map;
using salt_ipc::Value;

constexpr ErrorKind kAllErrorKinds[] = {
    ErrorKind::kInvalidArgument, ErrorKind::kUnknownFunction,   ErrorKind::kFunctionFailed,
    ErrorKind::kTimeout,         ErrorKind::kMinionUnreachable, ErrorKind::kConnectionLost,
    ErrorKind::kResultTrimmed,   ErrorKind::kProtocol,          ErrorKind::kConfig,
    ErrorKind::kEngineUnavailable, ErrorKind::kOverloaded,      ErrorKind::kCancelled,
    ErrorKind::kNotFound,        ErrorKind::kInternal,
};

// docs/api-errors.md, as a table: kind -> status.
const std::map<std::string, int> kDocumented = {
    {"invalid_argument", 400},   {"unknown_function", 400}, {"unauthorized", 401},
    {"forbidden", 403},          {"not_found", 404},        {"method_not_allowed", 405},
    {"request_timeout", 408},    {"conflict", 409},         {"body_too_large", 413},
    {"too_many_requests", 429},  {"headers_too_large", 431}, {"function_failed", 500},
    {"config", 500},             {"internal", 500},         {"not_implemented", 501},
    {"connection_lost", 502},    {"result_trimmed", 502},   {"protocol", 502},
    {"minion_unreachable", 503}, {"engine_unavailable", 503}, {"overloaded", 503},
    {"cancelled", 503},          {"timeout", 504},          {"http_version_not_supported", 505},
};

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(ErrorMap, EveryKindHasOneStatusAndANameAsDocumented) {
  std::set<std::string> seen;
  for (ErrorKind k : kAllErrorKinds) {
    HttpError e = http_error_for(k);
    EXPECT_STREQ(e.kind, salt_ipc::error_kind_name(k));
    ASSERT_TRUE(kDocumented.count(e.kind)) << e.kind;
    EXPECT_EQ(e.status, kDocumented.at(e.kind)) << e.kind;
    EXPECT_TRUE(seen.insert(e.kind).second) << "two kinds named " << e.kind;
  }
  for (HttpKind k : kAllHttpKinds) {
    HttpError e = http_error_for(k);
    ASSERT_TRUE(kDocumented.count(e.kind)) << e.kind;
    EXPECT_EQ(e.status, kDocumented.at(e.kind)) << e.kind;
    EXPECT_TRUE(seen.insert(e.kind).second) << "two kinds named " << e.kind;
  }
  EXPECT_EQ(seen.size(), kDocumented.size()) << "a documented kind no table gives";
}

TEST(ErrorMap, OverloadedIs503WithRetryAfterNot502) {
  EXPECT_EQ(http_error_for(ErrorKind::kOverloaded).status, 503);
  EXPECT_GT(http_error_for(ErrorKind::kOverloaded).retry_after_s, 0);
}

TEST(ErrorMap, RetryAfterExactlyOnEvery503AndThe429) {
  for (ErrorKind k : kAllErrorKinds) {
    HttpError e = http_error_for(k);
    EXPECT_EQ(e.status == 503, e.retry_after_s > 0) << e.kind;
  }
  for (HttpKind k : kAllHttpKinds) {
    HttpError e = http_error_for(k);
    EXPECT_EQ(e.status == 429, e.retry_after_s > 0) << e.kind;
  }
}

TEST(ErrorMap, AStatusAloneGetsTheKindThatStatusMeans) {
  for (HttpKind k : kAllHttpKinds) {
    HttpError e = http_error_for(k);
    EXPECT_STREQ(http_error_for_status(e.status).kind, e.kind);
  }
  EXPECT_STREQ(http_error_for_status(400).kind, "invalid_argument");
  EXPECT_STREQ(http_error_for_status(404).kind, "not_found");
  EXPECT_STREQ(http_error_for_status(500).kind, "internal");
  EXPECT_STREQ(http_error_for_status(503).kind, "overloaded");
  EXPECT_EQ(http_error_for_status(503).retry_after_s, 1);
  EXPECT_STREQ(http_error_for_status(504).kind, "timeout");
  HttpError odd = http_error_for_status(418);
  EXPECT_EQ(odd.status, 418);
  EXPECT_STREQ(odd.kind, "internal");
}

Value body_of(const HttpResponse& r) {
  auto v = json_parse(r.body);
  EXPECT_TRUE(v) << r.body;
  return v ? *v : Value();
}

TEST(ErrorWriter, BodyHasErrorAndKindAndStatusFromTheTable) {
  HttpResponse r = error_response(salt_ipc::make_error(ErrorKind::kTimeout, "no result in 3 s"));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(body_of(r), Value(Map{{"error", Value("no result in 3 s")}, {"kind", Value("timeout")}}));
  EXPECT_EQ(header(r, "Retry-After"), "");
}

TEST(ErrorWriter, RetryAfterWhenTheTableSaysSo) {
  HttpResponse r = error_response(ApiError(ErrorKind::kOverloaded, "64 jobs"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_EQ(body_of(r).find("kind")->as_string(), "overloaded");
  HttpResponse t = error_response(ApiError(HttpKind::kTooManyRequests, "16 jobs"));
  EXPECT_EQ(t.status, 429);
  EXPECT_EQ(header(t, "Retry-After"), "1");
  EXPECT_EQ(header(error_response(ApiError(ErrorKind::kEngineUnavailable, "x")), "Retry-After"), "5");
}

TEST(ErrorWriter, AFailedFunctionsReturnGoesOutAsReturn) {
  auto e = salt_ipc::make_error(ErrorKind::kFunctionFailed, "state.sls failed");
  e.detail = std::make_shared<const Value>(Map{{"a_|-b_|-c_|-d", Value(Map{{"result", Value(false)}})}});
  HttpResponse r = error_response(e);
  EXPECT_EQ(r.status, 500);
  Value b = body_of(r);
  EXPECT_EQ(b.find("kind")->as_string(), "function_failed");
  ASSERT_NE(b.find("return"), nullptr);
  EXPECT_EQ(*b.find("return"), *e.detail);
  EXPECT_EQ(error_fields(ApiError(e)).size(), 3u);
}

TEST(ErrorWriter, ExtraHeadersFollowRetryAfter) {
  HttpResponse r = error_response(ApiError(HttpKind::kMethodNotAllowed, "no").with_header("Allow", "GET, OPTIONS"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, OPTIONS");
  EXPECT_EQ(body_of(r).find("kind")->as_string(), "method_not_allowed");
}

TEST(ErrorWriter, ForStatusKeepsTheStatusAndNamesTheKind) {
  for (int status : {400, 408, 413, 431, 501, 505, 503}) {
    HttpResponse r = LocalApi::error_response(status, "gate");
    EXPECT_EQ(r.status, status);
    Value b = body_of(r);
    EXPECT_EQ(b.find("error")->as_string(), "gate");
    EXPECT_EQ(b.find("kind")->as_string(), http_error_for_status(status).kind);
    EXPECT_EQ(header(r, "Retry-After").empty(), status != 503) << status;
  }
}

// ---- LocalApi's own refusals, through the writer ---------------------------------

class HeldStrategy : public salt_ipc::Strategy {
 public:
  std::string_view name() const override { return "held"; }
  std::string submit(salt_ipc::JobRequest request, salt_ipc::JobCallback done) override {
    jobs.push_back(std::move(done));
    return request.jid;
  }
  size_t in_flight() const override { return jobs.size(); }
  std::vector<salt_ipc::JobCallback> jobs;
};

class LastReply : public Reply {
 public:
  void send(HttpResponse r) override { last = std::move(r); }
  std::shared_ptr<ResponseStream> stream(int, const std::string&,
                                         const std::vector<std::pair<std::string, std::string>>&) override {
    return nullptr;
  }
  HttpResponse last;
};

struct Api {
  explicit Api(ApiOptions o = {}) {
    if (o.minion_id.empty()) o.minion_id = "m";
    api = std::make_unique<LocalApi>(o, ApiDeps{strategy, strategy, signer, jids, store, nullptr});
  }
  HttpResponse call(std::string method, std::string path, std::string body = "", std::string client = "c") {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    req.client = std::move(client);
    auto reply = std::make_shared<LastReply>();
    api->handle(req, reply);
    return reply->last;
  }
  HeldStrategy strategy;
  JwtSigner signer{"secret"};
  salt_ipc::JidGenerator jids;
  salt_ipc::JobStore store;
  std::unique_ptr<LocalApi> api;
};

void expect_error(const HttpResponse& r, int status, const std::string& kind) {
  EXPECT_EQ(r.status, status) << r.body;
  auto b = json_parse(r.body);
  ASSERT_TRUE(b) << r.body;
  ASSERT_NE(b->find("error"), nullptr) << r.body;
  EXPECT_FALSE(b->find("error")->as_string().empty());
  ASSERT_NE(b->find("kind"), nullptr) << r.body;
  EXPECT_EQ(b->find("kind")->as_string(), kind) << r.body;
}

TEST(LocalApiErrors, BadBodiesAreInvalidArgumentWithAKind) {
  Api a;
  expect_error(a.call("POST", "/dongle/m/execute/", ""), 400, "invalid_argument");
  expect_error(a.call("POST", "/dongle/m/execute/", "{"), 400, "invalid_argument");
  expect_error(a.call("POST", "/dongle/m/execute/", R"({"command": 5})"), 400, "invalid_argument");
  expect_error(a.call("POST", "/dongle/m/execute/", R"({"command": "nodot"})"), 400, "invalid_argument");
  expect_error(a.call("POST", "/dongle/m/execute_raw/", R"({"command": "test.arg 'open"})"), 400, "invalid_argument");
  expect_error(a.call("PUT", "/dongle/m/settings/apn/", R"({"bogus": 1})"), 400, "invalid_argument");
  expect_error(a.call("GET", "/download_log/"), 400, "invalid_argument");
  EXPECT_TRUE(a.strategy.jobs.empty());
}

TEST(LocalApiErrors, RoutesMethodsUnitsAndJobs) {
  Api a;
  expect_error(a.call("GET", "/nope"), 404, "not_found");
  HttpResponse r = a.call("DELETE", "/dongle/m/execute/");
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(header(r, "Allow"), "POST, OPTIONS");
  expect_error(a.call("GET", "/dongle/m/jobs/20260101000000000000/"), 404, "not_found");
  // The page's routes answer through the same writer.
  HttpResponse page = a.call("POST", "/ui/");
  expect_error(page, 405, "method_not_allowed");
  EXPECT_EQ(header(page, "Allow"), "GET, OPTIONS");
  expect_error(a.call("GET", "/ui/nope.js"), 404, "not_found");
}

TEST(LocalApiErrors, AnotherDevicesUnitIdIsUnauthorized) {
  ApiOptions o;
  o.minion_id = "3f1d2c4b-0000-4000-8000-000000000002";
  Api a(o);
  HttpResponse r = a.call("POST", "/dongle/3f1d2c4b-0000-4000-8000-000000000001/execute/", R"({"command": "test.ping"})");
  expect_error(r, 401, "unauthorized");
  expect_error(a.call("POST", "/dongle/not-a-uuid/execute/", "{}"), 404, "not_found");
}

TEST(LocalApiErrors, PolicyLimitsAndShutdown) {
  ApiOptions o;
  o.functions_deny = {"cmd.*"};
  o.max_jobs = 2;
  o.max_jobs_per_client = 1;
  Api a(o);
  expect_error(a.call("POST", "/dongle/m/execute/", R"({"command": "cmd.run"})"), 403, "forbidden");
  EXPECT_EQ(a.call("POST", "/dongle/m/execute/", R"({"command": "test.ping"})", "one").status, 200);  // held
  HttpResponse r = a.call("POST", "/dongle/m/execute/", R"({"command": "test.ping"})", "one");
  expect_error(r, 429, "too_many_requests");
  EXPECT_EQ(header(r, "Retry-After"), "1");
  a.call("POST", "/dongle/m/execute/", R"({"command": "test.ping"})", "two");
  r = a.call("POST", "/dongle/m/execute/", R"({"command": "test.ping"})", "three");
  expect_error(r, 503, "overloaded");
  EXPECT_EQ(header(r, "Retry-After"), "1");
  a.api->drain();
  r = a.call("POST", "/dongle/m/execute/", R"({"command": "test.ping"})", "four");
  expect_error(r, 503, "cancelled");
  EXPECT_FALSE(header(r, "Retry-After").empty());
  EXPECT_EQ(a.strategy.jobs.size(), 2u);
}

TEST(LocalApiErrors, DeleteOfAFinishedJobIsConflict) {
  Api a;
  a.store.started("20260101000000000001", "test.ping");
  salt_ipc::JobResult res;
  res.ret = Value(true);
  res.success = true;
  a.store.finished("20260101000000000001",
                   salt_ipc::Result<std::shared_ptr<const salt_ipc::JobResult>>(
                       std::make_shared<const salt_ipc::JobResult>(res)));
  expect_error(a.call("DELETE", "/dongle/m/jobs/20260101000000000001/"), 409, "conflict");
}

TEST(LocalApiErrors, JobOutcomesAreAnsweredThroughTheTable) {
  Api a;
  auto run = [&](salt_ipc::Error e) {
    HttpRequest rq;
    rq.method = "POST";
    rq.path = "/dongle/m/execute/";
    rq.body = R"({"command": "test.ping"})";
    rq.client = "c";
    auto reply = std::make_shared<LastReply>();
    a.api->handle(rq, reply);
    auto done = std::move(a.strategy.jobs.back());
    a.strategy.jobs.pop_back();
    done(std::move(e));
    return reply->last;
  };
  expect_error(run(salt_ipc::make_error(ErrorKind::kTimeout, "t")), 504, "timeout");
  expect_error(run(salt_ipc::make_error(ErrorKind::kProtocol, "p")), 502, "protocol");
  HttpResponse r = run(salt_ipc::make_error(ErrorKind::kOverloaded, "engine overloaded"));
  expect_error(r, 503, "overloaded");
  EXPECT_EQ(header(r, "Retry-After"), "1");
}

}  // namespace
}  // namespace saltgw::rest
