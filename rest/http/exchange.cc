#include "rest/http/exchange.h"

#include <cstdio>
#include <strings.h>

#include "rest/http/connection.h"
#include "rest/http/file_body.h"
#include "rest/http/pistache_adapter.h"
#include "rest/json_body.h"

namespace saltgw::rest::http {

void ReactorRef::run(std::function<void()> task) const {
  if (std::this_thread::get_id() == thread) task();
  else mailbox->post(std::move(task));
}

void ReactorRef::post(std::function<void()> task) const { mailbox->post(std::move(task)); }

std::pair<size_t, bool> StreamState::take(std::string& out, size_t max) {
  std::lock_guard<std::mutex> lock(mu);
  wake_pending = false;
  size_t moved = 0;
  while (!chunks.empty() && (moved == 0 || out.size() < max)) {
    moved += chunks.front().size();
    out.append(chunks.front());
    chunks.pop_front();
  }
  if (chunks.empty() && tail && !closed && (moved == 0 || out.size() < max)) {
    size_t before = out.size();
    std::string data;
    bool more = true;
    while (data.empty() && more) more = tail->next(data, max);  // a source may give nothing on one call
    if (!data.empty()) encode_chunk(data, out);
    if (!more) {
      out.append(kLastChunk);
      tail.reset();
    }
    moved += out.size() - before;
    backlog += out.size() - before;
  }
  return {moved, ended && chunks.empty() && !tail};
}

void StreamState::close() {
  std::lock_guard<std::mutex> lock(mu);
  closed = true;
  size_t dropped = 0;
  for (const auto& c : chunks) dropped += c.size();
  chunks.clear();
  tail.reset();
  backlog -= dropped;
}

namespace {

// The ResponseStream LocalApi writes to (any thread).
class StreamWriter : public ResponseStream {
 public:
  explicit StreamWriter(std::shared_ptr<StreamState> s) : s_(std::move(s)) {}

  bool write(std::string_view chunk) override {
    if (chunk.empty()) return !closed();
    std::string framed;
    framed.reserve(chunk.size() + 16);
    encode_chunk(chunk, framed);
    return queue(std::move(framed), false);
  }
  void end() override { queue(std::string(kLastChunk), true); }
  void end_with(std::shared_ptr<BodySource> tail) override {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      if (s_->closed || s_->ended) return;
      s_->tail = std::move(tail);
      s_->ended = true;
      wake = !s_->wake_pending;
      s_->wake_pending = true;
    }
    if (wake && s_->wake) s_->wake();
  }
  size_t backlog() const override { return s_->backlog.load(); }
  bool closed() const override {
    std::lock_guard<std::mutex> lock(s_->mu);
    return s_->closed || s_->ended;
  }

 private:
  bool queue(std::string bytes, bool last) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      if (s_->closed || s_->ended) return false;
      s_->backlog += bytes.size();
      s_->chunks.push_back(std::move(bytes));
      s_->ended = last;
      wake = !s_->wake_pending;
      s_->wake_pending = true;
    }
    if (wake && s_->wake) s_->wake();
    return true;
  }
  std::shared_ptr<StreamState> s_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> response_fields(
    bool cors, const std::string& origin, const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& jid) {
  std::vector<std::pair<std::string, std::string>> f;
  if (cors) {
    f.emplace_back("Access-Control-Allow-Origin", origin.empty() ? "*" : origin);
    f.emplace_back("Access-Control-Expose-Headers", "Content-Disposition, X-Salt-Jid, Retry-After, Location");
    if (!origin.empty()) f.emplace_back("Vary", "Origin");
  }
  if (!content_type.empty()) f.emplace_back("Content-Type", content_type);
  for (const auto& [name, value] : headers) {
    for (auto it = f.begin(); it != f.end();) {
      if (::strcasecmp(it->first.c_str(), name.c_str()) == 0) it = f.erase(it);
      else ++it;
    }
    f.emplace_back(name, value);
  }
  if (!jid.empty()) f.emplace_back("X-Salt-Jid", jid);
  return f;
}

Answer make_answer(HttpResponse r, std::vector<std::pair<std::string, std::string>> fields, bool keep_alive) {
  Answer a;
  a.head.status = r.status;
  a.head.keep_alive = keep_alive;
  if (!r.file_path.empty()) {
    auto file = FileBodySource::open(r.file_path);
    if (file) {
      a.head.fields = std::move(fields);
      a.head.framing = Framing::kLength;
      a.head.length = (*file)->size();
      a.source = std::move(file).value();
      return a;
    }
    // Gone between the route's check and now: a JSON 404 instead.
    HttpResponse e = LocalApi::error_response(404, "404 Not Found: the log file could not be opened");
    for (auto it = fields.begin(); it != fields.end();) {
      if (it->first == "Content-Disposition") it = fields.erase(it);
      else if (it->first == "Content-Type") it->second = e.content_type, ++it;
      else ++it;
    }
    a.head.status = e.status;
    r.body = std::move(e.body);
  } else if (r.body_source) {
    a.head.fields = std::move(fields);
    a.head.framing = framing_for(r.status, false);
    a.source = std::move(r.body_source);
    return a;
  }
  a.head.fields = std::move(fields);
  a.head.framing = framing_for(a.head.status, true);
  a.head.length = r.body.size();
  if (a.head.framing != Framing::kNone) a.body = std::move(r.body);
  return a;
}

Exchange::Exchange(std::weak_ptr<Connection> connection, uint64_t seq, ReactorRef reactor, ExchangeInfo info, Log log)
    : connection_(std::move(connection)), seq_(seq), reactor_(std::move(reactor)), info_(std::move(info)),
      log_(std::move(log)) {}

std::vector<std::pair<std::string, std::string>> Exchange::fields(
    const std::string& content_type, const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& jid) const {
  return response_fields(info_.cors, info_.origin, content_type, headers, jid);
}

void Exchange::send(HttpResponse r) {
  if (answered_.exchange(true)) return;  // exactly one answer per request
  int status = r.status;
  std::string jid = r.jid;
  auto f = fields(r.content_type, r.headers, r.jid);
  deliver(make_answer(std::move(r), std::move(f), info_.keep_alive));
  access(status, jid, "");
}

std::shared_ptr<ResponseStream> Exchange::stream(int status, const std::string& content_type,
                                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  auto state = std::make_shared<StreamState>();
  if (answered_.exchange(true)) {
    state->closed = true;
    return std::make_shared<StreamWriter>(state);
  }
  std::string jid;
  for (const auto& [k, v] : headers)
    if (k == "X-Salt-Jid") jid = v;
  Answer a;
  a.head.status = status;
  a.head.keep_alive = info_.keep_alive;
  a.head.fields = fields(content_type, headers, "");
  a.head.framing = Framing::kChunked;
  std::weak_ptr<Connection> weak = connection_;
  ReactorRef reactor = reactor_;
  state->wake = [weak, reactor] {
    reactor.run([weak] {
      if (auto c = weak.lock()) c->pump();
    });
  };
  if (connection_.expired()) state->closed = true;
  a.stream = state;
  deliver(std::move(a));
  access(status, jid, " (stream)");
  return std::make_shared<StreamWriter>(state);
}

void Exchange::deliver(Answer answer) {
  auto shared = std::make_shared<Answer>(std::move(answer));
  std::weak_ptr<Connection> weak = connection_;
  uint64_t seq = seq_;
  reactor_.run([weak, seq, shared] {
    if (auto c = weak.lock()) c->answer(seq, std::move(*shared));
    else if (shared->stream) shared->stream->close();
  });
}

void Exchange::access(int status, const std::string& jid, const char* extra) {
  if (!log_) return;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - info_.started).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1fms", ms);
  log_(info_.method + " " + info_.resource + " " + std::to_string(status) + " " + buf +
       (jid.empty() ? "" : " jid=" + jid) + extra);
}

}  // namespace saltgw::rest::http
