#pragma once
// One HTTP/1.1 connection: reads requests one after another (keep-alive, no pipelining), runs each
// through the router, and writes the response. Everything runs on the connection's strand; responses
// that Service workers produce are posted back onto it. While a handler waits for the Service, a 1-byte
// read watches the socket, so that a client that leaves cancels its work.
// The same code serves plain TCP and TLS: BasicSession<Stream> is instantiated for both (session.cc);
// only the start (the TLS handshake), the graceful close (close_notify) and how a half-close shows differ.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "http/http_message.h"
#include "http/server_context.h"

namespace uninlu {

// What the server and its registry see of a connection, whatever its stream.
class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  virtual void start() = 0;          // any thread
  virtual void close_if_idle() = 0;  // any thread; on shutdown: closes the connection if it waits between requests

 protected:
  explicit Session(ServerContext& context) : context_(context) {}
  ServerContext& context_;
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// `socket` must use a strand executor (the acceptor makes one per connection). With `tls` the connection
// speaks TLS with that context, which the session keeps alive (a reload does not touch it).
std::shared_ptr<Session> make_session(boost::asio::ip::tcp::socket socket, ServerContext& context,
                                      std::shared_ptr<boost::asio::ssl::context> tls);

template <class Stream>
class BasicSession final : public Session {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  BasicSession(boost::asio::ip::tcp::socket socket, ServerContext& context,
               std::shared_ptr<boost::asio::ssl::context> tls);

  void start() override;
  void close_if_idle() override;

 private:
  enum class State { Idle, Reading, Handling, Writing, Closing };
  using Clock = std::chrono::steady_clock;

  std::shared_ptr<BasicSession> self() { return std::static_pointer_cast<BasicSession>(shared_from_this()); }
  boost::beast::tcp_stream& lowest() { return boost::beast::get_lowest_layer(stream_); }

  void handshake();
  void on_handshake(boost::beast::error_code ec);
  void wait_for_request();
  void on_idle_read(boost::beast::error_code ec, std::size_t bytes);
  void read_header();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void take_header();
  void reject_oversize_body();
  void on_continue_written(boost::beast::error_code ec, std::size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  void dispatch();
  std::optional<HttpResponse> screen();  // a CORS preflight's answer, or a 401/403; nullopt: route it

  void deliver(std::uint64_t seq, HttpResponse response);      // any thread
  void on_response(std::uint64_t seq, HttpResponse response);  // strand
  void watch_client();
  void on_watch(boost::beast::error_code ec, std::size_t bytes);
  void watch_for_error();  // after the client half-closed: only an error on the socket means it left
  void on_socket_error(boost::beast::error_code ec);
  bool socket_reports_error();
  void client_left();
  void arm_deadline(Clock::time_point when);
  void on_deadline(boost::beast::error_code ec);

  void reject(HttpResponse response);  // answers a request that could not be read whole, then closes
  void prepare_response(HttpResponse response);
  void write_response();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void record(int status, std::size_t body_bytes);

  void close_gracefully();  // after a complete exchange
  void linger_close();      // after answering early: read what the client still sends, so it sees the answer
  void on_linger(boost::beast::error_code ec, std::size_t bytes);
  void close_now();

  std::shared_ptr<boost::asio::ssl::context> tls_;  // null for plain TCP; outlives stream_
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer deadline_timer_;
  std::string client_;
  bool from_loopback_ = false;
  std::string key_fingerprint_ = "-";  // of the key presented, for the access log; never the key
  State state_ = State::Idle;
  bool first_request_ = true;

  // The request being served.
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> continue_;
  HttpRequest request_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  std::string_view route_label_ = "other";
  Clock::time_point started_{};
  std::uint64_t seq_ = 0;                              // responses for an earlier request are ignored
  std::atomic<std::thread::id> dispatching_thread_{};  // set while the router runs the handler
  bool responded_ = false;
  bool watching_ = false;
  bool client_gone_ = false;
  bool peer_done_sending_ = false;  // the client half-closed after its request
  bool deadline_passed_ = false;
  bool close_after_ = false;
  bool linger_ = false;
  std::vector<RequestId> tracked_;

  std::optional<boost::beast::http::response<boost::beast::http::string_body>> response_;
  int response_status_ = 0;
  std::size_t response_body_bytes_ = 0;
  std::size_t linger_budget_ = 0;
};

}  // namespace uninlu
