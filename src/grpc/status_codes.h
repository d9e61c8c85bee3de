#pragma once
// Our error kinds (and the HTTP statuses of the access checks) as gRPC status codes, the mapping
// docs/grpc.md lists.
#include <grpcpp/support/status.h>

#include "core/error.h"

namespace uninlu {

// InvalidInput, Usage → INVALID_ARGUMENT; LimitExceeded → RESOURCE_EXHAUSTED (what gRPC itself answers
// for an oversized message); NotFound → NOT_FOUND; Overloaded, Unavailable → UNAVAILABLE (clients retry
// it); Timeout → DEADLINE_EXCEEDED; MethodNotAllowed → UNIMPLEMENTED; the rest → INTERNAL.
grpc::StatusCode grpc_code(ErrorKind kind) noexcept;

// 401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, other 4xx → INVALID_ARGUMENT, else INTERNAL.
grpc::StatusCode grpc_code_of_http(int status) noexcept;

// The HTTP status a gRPC code stands for, for the per-route metrics that REST shares: OK → 200.
int http_status_of(grpc::StatusCode code) noexcept;

}  // namespace uninlu
