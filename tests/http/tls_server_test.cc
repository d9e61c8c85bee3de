// The server over TLS, in process: real sockets and handshakes, a fake Service.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <future>
#include <optional>

#include "fake_service.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "test_certs.h"

namespace uninlu {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Response = http::response<http::string_body>;

const std::string kRequest = R"({"text": "华为在东莞松山湖建设了研发基地", "schema": {"公司": null}})";

tcp::endpoint local(int port) { return {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}; }

// A blocking HTTPS client on one connection. `version` pins the protocol (0: whatever both sides allow);
// below TLS 1.2 the client lowers its own security level, so that only the server can refuse.
class TlsClient {
 public:
  explicit TlsClient(int port, int version = 0) : context_(ssl::context::tls_client) {
    context_.set_verify_mode(ssl::verify_none);  // the tests look at the certificate themselves
    if (version != 0) {
      SSL_CTX_set_min_proto_version(context_.native_handle(), version);
      SSL_CTX_set_max_proto_version(context_.native_handle(), version);
      if (version < TLS1_2_VERSION) {
        SSL_CTX_set_security_level(context_.native_handle(), 0);
        SSL_CTX_set_cipher_list(context_.native_handle(), "DEFAULT@SECLEVEL=0");
      }
    }
    stream_.emplace(io_, context_);
    stream_->next_layer().connect(local(port));
  }

  boost::system::error_code handshake() {
    boost::system::error_code ec;
    stream_->handshake(ssl::stream_base::client, ec);
    return ec;
  }

  Response request(http::verb method, const std::string& target, const std::string& body = {}, bool keep_alive = true) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.keep_alive(keep_alive);
    req.body() = body;
    req.prepare_payload();
    http::write(*stream_, req);
    return read();
  }

  void send(http::verb method, const std::string& target, const std::string& body) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(*stream_, req);
  }

  Response read() {
    Response response;
    http::read(*stream_, buffer_, response);
    return response;
  }

  // How the connection ends when read past the last answer: eof after the server's close_notify,
  // stream_truncated when it only closed the socket.
  boost::system::error_code read_end() {
    char byte = 0;
    boost::system::error_code ec;
    asio::read(*stream_, asio::buffer(&byte, 1), ec);
    return ec;
  }

  std::string peer_serial() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return {};
    const long serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert));
    X509_free(cert);
    return std::to_string(serial);
  }

  int version() { return SSL_version(stream_->native_handle()); }

  void shutdown_send() { stream_->next_layer().shutdown(tcp::socket::shutdown_send); }  // a FIN, no close_notify

  void close() {
    boost::system::error_code ignored;
    stream_->next_layer().close(ignored);
  }

  void abort() {
    boost::system::error_code ignored;
    stream_->next_layer().set_option(asio::socket_base::linger(true, 0), ignored);
    stream_->next_layer().close(ignored);
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  std::optional<ssl::stream<tcp::socket>> stream_;
  beast::flat_buffer buffer_;
};

// A raw TCP connection for what a TLS client would not do. Reads use poll-free recv with SO_RCVTIMEO, a
// safety net so that a server that never closes fails the test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(int port) : socket_(io_) {
    socket_.connect(local(port));
    timeval limit{30, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Reads until the server closes. True when it closed (FIN or reset); false when the safety net ran out.
  bool closed_by_server(std::string& received) {
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(socket_.native_handle(), chunk, sizeof chunk, 0);
      if (n > 0) {
        received.append(chunk, static_cast<std::size_t>(n));
      } else {
        return n == 0 || errno == ECONNRESET;
      }
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

class TlsServerTest : public ::testing::Test {
 protected:
  void start(HttpOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.tls_cert = dir.write("cert.pem", cert.cert_pem);
    options.tls_key = dir.write("key.pem", cert.key_pem);
    server = std::make_unique<HttpServer>(options);
    ASSERT_TRUE(server->tls());
    port = server->local_port();
    serving = std::async(std::launch::async, [this] { return server->serve(service, access_log); });
  }

  HttpServer::ShutdownReport stop() {
    server->request_stop();
    return serving.get();
  }

  void TearDown() override {
    if (serving.valid()) stop();
  }

  // The server still answers a good client.
  void expect_serving() {
    TlsClient client(port);
    ASSERT_FALSE(client.handshake());
    EXPECT_EQ(client.request(http::verb::get, "/health").result_int(), 200);
  }

  testing::TempDir dir;
  const testing::TestCert cert = testing::make_test_cert("uninlu-test", 4242);
  testing::FakeService service;
  AccessLog access_log{""};
  std::unique_ptr<HttpServer> server;
  std::future<HttpServer::ShutdownReport> serving;
  int port = 0;
};

class TlsVersionTest : public TlsServerTest, public ::testing::WithParamInterface<int> {};

TEST_P(TlsVersionTest, AnswersOverKeepAlive) {
  start();
  TlsClient client(port, GetParam());
  ASSERT_FALSE(client.handshake());
  EXPECT_EQ(client.version(), GetParam());
  EXPECT_EQ(client.peer_serial(), "4242");
  for (int i = 0; i < 2; ++i) {
    const Response r = client.request(http::verb::post, "/api/predict", kRequest);
    ASSERT_EQ(r.result_int(), 200) << r.body();
    EXPECT_TRUE(r.keep_alive());
  }
  EXPECT_EQ(client.request(http::verb::get, "/health").result_int(), 200);
  EXPECT_EQ(service.received().size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Tls12And13, TlsVersionTest, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION));

TEST_F(TlsServerTest, RefusesTls10And11) {
  start();
  for (const int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    TlsClient client(port, version);
    const auto ec = client.handshake();
    ASSERT_TRUE(ec) << "TLS version " << std::hex << version << " was accepted";
    // The server's alert, not the client's own refusal to offer the version.
    EXPECT_NE(ec.message().find("protocol version"), std::string::npos) << ec.message();
  }
  expect_serving();
}

TEST_F(TlsServerTest, PlainHttpOnTheTlsPortIsClosed) {
  start();
  RawClient plain(port);
  plain.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string received;
  EXPECT_TRUE(plain.closed_by_server(received));
  EXPECT_EQ(received.find("HTTP/1.1"), std::string::npos) << received;
  expect_serving();
}

TEST_F(TlsServerTest, StalledHandshakeIsDroppedAfterTheHeaderTimeout) {
  HttpOptions options;
  options.header_timeout = std::chrono::milliseconds(200);
  start(options);
  RawClient stalled(port);
  stalled.send(std::string("\x16\x03\x01", 3));  // the start of a ClientHello, never finished
  std::string received;
  EXPECT_TRUE(stalled.closed_by_server(received));
  expect_serving();
}

TEST_F(TlsServerTest, ConnectionCloseSendsCloseNotify) {
  start();
  TlsClient client(port);
  ASSERT_FALSE(client.handshake());
  const Response r = client.request(http::verb::get, "/health", {}, /*keep_alive=*/false);
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_EQ(client.read_end(), asio::error::eof);  // a TLS close, not a truncation
}

TEST_F(TlsServerTest, EarlyAnswerIsReadWholeBeforeTheClose) {
  // A 413 is answered before the body is read; the linger close must not cut the answer off.
  HttpOptions options;
  options.max_body_bytes = 1024;
  start(options);
  TlsClient client(port);
  ASSERT_FALSE(client.handshake());
  const Response r = client.request(http::verb::post, "/api/predict",
                                    R"({"text": ")" + std::string(64 * 1024, 'a') + R"(", "schema": {"x": null}})");
  EXPECT_EQ(r.result_int(), 413) << r.body();
  EXPECT_NE(r.body().find("max_body_bytes"), std::string::npos) << r.body();
  EXPECT_FALSE(r.keep_alive());
  expect_serving();
}

TEST_F(TlsServerTest, HalfClosedClientIsAnswered) {
  start();
  TlsClient client(port);
  ASSERT_FALSE(client.handshake());
  client.send(http::verb::post, "/api/predict", R"({"text": "sleep:200", "schema": {"x": null}})");
  client.shutdown_send();  // the request is complete; the client still reads
  const Response r = client.read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(service.cancels().empty());
  EXPECT_EQ(client.read_end(), asio::error::eof);
}

TEST_F(TlsServerTest, ClientThatLeavesCancelsItsWork) {
  start();
  {
    TlsClient client(port);
    ASSERT_FALSE(client.handshake());
    client.send(http::verb::post, "/api/predict", R"({"text": "hold", "schema": {"x": null}})");
    ASSERT_TRUE(service.wait_for_held(1));
    client.abort();
  }
  ASSERT_TRUE(service.wait_for_cancels(1));
  EXPECT_EQ(service.cancels().at(0).second, ErrorKind::Unavailable);
  expect_serving();
}

TEST_F(TlsServerTest, GracefulShutdownAnswersInFlightAndClosesIdle) {
  start();
  TlsClient busy(port);
  ASSERT_FALSE(busy.handshake());
  busy.send(http::verb::post, "/api/predict", R"({"text": "hold", "schema": {"x": null}})");
  ASSERT_TRUE(service.wait_for_held(1));
  TlsClient idle(port);
  ASSERT_FALSE(idle.handshake());
  ASSERT_EQ(idle.request(http::verb::get, "/health").result_int(), 200);

  server->request_stop();
  ASSERT_TRUE(service.wait_for_drain());
  EXPECT_TRUE(idle.read_end());  // closed
  service.release_held();
  const Response r = busy.read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_EQ(busy.read_end(), asio::error::eof);  // close_notify
  busy.close();  // instead of a close_notify of its own, which the server would wait for
  const auto report = serving.get();
  EXPECT_EQ(report.unfinished, 0u);
}

TEST_F(TlsServerTest, StartupRefusesAKeyThatDoesNotMatch) {
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.tls_cert = dir.write("cert.pem", cert.cert_pem);
  options.tls_key = dir.write("other_key.pem", testing::make_test_cert("other", 1).key_pem);
  try {
    HttpServer refused(options);
    ADD_FAILURE() << "a server started with a key of another certificate";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace uninlu
