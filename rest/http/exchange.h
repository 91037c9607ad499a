// One request and its answer, as LocalApi sees it: the Reply it is given (and
// the ResponseStream, for NDJSON and SSE), usable from any thread.
//
// An Exchange turns LocalApi's HttpResponse into an Answer (the response head
// with CORS and X-Salt-Jid, and the body: whole, a BodySource, a file or a
// stream) and hands it to its connection on the connection's reactor thread
// (at once when called there, else through the reactor's mailbox). It holds
// the connection weakly: an answer for a connection that has gone is dropped.
// Exactly one answer per request; later ones are ignored. One access-log
// line per answer.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rest/api.h"
#include "rest/body_source.h"
#include "rest/http/response_codec.h"

namespace saltgw::rest::http {

class Connection;
class Mailbox;

// Runs tasks on one reactor thread.
struct ReactorRef {
  std::thread::id thread;
  std::shared_ptr<Mailbox> mailbox;
  // Runs `task` now when called on the reactor thread, else posts it.
  void run(std::function<void()> task) const;
  // Posts `task`: it runs on the reactor thread's next turn.
  void post(std::function<void()> task) const;
};

// The chunks a ResponseStream has queued and the connection has not taken
// yet. Shared by the stream's writers (any thread) and the connection.
struct StreamState {
  std::mutex mu;
  std::deque<std::string> chunks;  // chunk-framed bytes, the last chunk included once ended
  std::shared_ptr<BodySource> tail;  // end_with(): pulled by take() once `chunks` is empty
  bool ended = false;               // end() was called
  bool closed = false;              // nothing more is taken: the client is gone, or a HEAD request
  bool wake_pending = false;        // a wake-up is on its way to the connection
  std::atomic<size_t> backlog{0};   // queued here or written to the socket and not yet taken by it
  std::function<void()> wake;       // asks the connection to take chunks (set once, before any write)

  // Connection: moves chunks into `out` until it holds about `max` bytes,
  // then (all chunks taken) one piece of the tail, chunk-framed, and the last
  // chunk once the tail is done; returns the bytes moved (counted in
  // `backlog`) and whether the stream is complete (all taken).
  std::pair<size_t, bool> take(std::string& out, size_t max);
  // Connection: the client is gone (or will never get a body).
  void close();
};

// What the connection sends for one request.
struct Answer {
  ResponseHead head;
  std::string body;                     // the whole body (kLength framing) unless source or stream
  std::shared_ptr<BodySource> source;   // pieces: chunked, or exactly head.length bytes with kLength
  std::shared_ptr<StreamState> stream;  // chunks a ResponseStream writes
};

// Facts about the request an Exchange answers.
struct ExchangeInfo {
  std::string method;    // as the client sent it (HEAD included)
  std::string resource;  // the target's path, as sent (for the access log)
  std::string origin;    // the Origin field, if any
  bool keep_alive = true;
  bool cors = true;
  std::chrono::steady_clock::time_point started;
};

class Exchange : public Reply {
 public:
  using Log = std::function<void(const std::string&)>;
  Exchange(std::weak_ptr<Connection> connection, uint64_t seq, ReactorRef reactor, ExchangeInfo info, Log log);

  void send(HttpResponse response) override;
  std::shared_ptr<ResponseStream> stream(int status, const std::string& content_type,
                                         const std::vector<std::pair<std::string, std::string>>& headers) override;

 private:
  std::vector<std::pair<std::string, std::string>> fields(const std::string& content_type,
                                                         const std::vector<std::pair<std::string, std::string>>& headers,
                                                         const std::string& jid) const;
  void deliver(Answer answer);
  void access(int status, const std::string& jid, const char* extra);

  std::weak_ptr<Connection> connection_;
  uint64_t seq_;
  ReactorRef reactor_;
  ExchangeInfo info_;
  Log log_;
  std::atomic<bool> answered_{false};
};

// Builds the Answer for a whole response (no stream): the head's fields, the
// body (a file opened now, or the response's body_source). Exposed for tests.
Answer make_answer(HttpResponse response, std::vector<std::pair<std::string, std::string>> fields, bool keep_alive);

// The response's fields: CORS first (when `cors`), then the response's own
// (replacing a CORS field of the same name), then X-Salt-Jid.
std::vector<std::pair<std::string, std::string>> response_fields(
    bool cors, const std::string& origin, const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& jid);

}  // namespace saltgw::rest::http
