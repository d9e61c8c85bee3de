#include "bench/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <future>
#include <sstream>

#include "core/error.h"
#include "http/predict_request.h"
#include "serving/service.h"

namespace uninlu::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
  HttpTransport(HttpTarget target, std::shared_ptr<const std::vector<std::string>> requests)
      : target_(std::move(target)), requests_(std::move(requests)), resolver_(io_), socket_(io_) {}

  Outcome send(std::size_t index) override {
    beast::error_code ec;
    if (!socket_.is_open()) {
      const auto endpoints = resolver_.resolve(target_.host, std::to_string(target_.port), ec);
      if (!ec) asio::connect(socket_, endpoints, ec);
      if (ec) {
        socket_.close(ec);
        return {0, "connect: " + ec.message()};
      }
      socket_.set_option(tcp::no_delay(true), ec);
    }
    const std::string& request = (*requests_)[index % requests_->size()];
    asio::write(socket_, asio::buffer(request), ec);
    if (ec) return drop("io: " + ec.message());
    http::response<http::string_body> response;
    buffer_.clear();
    http::read(socket_, buffer_, response, ec);
    if (ec) return drop("io: " + ec.message());
    const int status = static_cast<int>(response.result_int());
    if (!response.keep_alive()) socket_.close(ec);
    if (status != 200) return {status, "http " + std::to_string(status)};
    // A prediction's answer holds result.output; anything else 200 is not one.
    if (response.body().find("\"output\"") == std::string::npos) return {status, "bad body"};
    return {status, {}};
  }

 private:
  Outcome drop(std::string error) {
    beast::error_code ignored;
    socket_.close(ignored);
    return {0, std::move(error)};
  }

  HttpTarget target_;
  std::shared_ptr<const std::vector<std::string>> requests_;
  asio::io_context io_;
  tcp::resolver resolver_;
  tcp::socket socket_;
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
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    fail(ErrorKind::Usage, "invalid --url \"" + url + "\": expected http://HOST:PORT (https is not supported)");
  }
  std::string rest = url.substr(scheme.size());
  HttpTarget target;
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    target.path_prefix = rest.substr(slash);
    while (!target.path_prefix.empty() && target.path_prefix.back() == '/') target.path_prefix.pop_back();
    rest = rest.substr(0, slash);
  }
  std::string host = rest;
  int port = 80;
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
  return [target, requests] { return std::make_unique<HttpTransport>(target, requests); };
}

TransportFactory direct_transport(Service& service, std::shared_ptr<const RequestBodies> bodies,
                                  std::chrono::milliseconds timeout) {
  auto requests = std::make_shared<std::vector<PredictRequest>>();
  for (const auto& item : bodies->items) requests->push_back(parse_predict_item(item, "bench"));
  return [&service, requests, timeout] { return std::make_unique<DirectTransport>(service, requests, timeout); };
}

std::string http_get(const HttpTarget& target, const std::string& path) {
  asio::io_context io;
  tcp::resolver resolver(io);
  tcp::socket socket(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (!ec) asio::connect(socket, endpoints, ec);
  http::request<http::empty_body> req{http::verb::get, target.path_prefix + path, 11};
  req.set(http::field::host, target.host + ":" + std::to_string(target.port));
  req.set(http::field::user_agent, "uninlu-bench");
  if (!ec) http::write(socket, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!ec) http::read(socket, buffer, response, ec);
  if (ec) fail(ErrorKind::Io, "GET " + path + " from " + target.host + ":" + std::to_string(target.port) + ": " + ec.message());
  if (response.result_int() != 200) {
    fail(ErrorKind::Io, "GET " + path + " answered " + std::to_string(response.result_int()));
  }
  return response.body();
}

}  // namespace uninlu::bench
