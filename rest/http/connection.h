// One client connection: reads its requests, hands each to LocalApi, writes
// the answers back in order, and ends it when it should. Everything here runs
// on the connection's reactor thread (answers from other threads come through
// Exchange, rest/http/exchange.h).
//
// States, and the one deadline each has (armed only while it exists):
//   reading    a request is arriving: header_timeout from its first byte (from
//              the accept, for a connection's first request), body_timeout
//              from the end of its head; a JSON 408 and the end when passed.
//              With no byte of a next request yet: idle, closed quietly after
//              keepalive_timeout.
//   answering  the request is with LocalApi, then its answer is being written:
//              answer_max from the hand-over; the connection is shut when passed.
//   closing    an answer with "Connection: close" was written and the socket
//              shut for writing; input is read and dropped until the client
//              closes (at most body_timeout, then the socket is shut).
// Requests are read one at a time: bytes of a next request (a pipelining
// client) wait until the answer before it is written; more than a whole
// request's worth of them ends the connection. Malformed or oversized
// requests get a JSON error and the connection ends (rest/http/request_parser.h).
// Answers are written a piece at a time: the next piece (at most
// kPieceBytes) is produced only when the socket has taken the previous one,
// so a slow client holds one piece, never the whole answer, and other
// connections on the same thread are not kept waiting behind it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rest/http/exchange.h"
#include "rest/http/request_parser.h"
#include "rest/http_server.h"

namespace saltgw::rest::http {

// What every connection of one server shares.
struct ServerContext {
  LocalApi* api = nullptr;
  ServerOptions opts;
  AccessLog log;
  std::atomic<size_t>* open = nullptr;  // connections open (shared between servers)

  // The access log of answers (when access_log_on allows).
  void access(const std::string& line) const;
  // Lines about refused or closed connections: always.
  void notice(const std::string& line) const;
};

// The connection's socket and reactor, as the connection uses them.
class ConnectionIo {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~ConnectionIo() = default;
  // Queues bytes for the socket; `done(ok)` runs on the reactor thread once
  // they are written, or could not be. It may never run when the client
  // resets the connection (which then ends anyway).
  virtual void send(std::string bytes, std::function<void(bool ok)> done) = 0;
  // shutdown(2): writing only, or both ways (the reactor then reads the end
  // and reports the disconnection).
  virtual void shutdown(bool both) = 0;
  virtual void set_deadline(Clock::time_point when) = 0;
  virtual void clear_deadline() = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kPieceBytes = 64 * 1024;

  Connection(std::shared_ptr<const ServerContext> ctx, std::unique_ptr<ConnectionIo> io, ReactorRef reactor,
             std::string client);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Once, right after the accept: refuses the connection over max_connections
  // (JSON 503 + Retry-After), else starts the first request's header clock.
  void start();
  void on_input(std::string_view bytes);
  void on_deadline();
  // The socket is gone: a stream being written is closed, answers still to
  // come are dropped.
  void on_close();

  // Exchange: the answer to request `seq`.
  void answer(uint64_t seq, Answer answer);
  // Writes the next piece of the answer, if the socket has taken the last one.
  void pump();

 private:
  enum class Phase { kReading, kAnswering, kWriting, kClosing, kClosed };
  enum class Deadline { kNone, kHeader, kBody, kIdle, kAnswer, kLinger };

  void arm(Deadline kind, std::chrono::milliseconds after);
  void process_input();
  size_t parse(std::string_view bytes);  // one step of the parser; returns the bytes it used
  void dispatch(Request request);
  // Answers with an error and ends the connection; `notice` goes to the log.
  void refuse(const std::string& notice, const HttpResponse& response);
  void start_writing(Answer answer);
  bool next_piece(std::string& piece, size_t& stream_bytes);
  void sent(bool ok, size_t stream_bytes, bool last);
  void finished_answer();
  void begin_close();  // shut for writing, drop input until the client closes
  void close_now();    // shut both ways

  std::shared_ptr<const ServerContext> ctx_;
  std::unique_ptr<ConnectionIo> io_;
  ReactorRef reactor_;
  std::string client_;
  Phase phase_ = Phase::kReading;
  RequestParser parser_;
  std::string in_;           // bytes received and not parsed yet
  bool first_request_ = true;
  bool head_only_ = false;   // the answer being written is to a HEAD request
  bool keep_alive_ = true;   // ... and the connection stays open after it
  uint64_t seq_ = 0;         // requests handed on
  Answer out_;               // the answer being written
  std::string out_bytes_;    // its head (and whole body) not sent yet
  uint64_t body_left_ = 0;   // kLength body from a source: bytes still owed
  bool in_flight_ = false;   // a piece is with the socket
  bool body_done_ = false;   // everything of the answer has been handed to the socket
  bool short_body_ = false;  // a source ended before its Content-Length
  bool refused_ = false;     // answered with an error: input is dropped, then the end
  Deadline deadline_ = Deadline::kNone;
};

}  // namespace saltgw::rest::http
