#include "http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "core/error.h"

namespace uninlu {

namespace {

namespace ssl = boost::asio::ssl;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The file's bytes, or Error(Usage) saying why it cannot be used: missing, a directory, unreadable, not PEM.
std::string read_pem(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  const std::string named = what + " '" + path + "'";
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) fail(ErrorKind::Usage, "cannot read " + named + ": no such file");
  if (fs::is_directory(status)) fail(ErrorKind::Usage, "cannot read " + named + ": it is a directory, not a PEM file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Usage, "cannot read " + named + ": " + std::generic_category().message(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(ErrorKind::Usage, "cannot read " + named + ": " + std::generic_category().message(errno));
  std::string bytes = text.str();
  if (!contains(bytes, "-----BEGIN ")) {
    // DER (binary ASN.1) starts with a SEQUENCE tag.
    const bool der = !bytes.empty() && static_cast<unsigned char>(bytes.front()) == 0x30;
    fail(ErrorKind::Usage,
         named + " is not PEM (no \"-----BEGIN\" line)" +
             (der ? ": it looks like DER; convert it with `openssl x509 -inform der` (a certificate) or "
                    "`openssl pkey -inform der` (a key)"
                  : ""));
  }
  return bytes;
}

// OpenSSL's reason for the last failure, e.g. "no start line"; the error queue is emptied.
std::string openssl_reason(const boost::system::system_error& e) {
  ERR_clear_error();
  return e.code().message();
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

void log_loaded(std::string_view what, const std::string& file, const CertificateInfo& info) {
  spdlog::info("{} {} (subject {}, serial {}, valid until {})", what, file, info.subject, info.serial,
               info.not_after);
  if (info.expired) {
    spdlog::warn("the TLS certificate {} expired on {}: clients will refuse it", file, info.not_after);
  }
}

}  // namespace

CertificateInfo certificate_info(ssl::context& context) {
  CertificateInfo info;
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return info;
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio && X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    info.subject = bio_text(bio.get());
  }
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      info.serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  const std::unique_ptr<BIO, decltype(&BIO_free)> time_bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (time_bio && ASN1_TIME_print(time_bio.get(), X509_get0_notAfter(cert)) == 1) {
    info.not_after = bio_text(time_bio.get());
  }
  info.expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  return info;
}

std::shared_ptr<ssl::context> make_tls_server_context(const std::string& cert_file, const std::string& key_file,
                                                      CertificateInfo* info) {
  const std::string cert_what = "TLS certificate (tls_cert)";
  const std::string key_what = "TLS private key (tls_key)";
  const std::string cert_pem = read_pem(cert_file, cert_what);
  const std::string key_pem = read_pem(key_file, key_what);

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // TLS 1.0 and 1.1 are refused whatever the system's OpenSSL configuration allows.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_dh_auto(native, 1);
  // Never prompt on the terminal for a passphrase: an encrypted key fails to load instead.
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });

  const bool cert_has_certificate =
      contains(cert_pem, "-----BEGIN CERTIFICATE-----") || contains(cert_pem, "-----BEGIN TRUSTED CERTIFICATE-----");
  if (!cert_has_certificate) {
    fail(ErrorKind::Usage,
         cert_what + " '" + cert_file + "' holds no certificate" +
             (contains(cert_pem, "PRIVATE KEY-----") ? " but a private key: are tls_cert and tls_key swapped?"
                                                     : " (no \"-----BEGIN CERTIFICATE-----\" block)"));
  }
  try {
    context->use_certificate_chain(boost::asio::buffer(cert_pem));
  } catch (const boost::system::system_error& e) {
    fail(ErrorKind::Usage,
         cert_what + " '" + cert_file + "' is not a valid PEM certificate chain: " + openssl_reason(e));
  }

  if (contains(key_pem, "ENCRYPTED PRIVATE KEY-----") || contains(key_pem, "Proc-Type: 4,ENCRYPTED")) {
    fail(ErrorKind::Usage, key_what + " '" + key_file +
                               "' is encrypted with a passphrase, which uninlu cannot ask for: decrypt it with "
                               "`openssl pkey -in KEY -out PLAIN_KEY` and keep that file readable by the server only");
  }
  if (!contains(key_pem, "PRIVATE KEY-----")) {
    fail(ErrorKind::Usage,
         key_what + " '" + key_file + "' holds no private key" +
             (contains(key_pem, "CERTIFICATE-----") ? " but a certificate: are tls_cert and tls_key swapped?"
                                                    : " (no \"-----BEGIN ... PRIVATE KEY-----\" block)"));
  }
  const std::string mismatch = key_what + " '" + key_file + "' does not match the certificate in '" + cert_file +
                               "' (the first certificate in tls_cert must be the server's own, the one the key "
                               "belongs to)";
  try {
    context->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem);
  } catch (const boost::system::system_error& e) {
    // OpenSSL compares the key with the certificate as it loads it.
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(e.code().value()));
    if (e.code().category() == boost::asio::error::get_ssl_category() &&
        (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      fail(ErrorKind::Usage, mismatch);
    }
    fail(ErrorKind::Usage, key_what + " '" + key_file + "' is not a valid PEM private key: " + openssl_reason(e));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    fail(ErrorKind::Usage, mismatch);
  }
  if (info != nullptr) *info = certificate_info(*context);
  return context;
}

TlsContext::TlsContext(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {
  current_ = make_tls_server_context(cert_file_, key_file_, &info_);
  log_loaded("TLS certificate", cert_file_, info_);
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  const std::lock_guard lock(mutex_);
  return current_;
}

bool TlsContext::reload() {
  try {
    CertificateInfo info;
    auto context = make_tls_server_context(cert_file_, key_file_, &info);
    {
      const std::lock_guard lock(mutex_);
      current_ = std::move(context);
    }
    log_loaded("SIGHUP: new connections get the TLS certificate", cert_file_, info);
    return true;
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: keeping the TLS certificate in use: {}", e.what());
    return false;
  }
}

}  // namespace uninlu
