#pragma once
// TLS for the HTTP server (docs/security.md): a certificate chain and its private key, both PEM, and
// TLS 1.2 and 1.3 only. On reload (SIGHUP) the context in use is replaced whole: new connections take the
// new one, connections already open keep the one they started with (each holds its own reference).
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace uninlu {

struct CertificateInfo {
  std::string subject;    // RFC 2253, e.g. "CN=uninlu.example,O=Example"
  std::string serial;     // hex
  std::string not_after;  // "Jan  1 00:00:00 2030 GMT"
  bool expired = false;
};

// A server context from PEM files. Error(Usage) naming the file and what to do when a file is missing,
// unreadable or not PEM, the key is encrypted, or the key does not match the certificate.
std::shared_ptr<boost::asio::ssl::context> make_tls_server_context(const std::string& cert_file,
                                                                   const std::string& key_file,
                                                                   CertificateInfo* info = nullptr);

// The certificate the context presents (its leaf).
CertificateInfo certificate_info(boost::asio::ssl::context& context);

class TlsContext {
 public:
  // Loads at once: Error(Usage) as make_tls_server_context.
  TlsContext(std::string cert_file, std::string key_file);

  std::shared_ptr<boost::asio::ssl::context> current() const;            // thread-safe
  const CertificateInfo& loaded_info() const noexcept { return info_; }  // as loaded at startup

  // Re-reads both files. True when the new pair is in use; on failure the error is logged and the pair in
  // use stays.
  bool reload();

 private:
  std::string cert_file_;
  std::string key_file_;
  CertificateInfo info_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace uninlu
