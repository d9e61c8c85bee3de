#include "grpc/status_codes.h"

namespace uninlu {

grpc::StatusCode grpc_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput:
    case ErrorKind::Usage:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorKind::LimitExceeded:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case ErrorKind::NotFound:
      return grpc::StatusCode::NOT_FOUND;
    case ErrorKind::MethodNotAllowed:
      return grpc::StatusCode::UNIMPLEMENTED;
    case ErrorKind::Conflict:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case ErrorKind::Overloaded:
    case ErrorKind::Unavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case ErrorKind::Timeout:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case ErrorKind::ModelLoad:
    case ErrorKind::Io:
    case ErrorKind::Internal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::StatusCode grpc_code_of_http(int status) noexcept {
  if (status == 401) return grpc::StatusCode::UNAUTHENTICATED;
  if (status == 403) return grpc::StatusCode::PERMISSION_DENIED;
  if (status >= 400 && status < 500) return grpc::StatusCode::INVALID_ARGUMENT;
  return grpc::StatusCode::INTERNAL;
}

int http_status_of(grpc::StatusCode code) noexcept {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 413;
    case grpc::StatusCode::CANCELLED:
      return 499;  // the client went away, as nginx counts it
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

}  // namespace uninlu
