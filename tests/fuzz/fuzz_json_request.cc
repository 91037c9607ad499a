// libFuzzer target: the JSON request decoder (rest/json.h) and the Local
// API's body validation behind it (rest/api.h LocalApi, no HTTP server).
//
// Input: byte 0 picks the route and flags, the rest is the request body.
//   * json_parse, and for what parses: json_write -> json_parse gives the
//     same value (numbers compared by value: JSON has one number type).
//   * LocalApi::handle for POST execute / execute_raw / PUT settings/apn
//     (plain, ?async=1 or streamed) with a fake strategy that answers at once
//     with what it was asked. Every answer must be exactly one response with
//     status 200/202/400 and a JSON body ({"error", "kind"} for 400); streamed
//     answers are NDJSON lines; every job that reaches the strategy has a
//     valid function name.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rest/api.h"
#include "rest/json.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::brief;
using saltgw::fuzz::Numbers;
using saltgw::fuzz::values_equal;
using salt_ipc::List;
using salt_ipc::Map;
using salt_ipc::Value;

namespace {

constexpr const char* kMinionId = "0123456789abcdef0123456789abcdef";
constexpr const char* kUnit = "01234567-89ab-cdef-0123-456789abcdef";
constexpr size_t kCheckDepth = 100000;  // re-parse our own output without the request's depth limit

class EchoStrategy : public salt_ipc::Strategy {
 public:
  std::string_view name() const override { return "fuzz"; }
  std::string submit(salt_ipc::JobRequest req, salt_ipc::JobCallback done) override {
    FUZZ_CHECK(salt_ipc::is_valid_function_name(req.fun), "invalid function reached the strategy: " + req.fun);
    salt_ipc::JobResult r;
    r.jid = req.jid;
    r.fun = req.fun;
    r.success = true;
    if (req.fun == "grains.get" || req.fun == "grains.setval" || req.fun == "saltutil.refresh_grains")
      r.ret = Value(Map{{"apn", Value("internet")}});
    else
      r.ret = Value(Map{{"fun", Value(req.fun)}, {"args", Value(req.args)}, {"kwargs", Value(req.kwargs)}});
    done(std::move(r));
    return req.jid;
  }
  size_t in_flight() const override { return 0; }
};

class FakeStream : public rest::ResponseStream {
 public:
  bool write(std::string_view chunk) override {
    FUZZ_CHECK(!ended, "write after end");
    data.append(chunk);
    return true;
  }
  void end() override { ended = true; }
  size_t backlog() const override { return 0; }
  bool closed() const override { return ended; }
  std::string data;
  bool ended = false;
};

class FakeReply : public rest::Reply {
 public:
  void send(rest::HttpResponse r) override {
    ++answers;
    response = std::move(r);
  }
  std::shared_ptr<rest::ResponseStream> stream(int status, const std::string& content_type,
                                               const std::vector<std::pair<std::string, std::string>>&) override {
    ++answers;
    stream_status = status;
    FUZZ_CHECK(content_type == "application/x-ndjson", "unexpected stream type " + content_type);
    streamed = std::make_shared<FakeStream>();
    return streamed;
  }
  int answers = 0;
  rest::HttpResponse response;
  int stream_status = 0;
  std::shared_ptr<FakeStream> streamed;
};

struct World {
  EchoStrategy strategy;
  EchoStrategy async_strategy;
  rest::JwtSigner signer{std::string(32, 'k')};
  salt_ipc::JidGenerator jids;
  salt_ipc::JobStore store{16, std::chrono::seconds(60)};
  rest::LocalApi api{rest::ApiOptions{kMinionId}, rest::ApiDeps{strategy, async_strategy, signer, jids, store, nullptr}};
};

World& world() {
  static World* w = new World();  // never destroyed: libFuzzer exits without unwinding
  return *w;
}

void check_json_round_trip(std::string_view text) {
  auto v = rest::json_parse(text);
  if (!v) {
    FUZZ_CHECK(v.error().kind == salt_ipc::ErrorKind::kInvalidArgument, "json_parse error kind");
    return;
  }
  std::string out = rest::json_write(v.value());
  auto back = rest::json_parse(out, kCheckDepth);
  FUZZ_CHECK(back.ok(), "json_write output does not parse: " + back.error().message + " in " + out.substr(0, 300));
  FUZZ_CHECK(values_equal(back.value(), v.value(), Numbers::kNumeric),
             "JSON round trip changed the value: " + brief(v.value()) + " -> " + brief(back.value()));
}

void check_error_body(const std::string& body, int status) {
  auto v = rest::json_parse(body, kCheckDepth);
  FUZZ_CHECK(v.ok(), std::to_string(status) + " body is not JSON: " + body.substr(0, 300));
  if (status >= 400) {
    const Value* e = v->find("error");
    FUZZ_CHECK(e && e->is_string() && !e->as_string().empty(), "error body without 'error': " + body.substr(0, 300));
    const Value* k = v->find("kind");
    FUZZ_CHECK(k && k->is_string() && !k->as_string().empty(), "error body without 'kind': " + body.substr(0, 300));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_json_round_trip(body);

  rest::HttpRequest req;
  req.body = std::string(body);
  req.method = "POST";
  const unsigned route = data[0] % 4;
  switch (route) {
    case 0: req.path = std::string("/dongle/") + kUnit + "/execute/"; break;
    case 1: req.path = std::string("/dongle/") + kUnit + "/execute_raw/"; break;
    case 2: req.path = std::string("/dongle/") + kUnit + "/settings/apn/", req.method = "PUT"; break;
    default: req.path = std::string("/dongle/") + kUnit + "/execute/", req.query.emplace("stream", "1"); break;
  }
  if (route != 2 && (data[0] & 0x10)) req.query.emplace("async", "1");

  auto reply = std::make_shared<FakeReply>();
  world().api.handle(req, reply);
  FUZZ_CHECK(reply->answers == 1, "request answered " + std::to_string(reply->answers) + " times");
  if (reply->streamed) {
    FUZZ_CHECK(reply->stream_status == 200, "stream status");
    FUZZ_CHECK(reply->streamed->ended, "stream not ended");
    const std::string& d = reply->streamed->data;
    FUZZ_CHECK(!d.empty() && d.back() == '\n', "NDJSON does not end with a newline");
    size_t start = 0;
    while (start < d.size()) {
      size_t nl = d.find('\n', start);
      auto line = rest::json_parse(std::string_view(d).substr(start, nl - start), kCheckDepth);
      FUZZ_CHECK(line.ok() && line->is_map(), "NDJSON line is not a JSON object");
      start = nl + 1;
    }
    return 0;
  }
  const auto& r = reply->response;
  FUZZ_CHECK(r.status == 200 || r.status == 202 || r.status == 400, "unexpected status " + std::to_string(r.status) +
                                                                       ": " + r.body.substr(0, 300));
  FUZZ_CHECK(r.content_type == "application/json", "content type " + r.content_type);
  check_error_body(r.body, r.status);
  return 0;
}
