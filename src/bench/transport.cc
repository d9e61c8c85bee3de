#include "bench/transport.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <future>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "http/predict_request.h"
#include "serving/service.h"

namespace uninlu::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The client side of https: TLS 1.2+, the server's certificate checked against --cacert or the system's
// CAs (unless --insecure). One per target, shared by every connection.
std::shared_ptr<ssl::context> client_tls_context(const HttpTarget& target) {
  if (!target.tls) return nullptr;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (target.insecure) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (target.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else if (!std::filesystem::is_regular_file(target.ca_file)) {
    fail(ErrorKind::Usage, "cannot read --cacert '" + target.ca_file + "': no such file");
  } else {
    context->load_verify_file(target.ca_file, ec);
  }
  if (ec) {
    fail(ErrorKind::Usage, "cannot use --cacert '" + target.ca_file + "': " + ec.message() + " (a PEM CA bundle?)");
  }
  return context;
}

// One client connection, plain or TLS. Operations are synchronous; errors come back as codes.
class Connection {
 public:
  Connection(asio::io_context& io, const HttpTarget& target, std::shared_ptr<ssl::context> tls)
      : io_(io), target_(target), tls_context_(std::move(tls)), resolver_(io), plain_(io) {}

  bool is_open() const { return tls_ ? tls_->lowest_layer().is_open() : plain_.is_open(); }

  // Connects (and shakes hands); on failure the error says which step failed.
  std::string open() {
    beast::error_code ec;
    const auto endpoints = resolver_.resolve(target_.host, std::to_string(target_.port), ec);
    if (ec) return "connect: " + ec.message();
    tcp::socket& socket = tls_context_ ? tls_.emplace(io_, *tls_context_).next_layer() : plain_;
    asio::connect(socket, endpoints, ec);
    if (ec) {
      close();
      return "connect: " + ec.message();
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      boost::system::error_code not_ip;
      asio::ip::make_address(target_.host, not_ip);
      if (not_ip) {  // SNI, for names only (SSL_set_tlsext_host_name without its C cast)
        SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(target_.host.c_str()));
      }
      if (!target_.insecure) tls_->set_verify_callback(ssl::host_name_verification(target_.host));
      tls_->handshake(ssl::stream_base::client, ec);
      if (ec) {
        close();
        return "tls: " + ec.message();
      }
    }
    return {};
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(plain_);
    }
  }

  void close() {
    beast::error_code ignored;
    if (tls_) {
      tls_->lowest_layer().close(ignored);
      tls_.reset();  // an SSL stream is not reused after its connection
    }
    plain_.close(ignored);
  }

 private:
  asio::io_context& io_;
  const HttpTarget& target_;
  std::shared_ptr<ssl::context> tls_context_;
  tcp::resolver resolver_;
  tcp::socket plain_;
  std::optional<ssl::stream<tcp::socket>> tls_;
};

// The whole request, serialized once: a worker only writes these bytes.
std::string serialize_post(const HttpTarget& target, const std::string& body) {
  http::request<http::string_body> req{http::verb::post, target.path_prefix + "/api/predict", 11};
  req.set(http::field::host, target.host + ":" + std::to_string(target.port));
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "uninlu-bench");
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  std::ostringstream out;
  out << req;
  return out.str();
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(HttpTarget target, std::shared_ptr<const std::vector<std::string>> requests,
                std::shared_ptr<ssl::context> tls)
      : target_(std::move(target)), requests_(std::move(requests)), connection_(io_, target_, std::move(tls)) {}

  Outcome send(std::size_t index) override {
    if (!connection_.is_open()) {
      if (std::string error = connection_.open(); !error.empty()) return {0, std::move(error)};
    }
    const std::string& request = (*requests_)[index % requests_->size()];
    beast::error_code ec;
    http::response<http::string_body> response;
    buffer_.clear();
    connection_.with_stream([&](auto& stream) {
      asio::write(stream, asio::buffer(request), ec);
      if (!ec) http::read(stream, buffer_, response, ec);
    });
    if (ec) return drop("io: " + ec.message());
    const int status = static_cast<int>(response.result_int());
    if (!response.keep_alive()) connection_.close();
    if (status != 200) return {status, "http " + std::to_string(status)};
    // A prediction's answer holds result.output; anything else 200 is not one.
    if (response.body().find("\"output\"") == std::string::npos) return {status, "bad body"};
    return {status, {}};
  }

 private:
  Outcome drop(std::string error) {
    connection_.close();
    return {0, std::move(error)};
  }

  HttpTarget target_;
  std::shared_ptr<const std::vector<std::string>> requests_;
  asio::io_context io_;
  Connection connection_;
  beast::flat_buffer buffer_;
};

class DirectTransport final : public Transport {
 public:
  DirectTransport(Service& service, std::shared_ptr<const std::vector<PredictRequest>> requests,
                  std::chrono::milliseconds timeout)
      : service_(service), requests_(std::move(requests)), timeout_(timeout) {}

  Outcome send(std::size_t index) override {
    PredictRequest request = (*requests_)[index % requests_->size()];  // a copy: predict() consumes it
    std::promise<PredictOutcome> promise;
    auto answer = promise.get_future();
    try {
      service_.predict(std::move(request), std::chrono::steady_clock::now() + timeout_,
                       [&promise](PredictOutcome outcome) { promise.set_value(std::move(outcome)); });
    } catch (const Error& e) {
      const int status = http_status(e.kind());
      return {status, "http " + std::to_string(status)};
    }
    const PredictOutcome outcome = answer.get();
    if (outcome.error) {
      const int status = http_status(outcome.error->kind());
      return {status, "http " + std::to_string(status)};
    }
    return {200, {}};
  }

 private:
  Service& service_;
  std::shared_ptr<const std::vector<PredictRequest>> requests_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

HttpTarget parse_url(const std::string& url) {
  HttpTarget target;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    target.tls = true;
  } else {
    fail(ErrorKind::Usage, "invalid --url \"" + url + "\": expected http://HOST:PORT or https://HOST:PORT");
  }
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    target.path_prefix = rest.substr(slash);
    while (!target.path_prefix.empty() && target.path_prefix.back() == '/') target.path_prefix.pop_back();
    rest = rest.substr(0, slash);
  }
  std::string host = rest;
  int port = target.tls ? 443 : 80;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) fail(ErrorKind::Usage, "invalid --url \"" + url + "\": unclosed '['");
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') fail(ErrorKind::Usage, "invalid --url \"" + url + "\"");
    rest = rest.empty() ? "" : rest.substr(1);
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
  } else {
    rest.clear();
  }
  if (!rest.empty()) {
    try {
      std::size_t used = 0;
      port = std::stoi(rest, &used);
      if (used != rest.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      fail(ErrorKind::Usage, "invalid --url \"" + url + "\": the port must be a number");
    }
  }
  if (host.empty() || port <= 0 || port > 65535) fail(ErrorKind::Usage, "invalid --url \"" + url + "\"");
  target.host = host;
  target.port = port;
  return target;
}

TransportFactory http_transport(HttpTarget target, std::shared_ptr<const RequestBodies> bodies) {
  auto requests = std::make_shared<std::vector<std::string>>();
  for (const auto& body : bodies->bodies) requests->push_back(serialize_post(target, body));
  auto tls = client_tls_context(target);
  return [target, requests, tls] { return std::make_unique<HttpTransport>(target, requests, tls); };
}

TransportFactory direct_transport(Service& service, std::shared_ptr<const RequestBodies> bodies,
                                  std::chrono::milliseconds timeout) {
  auto requests = std::make_shared<std::vector<PredictRequest>>();
  for (const auto& item : bodies->items) requests->push_back(parse_predict_item(item, "bench"));
  return [&service, requests, timeout] { return std::make_unique<DirectTransport>(service, requests, timeout); };
}

std::string http_get(const HttpTarget& target, const std::string& path) {
  asio::io_context io;
  Connection connection(io, target, client_tls_context(target));
  const std::string where = target.host + ":" + std::to_string(target.port);
  if (std::string error = connection.open(); !error.empty()) {
    fail(ErrorKind::Io, "GET " + path + " from " + where + ": " + error);
  }
  http::request<http::empty_body> req{http::verb::get, target.path_prefix + path, 11};
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "uninlu-bench");
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  connection.with_stream([&](auto& stream) {
    http::write(stream, req, ec);
    if (!ec) http::read(stream, buffer, response, ec);
  });
  connection.close();
  if (ec) fail(ErrorKind::Io, "GET " + path + " from " + where + ": " + ec.message());
  if (response.result_int() != 200) {
    fail(ErrorKind::Io, "GET " + path + " answered " + std::to_string(response.result_int()));
  }
  return response.body();
}

}  // namespace uninlu::bench
