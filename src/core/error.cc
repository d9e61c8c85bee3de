#include "core/error.h"

namespace uninlu {

const char* error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput: return "invalid_input";
    case ErrorKind::LimitExceeded: return "limit_exceeded";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::MethodNotAllowed: return "method_not_allowed";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::ModelLoad: return "model_load";
    case ErrorKind::Overloaded: return "overloaded";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Io: return "io";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

int http_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput: return 400;
    case ErrorKind::Usage: return 400;
    case ErrorKind::LimitExceeded: return 413;
    case ErrorKind::NotFound: return 404;
    case ErrorKind::MethodNotAllowed: return 405;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::Overloaded: return 429;
    case ErrorKind::Timeout: return 504;
    case ErrorKind::Unavailable: return 503;
    case ErrorKind::ModelLoad:
    case ErrorKind::Io:
    case ErrorKind::Internal: return 500;
  }
  return 500;
}

int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput:
    case ErrorKind::LimitExceeded:
    case ErrorKind::Usage:
    case ErrorKind::NotFound:
    case ErrorKind::MethodNotAllowed: return 2;
    case ErrorKind::ModelLoad: return 3;
    default: return 1;
  }
}

}  // namespace uninlu
