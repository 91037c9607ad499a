#include "rest/http/connection.h"

#include <algorithm>

namespace saltgw::rest::http {

using salt_ipc::ErrorKind;

void ServerContext::access(const std::string& line) const {
  if (!log || (opts.access_log_on && !opts.access_log_on->load(std::memory_order_relaxed))) return;
  log(line);
}

void ServerContext::notice(const std::string& line) const {
  if (log) log(line);
}

Connection::Connection(std::shared_ptr<const ServerContext> ctx, std::unique_ptr<ConnectionIo> io, ReactorRef reactor,
                       std::string client)
    : ctx_(std::move(ctx)), io_(std::move(io)), reactor_(std::move(reactor)), client_(std::move(client)),
      parser_(RequestLimits{ctx_->opts.max_header_count, ctx_->opts.max_header_bytes, ctx_->opts.max_body_bytes}) {
  ctx_->open->fetch_add(1);
}

Connection::~Connection() {
  if (out_.stream) out_.stream->close();
  ctx_->open->fetch_sub(1);
}

void Connection::start() {
  size_t n = ctx_->open->load();
  const auto& o = ctx_->opts;
  if (n > o.max_connections) {
    std::string why = std::to_string(n - 1) + " open, max_connections " + std::to_string(o.max_connections);
    return refuse("- - 503 connection refused: " + why + " (" + client_ + ")",
                  LocalApi::error_response(salt_ipc::make_error(
                      ErrorKind::kOverloaded, "too many open connections (max_connections is " +
                                                  std::to_string(o.max_connections) + "); try again shortly")));
  }
  arm(Deadline::kHeader, o.header_timeout);
}

void Connection::arm(Deadline kind, std::chrono::milliseconds after) {
  deadline_ = kind;
  io_->set_deadline(Clock::now() + after);
}

void Connection::on_input(std::string_view bytes) {
  if (phase_ == Phase::kClosing || phase_ == Phase::kClosed || refused_) return;  // read and dropped
  if (phase_ == Phase::kReading && in_.empty()) {
    while (!bytes.empty() && phase_ == Phase::kReading) bytes.remove_prefix(parse(bytes));
    if (bytes.empty() || refused_) return;
  }
  in_.append(bytes);
  if (phase_ == Phase::kReading) return process_input();
  const auto& o = ctx_->opts;
  size_t limit = o.max_body_bytes + 2 * o.max_header_bytes + 65536;
  if (in_.size() > limit) {
    ctx_->notice("- - - connection closed: more than " + std::to_string(limit) +
                 " bytes of requests sent ahead of their answers (" + client_ + ")");
    in_.clear();
    close_now();
  }
}

void Connection::process_input() {
  size_t at = 0;
  while (at < in_.size() && phase_ == Phase::kReading) at += parse(std::string_view(in_).substr(at));
  if (refused_ || phase_ == Phase::kClosed) in_.clear();  // refuse() may have cleared it already
  else in_.erase(0, at);
}

size_t Connection::parse(std::string_view bytes) {
  bool fresh = parser_.state() == RequestParser::State::kStart;
  size_t used = parser_.feed(bytes);
  const auto& o = ctx_->opts;
  switch (parser_.state()) {
    case RequestParser::State::kBad: {
      const HeadProblem& p = parser_.problem();
      refuse("- - " + std::to_string(p.status) + " connection closed: " + p.message + " (" + client_ + ")",
             LocalApi::error_response(p.status, p.message));
      return bytes.size();
    }
    case RequestParser::State::kDone:
      dispatch(parser_.take());
      break;
    case RequestParser::State::kBody:
      if (deadline_ != Deadline::kBody) arm(Deadline::kBody, o.body_timeout);
      break;
    case RequestParser::State::kHead:
      // The header clock of a first request runs from the accept.
      if (fresh && !first_request_) arm(Deadline::kHeader, o.header_timeout);
      break;
    case RequestParser::State::kStart:
      break;
  }
  return used;
}

void Connection::dispatch(Request req) {
  auto started = Clock::now();
  phase_ = Phase::kAnswering;
  first_request_ = false;
  ++seq_;
  head_only_ = req.method == "HEAD";
  keep_alive_ = req.keep_alive();
  arm(Deadline::kAnswer, ctx_->opts.answer_max);

  Target target = split_target(req.target);
  HttpRequest h;
  h.method = head_only_ ? "GET" : req.method;
  h.head = head_only_;
  h.path = std::move(target.path);
  for (auto& [k, v] : target.query) h.query.emplace(std::move(k), std::move(v));
  h.body = std::move(req.body);
  h.authorization = std::string(req.field("Authorization"));
  h.request_headers = std::string(req.field("Access-Control-Request-Headers"));
  h.accept = std::string(req.field("Accept"));
  h.accept_encoding = std::string(req.field("Accept-Encoding"));
  h.if_none_match = std::string(req.field("If-None-Match"));
  h.client = client_;

  ExchangeInfo info;
  info.method = req.method;
  info.resource = req.target.substr(0, req.target.find('?'));
  info.origin = std::string(req.field("Origin"));
  info.keep_alive = keep_alive_;
  info.cors = ctx_->opts.cors;
  info.started = started;
  std::shared_ptr<const ServerContext> ctx = ctx_;
  auto exchange = std::make_shared<Exchange>(weak_from_this(), seq_, reactor_, std::move(info),
                                             [ctx](const std::string& line) { ctx->access(line); });
  ctx_->api->handle(h, std::move(exchange));
}

void Connection::refuse(const std::string& notice, const HttpResponse& response) {
  ctx_->notice(notice);
  refused_ = true;
  ++seq_;  // an answer still coming for an earlier request is dropped
  head_only_ = false;
  keep_alive_ = false;
  in_.clear();
  auto fields = response_fields(ctx_->opts.cors, "", response.content_type, response.headers, "");
  Answer a = make_answer(response, std::move(fields), false);
  phase_ = Phase::kWriting;
  arm(Deadline::kLinger, ctx_->opts.body_timeout);  // for a client that does not read its answer
  start_writing(std::move(a));
}

void Connection::answer(uint64_t seq, Answer a) {
  if (seq != seq_ || phase_ != Phase::kAnswering) {
    if (a.stream) a.stream->close();
    return;
  }
  phase_ = Phase::kWriting;
  a.head.keep_alive = keep_alive_;
  start_writing(std::move(a));
}

void Connection::start_writing(Answer a) {
  out_bytes_.clear();
  encode_head(a.head, out_bytes_);
  if (head_only_) {
    // RFC 9110 9.3.2: the GET's head, no body.
    if (a.stream) a.stream->close();
    a.source.reset();
    a.stream.reset();
  } else {
    out_bytes_.append(a.body);
  }
  a.body.clear();
  body_left_ = a.source && a.head.framing == Framing::kLength ? a.head.length : 0;
  short_body_ = false;
  body_done_ = false;
  out_ = std::move(a);
  pump();
}

bool Connection::next_piece(std::string& piece, size_t& stream_bytes) {
  piece.swap(out_bytes_);
  out_bytes_.clear();
  if (out_.source) {
    if (piece.size() >= kPieceBytes) return false;
    size_t room = kPieceBytes - piece.size();
    if (out_.head.framing == Framing::kLength) {
      if (body_left_ == 0) return true;
      size_t before = piece.size();
      bool more = out_.source->next(piece, static_cast<size_t>(std::min<uint64_t>(room, body_left_)));
      uint64_t got = std::min<uint64_t>(piece.size() - before, body_left_);
      piece.resize(before + static_cast<size_t>(got));
      body_left_ -= got;
      if (body_left_ == 0) return true;
      if (!more) short_body_ = true;  // the promised length cannot be kept: the connection ends after it
      return !more;
    }
    std::string data;
    bool more = out_.source->next(data, room);
    encode_chunk(data, piece);
    if (!more) piece.append(kLastChunk);
    return !more;
  }
  if (out_.stream) {
    auto [moved, complete] = out_.stream->take(piece, kPieceBytes);
    stream_bytes = moved;
    return complete;
  }
  return true;  // the whole answer was in out_bytes_
}

void Connection::pump() {
  if (phase_ != Phase::kWriting || in_flight_ || body_done_) return;
  std::string piece;
  size_t stream_bytes = 0;
  bool last = next_piece(piece, stream_bytes);
  if (piece.empty() && !last) {
    // A stream with nothing queued yet waits for its writer's wake-up; a body
    // source that gave nothing this time is asked again on the next turn.
    if (out_.source) {
      std::weak_ptr<Connection> weak = weak_from_this();
      reactor_.post([weak] {
        if (auto c = weak.lock()) c->pump();
      });
    }
    return;
  }
  body_done_ = last;
  if (piece.empty()) return finished_answer();
  in_flight_ = true;
  std::weak_ptr<Connection> weak = weak_from_this();
  io_->send(std::move(piece), [weak, stream_bytes, last](bool ok) {
    if (auto c = weak.lock()) c->sent(ok, stream_bytes, last);
  });
}

void Connection::sent(bool ok, size_t stream_bytes, bool last) {
  in_flight_ = false;
  if (out_.stream && stream_bytes) out_.stream->backlog -= stream_bytes;
  if (!ok) return close_now();
  if (phase_ != Phase::kWriting) return;
  if (last) finished_answer();
  else pump();
}

void Connection::finished_answer() {
  bool close = !keep_alive_ || short_body_ || refused_;
  out_ = Answer{};
  body_done_ = false;
  if (close) return begin_close();
  phase_ = Phase::kReading;
  arm(Deadline::kIdle, ctx_->opts.keepalive_timeout);
  if (!in_.empty()) process_input();
}

void Connection::begin_close() {
  io_->shutdown(false);
  phase_ = Phase::kClosing;
  in_.clear();
  arm(Deadline::kLinger, ctx_->opts.body_timeout);
}

void Connection::close_now() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  if (out_.stream) out_.stream->close();
  io_->clear_deadline();
  io_->shutdown(true);
}

void Connection::on_deadline() {
  const auto& o = ctx_->opts;
  switch (deadline_) {
    case Deadline::kHeader:
    case Deadline::kBody: {
      if (phase_ != Phase::kReading) return;
      if (parser_.state() == RequestParser::State::kStart) return close_now();  // nothing sent at all
      bool head = deadline_ == Deadline::kHeader;
      std::string message = std::string("request not complete within ") + (head ? "header_timeout" : "body_timeout") +
                            " (" + std::to_string((head ? o.header_timeout : o.body_timeout).count()) + " ms)";
      return refuse("- - 408 connection closed: " + message + " (" + client_ + ")",
                    LocalApi::error_response(408, message));
    }
    case Deadline::kIdle:
      return close_now();
    case Deadline::kAnswer:
      ctx_->notice("- - - connection closed: its answer or stream passed " +
                   std::to_string(o.answer_max.count() / 1000) + " s (" + client_ + ")");
      return close_now();
    case Deadline::kLinger:
    case Deadline::kNone:
      return close_now();
  }
}

void Connection::on_close() {
  phase_ = Phase::kClosed;
  if (out_.stream) out_.stream->close();
  io_->clear_deadline();
}

}  // namespace saltgw::rest::http
