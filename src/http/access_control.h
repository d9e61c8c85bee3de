#pragma once
// Who may call which route (docs/security.md). Three classes of route:
//  - admin: POST /api/fallback, /api/restore (they change the service): the admin key; with none
//    configured, loopback clients only (403 otherwise);
//  - probes: /health, /v2/health/*, /metrics: open unless protect_probes;
//  - the rest under /api/ and /info: a client key (or the admin key) when any client key is configured.
// The web page and its assets stay open, so that a browser can load the page that asks for the key.
#include <optional>
#include <string>

#include "http/api_keys.h"
#include "http/http_message.h"
#include "http/server_config.h"

namespace uninlu {

class AccessControl {
 public:
  // Reads api_keys_file: Error(Usage) when it cannot be read.
  explicit AccessControl(const HttpOptions& options);

  // SIGHUP: re-reads api_keys_file. On failure the keys in use stay and the error is logged.
  void reload();

  // nullopt: allowed. Otherwise the 401 or 403 to answer. `fingerprint` receives the presented key's
  // fingerprint (for the access log), or "-" when none was presented.
  std::optional<HttpResponse> check(const HttpRequest& request, std::string& fingerprint) const;

 private:
  std::vector<std::string> static_keys_;
  std::string keys_file_;
  // Fixed at startup: a key file that a reload leaves empty locks clients out rather than opening up.
  bool keys_required_;
  bool protect_probes_;
  KeySet client_keys_;
  KeySet admin_keys_;
};

}  // namespace uninlu
