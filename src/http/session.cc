#include "http/session.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
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
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 8192;
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
// When the Service has not answered this long after being told the deadline passed, answer 504 anyway.
constexpr auto kDeadlineGrace = std::chrono::seconds(5);

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// The connection ended or stalled: nothing to answer.
bool is_connection_end(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::error::bad_descriptor;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

Session::Session(tcp::socket socket, ServerContext& context)
    : context_(context), stream_(std::move(socket)), deadline_timer_(stream_.get_executor()) {
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  client_ = ec ? "-" : endpoint_text(peer);
  if (!ec) {
    const auto address = peer.address();
    from_loopback_ = address.is_loopback() || (address.is_v6() && address.to_v6().is_v4_mapped() &&
                                               address.to_v6().to_v4().is_loopback());
  }
  stream_.socket().set_option(tcp::no_delay(true), ec);  // small responses must not wait for Nagle
}

Session::~Session() { context_.registry.remove(this); }

void Session::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->state_ == State::Idle) self->stream_.cancel();
  });
}

// ---- reading ------------------------------------------------------------------------------------------

void Session::wait_for_request() {
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
  stream_.expires_after(first_request_ ? options.header_timeout : options.keepalive_timeout);
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::on_idle_read, shared_from_this()));
}

void Session::on_idle_read(beast::error_code ec, std::size_t bytes) {
  if (ec) {  // idle timeout, the client closed, or shutdown
    close_now();
    return;
  }
  buffer_.commit(bytes);
  read_header();
}

void Session::read_header() {
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
  stream_.expires_after(context_.options.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::on_header(beast::error_code ec, std::size_t) {
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
    stream_.expires_after(context_.options.write_timeout);
    http::async_write(stream_, *continue_,
                      beast::bind_front_handler(&Session::on_continue_written, shared_from_this()));
  } else {
    read_body();
  }
}

void Session::take_header() {
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

void Session::reject_oversize_body() {
  const auto length = parser_->content_length();
  const std::string limit = std::to_string(context_.options.max_body_bytes);
  const std::string what =
      length ? "request body is " + std::to_string(*length) + " bytes; at most " + limit + " are allowed"
             : "request body is larger than " + limit + " bytes, the most allowed";
  reject(error_response(ErrorKind::LimitExceeded, what + " (max_body_bytes): send smaller requests or raise the limit",
                        request_.request_id));
}

void Session::on_continue_written(beast::error_code ec, std::size_t) {
  continue_.reset();
  if (ec) {
    close_now();
    return;
  }
  read_body();
}

void Session::read_body() {
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  stream_.expires_after(context_.options.body_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, std::size_t) {
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

void Session::dispatch() {
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
      [self = shared_from_this(), seq = seq_](HttpResponse response) { self->deliver(seq, std::move(response)); },
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

std::optional<HttpResponse> Session::screen() {
  // A preflight carries no credentials (browsers never send them on it): answered before the key check.
  if (auto preflight = context_.cors.preflight(request_)) return preflight;
  return context_.access.check(request_, key_fingerprint_);
}

void Session::deliver(std::uint64_t seq, HttpResponse response) {
  // Inside the handler on this strand: take it directly, dispatch() writes it when the handler returns.
  if (dispatching_thread_.load() == std::this_thread::get_id()) {
    on_response(seq, std::move(response));
    return;
  }
  asio::post(stream_.get_executor(), [self = shared_from_this(), seq, response = std::move(response)]() mutable {
    self->on_response(seq, std::move(response));
  });
}

void Session::on_response(std::uint64_t seq, HttpResponse response) {
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
    stream_.socket().cancel(ignored);  // on_watch writes the response
    return;
  }
  write_response();
}

void Session::watch_client() {
  watching_ = true;
  stream_.expires_never();  // the request deadline, not a socket timeout, bounds the wait
  stream_.async_read_some(buffer_.prepare(1), beast::bind_front_handler(&Session::on_watch, shared_from_this()));
}

void Session::on_watch(beast::error_code ec, std::size_t bytes) {
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
  if (ec == asio::error::eof && !peer_done_sending_) {
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

void Session::watch_for_error() {
  watching_ = true;
  stream_.socket().async_wait(tcp::socket::wait_error,
                              beast::bind_front_handler(&Session::on_socket_error, shared_from_this()));
}

void Session::on_socket_error(beast::error_code ec) {
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

bool Session::socket_reports_error() {
  pollfd probe{};
  probe.fd = stream_.socket().native_handle();
  probe.events = 0;  // POLLERR and POLLHUP are always reported
  if (::poll(&probe, 1, 0) < 0) return false;
  return (probe.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
}

void Session::client_left() {
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

void Session::arm_deadline(Clock::time_point when) {
  deadline_timer_.expires_at(when);
  deadline_timer_.async_wait(beast::bind_front_handler(&Session::on_deadline, shared_from_this()));
}

void Session::on_deadline(beast::error_code ec) {
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

void Session::reject(HttpResponse response) {
  ++seq_;  // a late answer for this request, if any, is ignored
  responded_ = true;
  close_after_ = true;
  linger_ = true;  // the rest of the request may still be on its way
  prepare_response(std::move(response));
  write_response();
}

void Session::prepare_response(HttpResponse response) {
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

void Session::write_response() {
  state_ = State::Writing;
  stream_.expires_after(context_.options.write_timeout);
  http::async_write(stream_, *response_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
}

void Session::on_write(beast::error_code ec, std::size_t) {
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

void Session::record(int status, std::size_t body_bytes) {
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

void Session::close_gracefully() {
  state_ = State::Closing;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.close();
}

void Session::linger_close() {
  state_ = State::Closing;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  linger_budget_ = std::max<std::size_t>(16u << 20, 4 * context_.options.max_body_bytes);
  stream_.expires_after(kLingerTime);
  buffer_.consume(buffer_.size());
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::on_linger(beast::error_code ec, std::size_t bytes) {
  if (ec || bytes >= linger_budget_) {
    close_now();
    return;
  }
  linger_budget_ -= bytes;
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          beast::bind_front_handler(&Session::on_linger, shared_from_this()));
}

void Session::close_now() {
  state_ = State::Closing;
  deadline_timer_.cancel();
  stream_.close();
}

}  // namespace uninlu
