#pragma once
// Certificates for the TLS tests, made with OpenSSL's API (no openssl CLI, no files in the tree).
#include <filesystem>
#include <string>

namespace uninlu::testing {

struct TestCert {
  std::string cert_pem;           // self-signed, CN=<name>, subjectAltName DNS:localhost, IP:127.0.0.1
  std::string key_pem;            // its P-256 key, unencrypted PKCS#8
  std::string cert_der;           // the certificate as DER
  std::string encrypted_key_pem;  // the key under a passphrase
};

TestCert make_test_cert(const std::string& common_name, long serial);

// A fresh directory under the temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `bytes` to <dir>/<name> (replacing it) and returns the path.
  std::string write(const std::string& name, const std::string& bytes) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace uninlu::testing
