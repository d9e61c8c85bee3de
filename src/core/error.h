#pragma once
// Typed errors: every failure a person can cause has a kind, and each kind maps to one HTTP status and
// one process exit code. A broken invariant is ErrorKind::Internal and says it is a bug.
#include <stdexcept>
#include <string>

namespace uninlu {

enum class ErrorKind {
  InvalidInput,   // malformed JSON, wrong types, bad schema, empty key...         400 / exit 2
  LimitExceeded,  // text, schema, body or prompt count over a configured limit    413 / exit 2
  Usage,          // bad command line or configuration value                       400 / exit 2
  NotFound,       // unknown route                                                 404 / exit 2
  MethodNotAllowed,                                                             // 405 / exit 2
  Conflict,       // a model is already loading or unloading                       409 / exit 1
  ModelLoad,      // missing/corrupt model directory or checkpoint                 500 / exit 3
  Overloaded,     // concurrency cap reached                                       429 / exit 1
  Timeout,        // request deadline passed                                       504 / exit 1
  Unavailable,    // shutting down, no device can serve                            503 / exit 1
  Io,             // file or socket error                                          500 / exit 1
  Internal,       // a bug                                                         500 / exit 1
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Stable machine-readable name, e.g. "invalid_input"; used in JSON error bodies and metrics.
const char* error_kind_name(ErrorKind kind) noexcept;
int http_status(ErrorKind kind) noexcept;
int exit_code(ErrorKind kind) noexcept;

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace uninlu
