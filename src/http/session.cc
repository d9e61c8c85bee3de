#include "http/session.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "http/json_response.h"
#include "serving/metrics.h"

#ifndef UNINLU_VERSION_STRING
#define UNINLU_VERSION_STRING "dev"
#endif

namespace uninlu {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 8192;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
// How long a TLS close waits for the client's close_notify (or its FIN) after sending its own.
constexpr auto kTlsShutdownTime = std::chrono::seconds(2);
// When the Service has not answered this long after being told the deadline passed, answer 504 anyway.
constexpr auto kDeadlineGrace = std::chrono::seconds(5);

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// The connection ended or stalled: nothing to answer. Over TLS, any TLS-level failure too: what follows
// on that connection cannot be trusted to be read or written.
bool is_connection_end(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::error::bad_descriptor ||
         ec == ssl::error::stream_truncated || ec.category() == asio::error::get_ssl_category();
}

template <class Stream>
Stream make_stream(tcp::socket socket, ssl::context* tls) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return Stream(beast::tcp_stream(std::move(socket)), *tls);
  } else {
    return Stream(std::move(socket));
  }
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

Session::~Session() { context_.registry.remove(this); }

std::shared_ptr<Session> make_session(tcp::socket socket, ServerContext& context, std::shared_ptr<ssl::context> tls) {
  if (tls) return std::make_shared<BasicSession<TlsStream>>(std::move(socket), context, std::move(tls));
  return std::make_shared<BasicSession<PlainStream>>(std::move(socket), context, nullptr);
}

template <class Stream>
BasicSession<Stream>::BasicSession(tcp::socket socket, ServerContext& context, std::shared_ptr<ssl::context> tls)
    : Session(context), tls_(std::move(tls)), stream_(make_stream<Stream>(std::move(socket), tls_.get())),
      deadline_timer_(stream_.get_executor()) {
  beast::error_code ec;
  const auto peer = lowest().socket().remote_endpoint(ec);
  client_ = ec ? "-" : endpoint_text(peer);
  if (!ec) {
    const auto address = peer.address();
    from_loopback_ = address.is_loopback() || (address.is_v6() && address.to_v6().is_v4_mapped() &&
                                               address.to_v6().to_v4().is_loopback());
  }
  lowest().socket().set_option(tcp::no_delay(true), ec);  // small responses must not wait for Nagle
}

template <class Stream>
void BasicSession<Stream>::start() {
  asio::dispatch(stream_.get_executor(), [self = self()] {
    if constexpr (kTls) {
      self->handshake();
    } else {
      self->wait_for_request();
    }
  });
}

template <class Stream>
void BasicSession<Stream>::close_if_idle() {
  asio::post(stream_.get_executor(), [self = self()] {
    if (self->state_ == State::Idle) self->lowest().cancel();
  });
}

// ---- TLS handshake ------------------------------------------------------------------------------------

template <class Stream>
void BasicSession<Stream>::handshake() {
  if constexpr (kTls) {
    state_ = State::Idle;  // a shutdown cancels it like a wait between requests
    // A client that never finishes the handshake is dropped as one that never sends its headers.
    lowest().expires_after(context_.options.header_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&BasicSession::on_handshake, self()));
  }
}

template <class Stream>
void BasicSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // Plain HTTP on the TLS port ("http request"), TLS 1.0/1.1 ("unsupported protocol"), a stalled
    // client (timeout) or a scanner: the client's problem, so debug only.
    spdlog::debug("TLS handshake with {} failed: {}", client_, ec.message());
    close_now();
    return;
  }
  wait_for_request();
}

// ---- reading ------------------------------------------------------------------------------------------

template <class Stream>
void BasicSession<Stream>::wait_for_request() {
  state_ = State::Idle;
  if (buffer_.size() > 0) {
    read_header();
    return;
  }
  if (context_.draining) {
    close_now();
    return;
  }
  const auto& options = context_.options;
  lowest().expires_after(first_request_ ? options.header_timeout : options.keepalive_timeout);
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&BasicSession::on_idle_read, self()));
}

template <class Stream>
void BasicSession<Stream>::on_idle_read(beast::error_code ec, std::size_t bytes) {
  if (ec) {  // idle timeout, the client closed, or shutdown
    close_now();
    return;
  }
  buffer_.commit(bytes);
  read_header();
}

template <class Stream>
void BasicSession<Stream>::read_header() {
  state_ = State::Reading;
  first_request_ = false;
  started_ = Clock::now();
  request_ = HttpRequest{};
  route_label_ = "other";
  key_fingerprint_ = "-";
  close_after_ = false;
  linger_ = false;
  head_ = false;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(context_.options.max_body_bytes);
  lowest().expires_after(context_.options.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&BasicSession::on_header, self()));
}

template <class Stream>
void BasicSession<Stream>::on_header(beast::error_code ec, std::size_t) {
  if (ec && is_connection_end(ec)) {
    close_now();
    return;
  }
  if (parser_->is_header_done()) {
    take_header();
  } else {
    request_.request_id = context_.ids.next();
  }
  if (ec == http::error::body_limit) {  // a Content-Length over the limit is refused before the body
    reject_oversize_body();
  } else if (ec == http::error::header_limit) {
    reject(http_error_response(431, "limit_exceeded",
                               "request headers are larger than " + std::to_string(kHeaderLimit / 1024) + " KiB",
                               request_.request_id));
  } else if (ec) {
    reject(error_response(ErrorKind::InvalidInput, "malformed HTTP request: " + ec.message(), request_.request_id));
  } else if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
    continue_.emplace(http::status::continue_, version_);
    lowest().expires_after(context_.options.write_timeout);
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&BasicSession::on_continue_written, self()));
  } else {
    read_body();
  }
}

template <class Stream>
void BasicSession<Stream>::take_header() {
  const auto& header = parser_->get();
  request_.method = std::string(header.method_string());
  request_.target = std::string(header.target());
  request_.path = std::string(path_of(request_.target));
  request_.content_type = std::string(header[http::field::content_type]);
  const auto incoming_id = header["X-Request-Id"];
  request_.request_id = context_.ids.accept_or_next(std::string_view(incoming_id.data(), incoming_id.size()));
  request_.client = client_;
  request_.from_loopback = from_loopback_;
  request_.authorization = std::string(header[http::field::authorization]);
  request_.origin = std::string(header[http::field::origin]);
  version_ = header.version();
  keep_alive_ = header.keep_alive();
  head_ = header.method() == http::verb::head;
  route_label_ = context_.router.match(request_.method, request_.path).label;
}

template <class Stream>
void BasicSession<Stream>::reject_oversize_body() {
  // Beast refuses a Content-Length over the limit while it reads the fields, before the header is done;
  // content_length() asserts a finished header (the fuzzer found the abort in a Debug build).
  const auto length = parser_->is_header_done() ? parser_->content_length() : boost::none;
  const std::string limit = std::to_string(context_.options.max_body_bytes);
  const std::string what =
      length ? "request body is " + std::to_string(*length) + " bytes; at most " + limit + " are allowed"
             : "request body is larger than " + limit + " bytes, the most allowed";
  reject(error_response(ErrorKind::LimitExceeded, what + " (max_body_bytes): send smaller requests or raise the limit",
                        request_.request_id));
}

template <class Stream>
void BasicSession<Stream>::on_continue_written(beast::error_code ec, std::size_t) {
  continue_.reset();
  if (ec) {
    close_now();
    return;
  }
  read_body();
}

template <class Stream>
void BasicSession<Stream>::read_body() {
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  lowest().expires_after(context_.options.body_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&BasicSession::on_body, self()));
}

template <class Stream>
void BasicSession<Stream>::on_body(beast::error_code ec, std::size_t) {
  if (ec == http::error::body_limit) {  // chunked: the size shows while reading
    reject_oversize_body();
  } else if (ec && is_connection_end(ec)) {
    close_now();
  } else if (ec) {
    reject(
        error_response(ErrorKind::InvalidInput, "malformed HTTP request body: " + ec.message(), request_.request_id));
  } else {
    dispatch();
  }
}

// ---- handling -----------------------------------------------------------------------------------------

template <class Stream>
void BasicSession<Stream>::dispatch() {
  state_ = State::Handling;
  request_.body = std::move(parser_->release().body());
  parser_.reset();
  ++seq_;
  responded_ = false;
  client_gone_ = false;
  peer_done_sending_ = false;
  deadline_passed_ = false;
  tracked_.clear();

  const auto deadline = Clock::now() + context_.options.request_timeout;
  Exchange exchange{
      request_, deadline,
      [self = self(), seq = seq_](HttpResponse response) { self->deliver(seq, std::move(response)); },
      [this](RequestId id) { tracked_.push_back(id); }};
  dispatching_thread_ = std::this_thread::get_id();
  try {
    if (auto early = screen()) {
      on_response(seq_, std::move(*early));
    } else {
      route_label_ = context_.router.dispatch(exchange);
    }
  } catch (const std::exception& e) {
    on_response(seq_, error_response(ErrorKind::Internal, std::string("internal error (a bug): ") + e.what(),
                                     request_.request_id));
  }
  dispatching_thread_ = std::thread::id{};

  if (responded_) {  // answered synchronously
    write_response();
    return;
  }
  arm_deadline(deadline);
  watch_client();
}

template <class Stream>
std::optional<HttpResponse> BasicSession<Stream>::screen() {
  // A preflight carries no credentials (browsers never send them on it): answered before the key check.
  if (auto preflight = context_.cors.preflight(request_)) return preflight;
  return context_.access.check(request_, key_fingerprint_);
}

template <class Stream>
void BasicSession<Stream>::deliver(std::uint64_t seq, HttpResponse response) {
  // Inside the handler on this strand: take it directly, dispatch() writes it when the handler returns.
  if (dispatching_thread_.load() == std::this_thread::get_id()) {
    on_response(seq, std::move(response));
    return;
  }
  asio::post(stream_.get_executor(), [self = self(), seq, response = std::move(response)]() mutable {
    self->on_response(seq, std::move(response));
  });
}

template <class Stream>
void BasicSession<Stream>::on_response(std::uint64_t seq, HttpResponse response) {
  if (seq != seq_ || responded_) return;
  responded_ = true;
  tracked_.clear();
  deadline_timer_.cancel();
  if (client_gone_) {
    record(499, 0);  // nginx's "client closed request": the work was cancelled, nobody to answer
    return;
  }
  prepare_response(std::move(response));
  if (dispatching_thread_.load() == std::this_thread::get_id()) return;
  if (watching_) {
    beast::error_code ignored;
    lowest().socket().cancel(ignored);  // on_watch writes the response
    return;
  }
  write_response();
}

template <class Stream>
void BasicSession<Stream>::watch_client() {
  watching_ = true;
  lowest().expires_never();  // the request deadline, not a socket timeout, bounds the wait
  stream_.async_read_some(buffer_.prepare(1), beast::bind_front_handler(&BasicSession::on_watch, self()));
}

template <class Stream>
void BasicSession<Stream>::on_watch(beast::error_code ec, std::size_t bytes) {
  watching_ = false;
  if (!ec) {
    // The client sent more (the start of its next request): keep it; stop watching.
    buffer_.commit(bytes);
    if (responded_ && response_) write_response();
    return;
  }
  if (ec == asio::error::operation_aborted) {
    if (responded_ && response_) write_response();
    return;
  }
  // Over TLS a half-close is a close_notify (eof) or a bare FIN (stream_truncated).
  const bool peer_finished = ec == asio::error::eof || (kTls && ec == ssl::error::stream_truncated);
  if (peer_finished && !peer_done_sending_) {
    // A half-close (shutdown(SHUT_WR), `nc -N`): the client sent its whole request and still reads.
    // Answer it, then close; only a socket error or a failed write says that it left.
    peer_done_sending_ = true;
    keep_alive_ = false;
    if (responded_ && response_) {
      response_->keep_alive(false);
      write_response();
      return;
    }
    watch_for_error();
    return;
  }
  client_left();
}

template <class Stream>
void BasicSession<Stream>::watch_for_error() {
  watching_ = true;
  lowest().socket().async_wait(tcp::socket::wait_error,
                              beast::bind_front_handler(&BasicSession::on_socket_error, self()));
}

template <class Stream>
void BasicSession<Stream>::on_socket_error(beast::error_code ec) {
  watching_ = false;
  const bool answer_waiting = responded_ && response_.has_value();
  if (ec == asio::error::operation_aborted || (!ec && answer_waiting)) {
    if (answer_waiting) write_response();  // the write shows whether the client is still there
    return;
  }
  if (!ec && !socket_reports_error()) {  // woken without an error (out-of-band data): keep watching
    watch_for_error();
    return;
  }
  client_left();
}

template <class Stream>
bool BasicSession<Stream>::socket_reports_error() {
  pollfd probe{};
  probe.fd = lowest().socket().native_handle();
  probe.events = 0;  // POLLERR and POLLHUP are always reported
  if (::poll(&probe, 1, 0) < 0) return false;
  return (probe.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
}

template <class Stream>
void BasicSession<Stream>::client_left() {
  client_gone_ = true;
  const auto ids = std::move(tracked_);
  tracked_.clear();
  for (const RequestId id : ids) context_.service.cancel(id, ErrorKind::Unavailable);
  if (responded_ && response_) {  // the answer came just as the client left
    record(499, 0);
    response_.reset();
  }
  close_now();
}

template <class Stream>
void BasicSession<Stream>::arm_deadline(Clock::time_point when) {
  deadline_timer_.expires_at(when);
  deadline_timer_.async_wait(beast::bind_front_handler(&BasicSession::on_deadline, self()));
}

template <class Stream>
void BasicSession<Stream>::on_deadline(beast::error_code ec) {
  if (ec || responded_ || client_gone_) return;
  if (!deadline_passed_ && !tracked_.empty()) {
    // The Service answers a cancelled request with a Timeout error (504).
    deadline_passed_ = true;
    for (const RequestId id : tracked_) context_.service.cancel(id, ErrorKind::Timeout);
    arm_deadline(Clock::now() + kDeadlineGrace);
    return;
  }
  spdlog::warn("request {}: no answer {} ms after its deadline; answering 504", request_.request_id,
               std::chrono::duration_cast<std::chrono::milliseconds>(kDeadlineGrace).count());
  on_response(seq_, error_response(ErrorKind::Timeout,
                                   "the request did not finish within request_timeout_ms (" +
                                       std::to_string(context_.options.request_timeout.count()) + " ms)",
                                   request_.request_id));
}

// ---- writing ------------------------------------------------------------------------------------------

template <class Stream>
void BasicSession<Stream>::reject(HttpResponse response) {
  ++seq_;  // a late answer for this request, if any, is ignored
  responded_ = true;
  close_after_ = true;
  linger_ = true;  // the rest of the request may still be on its way
  prepare_response(std::move(response));
  write_response();
}

template <class Stream>
void BasicSession<Stream>::prepare_response(HttpResponse response) {
  context_.cors.decorate(request_, response);
  response_.emplace();
  auto& message = *response_;
  message.version(version_);
  message.result(static_cast<unsigned>(response.status));
  message.set(http::field::server, "uninlu/" UNINLU_VERSION_STRING);
  message.set(http::field::content_type, response.content_type);
  message.set("X-Request-Id", request_.request_id);
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.keep_alive(keep_alive_ && !close_after_ && !context_.draining);
  response_status_ = response.status;
  response_body_bytes_ = response.body.size();
  if (head_) {
    message.content_length(response.body.size());  // what GET would send, without the body
  } else {
    message.body() = std::move(response.body);
    message.prepare_payload();
  }
}

template <class Stream>
void BasicSession<Stream>::write_response() {
  state_ = State::Writing;
  lowest().expires_after(context_.options.write_timeout);
  http::async_write(stream_, *response_, beast::bind_front_handler(&BasicSession::on_write, self()));
}

template <class Stream>
void BasicSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  record(response_status_, ec ? 0 : response_body_bytes_);
  const bool keep_alive = !ec && response_->keep_alive();
  response_.reset();
  if (ec) {
    close_now();
  } else if (linger_) {
    linger_close();
  } else if (!keep_alive) {
    close_gracefully();
  } else {
    wait_for_request();
  }
}

template <class Stream>
void BasicSession<Stream>::record(int status, std::size_t body_bytes) {
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  const std::string_view method = request_.method.empty() ? std::string_view("-") : std::string_view(request_.method);
  try {
    context_.service.metrics().observe_http(route_label_, method_label(method), status, seconds);
    context_.access_log.record({request_.request_id, client_, method,
                                request_.target.empty() ? std::string_view("-") : std::string_view(request_.target),
                                status, seconds * 1000.0, body_bytes, key_fingerprint_});
  } catch (const std::exception& e) {
    spdlog::error("cannot record request {}: {}", request_.request_id, e.what());
  }
}

// ---- closing ------------------------------------------------------------------------------------------

template <class Stream>
void BasicSession<Stream>::close_gracefully() {
  state_ = State::Closing;
  if constexpr (kTls) {
    // close_notify, then the client's close_notify or FIN; bounded, since many clients send neither.
    deadline_timer_.cancel();
    lowest().expires_after(kTlsShutdownTime);
    stream_.async_shutdown([self = self()](beast::error_code) { self->close_now(); });
    return;
  }
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  lowest().close();
}

template <class Stream>
void BasicSession<Stream>::linger_close() {
  state_ = State::Closing;
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  linger_budget_ = std::max<std::size_t>(16u << 20, 4 * context_.options.max_body_bytes);
  lowest().expires_after(kLingerTime);
  buffer_.consume(buffer_.size());
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&BasicSession::on_linger, self()));
}

template <class Stream>
void BasicSession<Stream>::on_linger(beast::error_code ec, std::size_t bytes) {
  if (ec || bytes >= linger_budget_) {
    close_now();
    return;
  }
  linger_budget_ -= bytes;
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&BasicSession::on_linger, self()));
}

template <class Stream>
void BasicSession<Stream>::close_now() {
  state_ = State::Closing;
  deadline_timer_.cancel();
  lowest().close();
}

template class BasicSession<PlainStream>;
template class BasicSession<TlsStream>;

}  // namespace uninlu
