#pragma once
// How a benchmark worker sends one request and waits for its answer: over HTTP or HTTPS (one keep-alive
// connection per worker, reconnecting after an error) or straight into an in-process Service.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "bench/request_source.h"

namespace uninlu {
class Service;
}

namespace uninlu::bench {

struct Outcome {
  int status = 0;     // HTTP status (the status the error kind maps to, in process); 0: no answer
  std::string error;  // empty when ok; else "http 503", "connect: ...", "tls: ...", "io: ...", "bad body"
  bool ok() const noexcept { return error.empty(); }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends request `index` of the bodies and blocks until the answer (or a failure).
  virtual Outcome send(std::size_t index) = 0;
};

using TransportFactory = std::function<std::unique_ptr<Transport>()>;

struct HttpTarget {
  std::string host = "127.0.0.1";
  int port = 7860;
  std::string path_prefix;  // prepended to /api/predict and /metrics (e.g. behind a proxy)
  bool tls = false;         // https://
  std::string ca_file;      // https: trust this PEM CA bundle instead of the system's (--cacert)
  bool insecure = false;    // https: skip the certificate and host name checks (--insecure; tests only)
};

// "http[s]://host[:port][/prefix]" -> target (port 80 or 443 by default); Error(Usage) for anything else.
HttpTarget parse_url(const std::string& url);

TransportFactory http_transport(HttpTarget target, std::shared_ptr<const RequestBodies> bodies);
TransportFactory direct_transport(Service& service, std::shared_ptr<const RequestBodies> bodies,
                                  std::chrono::milliseconds timeout);

// GET a path over a fresh connection; returns the body, or throws Error(Io).
std::string http_get(const HttpTarget& target, const std::string& path);

}  // namespace uninlu::bench
