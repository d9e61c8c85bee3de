// Loading the TLS certificate and key: what a person can get wrong, and the reload that keeps the old
// pair when the new one is bad.
#include "http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "core/error.h"
#include "test_certs.h"

namespace uninlu {
namespace {

using testing::make_test_cert;
using testing::TempDir;
using testing::TestCert;

// The Error(Usage) message of loading `cert` and `key`; a test failure for anything else.
std::string load_error(const std::string& cert, const std::string& key) {
  try {
    make_tls_server_context(cert, key);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected Error(Usage) loading " << cert << " and " << key;
  return {};
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_path = dir.write("cert.pem", a.cert_pem);
    key_path = dir.write("key.pem", a.key_pem);
  }

  TempDir dir;
  const TestCert a = make_test_cert("uninlu-a", 0xA1);
  const TestCert b = make_test_cert("uninlu-b", 0xB2);
  std::string cert_path;
  std::string key_path;
};

TEST_F(TlsContextTest, LoadsAMatchingPairAndRefusesTls10And11) {
  CertificateInfo info;
  const auto context = make_tls_server_context(cert_path, key_path, &info);
  ASSERT_NE(context, nullptr);
  EXPECT_EQ(info.subject, "CN=uninlu-a");
  EXPECT_EQ(info.serial, "A1");
  EXPECT_FALSE(info.expired);
  EXPECT_FALSE(info.not_after.empty());
  EXPECT_EQ(SSL_CTX_get_min_proto_version(context->native_handle()), TLS1_2_VERSION);
}

TEST_F(TlsContextTest, MissingFileNamesIt) {
  const std::string missing = (dir.path() / "nope.pem").string();
  std::string message = load_error(missing, key_path);
  EXPECT_NE(message.find("TLS certificate (tls_cert) '" + missing + "': no such file"), std::string::npos) << message;
  message = load_error(cert_path, missing);
  EXPECT_NE(message.find("TLS private key (tls_key) '" + missing + "': no such file"), std::string::npos) << message;
}

TEST_F(TlsContextTest, UnreadableFile) {
  // A directory cannot be read as a file whoever runs the test (root reads a chmod 000 file).
  const std::string message = load_error(dir.path().string(), key_path);
  EXPECT_NE(message.find("it is a directory"), std::string::npos) << message;
}

TEST_F(TlsContextTest, NotPem) {
  std::string message = load_error(dir.write("text.pem", "hello\n"), key_path);
  EXPECT_NE(message.find("is not PEM"), std::string::npos) << message;
  message = load_error(dir.write("cert.der", a.cert_der), key_path);
  EXPECT_NE(message.find("looks like DER"), std::string::npos) << message;
  message = load_error(dir.write("broken.pem",
                                 "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                                 "-----END CERTIFICATE-----\n"),
                       key_path);
  EXPECT_NE(message.find("is not a valid PEM certificate chain"), std::string::npos) << message;
  message = load_error(cert_path, dir.write("broken_key.pem",
                                            "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                            "-----END PRIVATE KEY-----\n"));
  EXPECT_NE(message.find("is not a valid PEM private key"), std::string::npos) << message;
}

TEST_F(TlsContextTest, KeyOfAnotherCertificate) {
  const std::string message = load_error(cert_path, dir.write("key_b.pem", b.key_pem));
  EXPECT_NE(message.find("does not match the certificate in '" + cert_path + "'"), std::string::npos) << message;
}

TEST_F(TlsContextTest, SwappedFiles) {
  std::string message = load_error(key_path, cert_path);
  EXPECT_NE(message.find("swapped"), std::string::npos) << message;
  message = load_error(cert_path, cert_path);
  EXPECT_NE(message.find("holds no private key but a certificate"), std::string::npos) << message;
}

TEST_F(TlsContextTest, EncryptedKeyIsRefusedWithoutPrompting) {
  const std::string message = load_error(cert_path, dir.write("encrypted.pem", a.encrypted_key_pem));
  EXPECT_NE(message.find("encrypted with a passphrase"), std::string::npos) << message;
}

TEST_F(TlsContextTest, ReloadTakesAGoodPairAndKeepsTheOldOnABadOne) {
  TlsContext tls(cert_path, key_path);
  const auto first = tls.current();
  EXPECT_EQ(certificate_info(*first).serial, "A1");

  // A half-written renewal (new certificate, old key) is refused; the pair in use stays.
  dir.write("cert.pem", b.cert_pem);
  EXPECT_FALSE(tls.reload());
  EXPECT_EQ(tls.current(), first);

  dir.write("key.pem", b.key_pem);
  EXPECT_TRUE(tls.reload());
  const auto second = tls.current();
  EXPECT_NE(second, first);
  EXPECT_EQ(certificate_info(*second).serial, "B2");
  EXPECT_EQ(certificate_info(*first).serial, "A1");  // a connection holding the old one keeps it whole
}

}  // namespace
}  // namespace uninlu
