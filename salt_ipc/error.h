// Errors as values across saltgw's layers.
//
// Every failure a caller can act on is an Error with a kind and a message a
// person can act on. rest/ maps kinds to HTTP status codes in one table
// (rest/error_map.cc); nothing else decides a status code.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace saltgw::salt_ipc {

enum class ErrorKind {
  kInvalidArgument,    // the request itself is malformed
  kUnknownFunction,    // the minion has no such function
  kFunctionFailed,     // the function ran and Salt reports success: false
  kTimeout,            // no result within the job's timeout
  kMinionUnreachable,  // the minion's sockets do not answer
  kConnectionLost,     // the connection dropped while the job was in flight
  kResultTrimmed,      // the minion trimmed the result (max_event_size)
  kProtocol,           // a peer sent something that is not Salt's protocol
  kConfig,             // configuration missing or invalid
  kEngineUnavailable,  // the executor engine is not running in the minion
  kOverloaded,         // a limit on jobs in flight was reached
  kCancelled,          // the job was stopped (shutdown or by request)
  kNotFound,           // a named thing (file, job) does not exist
  kInternal,           // a bug: should never happen
};

// Stable lower-case name of a kind, for logs and JSON ("timeout", ...).
const char* error_kind_name(ErrorKind kind);

class Value;

struct Error {
  ErrorKind kind;
  std::string message;
  // What the minion returned, when a job failed with a return value worth
  // showing (state results, error dicts). Null when there is none.
  std::shared_ptr<const Value> detail;
};

// A value or an Error. Deliberately tiny (std::expected is C++23).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result for operations with no value.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message), nullptr};
}

}  // namespace saltgw::salt_ipc
