#pragma once
// The HTTP exchange as the routes see it: plain structs, independent of Boost.Beast, so that routes can be
// unit-tested without sockets.
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "serving/service.h"

namespace uninlu {

struct HttpRequest {
  std::string method;        // as sent: "GET", "POST", ...
  std::string target;        // as sent, query included
  std::string path;          // target without the query
  std::string content_type;  // empty when the header is absent
  std::string body;
  std::string request_id;  // the X-Request-Id of the response
  std::string client;      // "address:port" of the peer
  bool from_loopback = false;  // the peer is 127.0.0.0/8 or ::1
  std::string authorization;   // the Authorization header (checked by AccessControl, never logged)
  std::string origin;          // the Origin header (CORS)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones: Allow, Retry-After, Cache-Control
};

// Answers an exchange. Call it exactly once, from any thread (Service callbacks run on worker threads).
using Respond = std::function<void(HttpResponse)>;
// Records a Service request the exchange waits on, so that a client that leaves (or a deadline that
// passes) cancels it. Call it only from inside the handler.
using TrackRequest = std::function<void(RequestId)>;

struct Exchange {
  const HttpRequest& request;
  std::chrono::steady_clock::time_point deadline;  // passed to Service::predict
  Respond respond;
  TrackRequest track;
};

using Handler = std::function<void(Exchange&)>;

}  // namespace uninlu
