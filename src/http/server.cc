#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"
#include "http/routes.h"
#include "http/server_context.h"
#include "http/session.h"
#include "http/tls_context.h"

namespace uninlu {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::string listen_advice(const boost::system::error_code& ec) {
  if (ec == asio::error::address_in_use) {
    return "address already in use (is another uninlu or the old Flask app running? choose another --port)";
  }
  if (ec == asio::error::access_denied) {
    return "permission denied (ports below 1024 need privileges: choose another --port)";
  }
  if (ec == boost::system::errc::address_not_available) {
    return "cannot assign requested address (--host must be an address of this machine, or 0.0.0.0)";
  }
  return ec.message();
}

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal"; }

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpOptions o)
      : options(std::move(o)),
        access(options),
        cors(options.cors_allow_origins),
        tls(options.tls_enabled() ? std::make_unique<TlsContext>(options.tls_cert, options.tls_key) : nullptr),
        io(options.resolved_io_threads()),
        acceptor(io),
        accept_retry(io) {}

  void bind();
  void accept();
  void wait_for_signal();
  void on_signal(int signal);
  std::size_t drain(Service& service, Clock::time_point deadline);

  HttpOptions options;
  // Declared before io: sessions that io still holds when it is destroyed unregister from these.
  SessionRegistry registry;
  RequestIdGenerator ids;
  Router router;
  AccessControl access;
  CorsPolicy cors;
  std::unique_ptr<TlsContext> tls;  // null: plain HTTP
  std::function<void()> reload_hook;  // on_reload()
  std::unique_ptr<ServerContext> context;

  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::optional<asio::signal_set> signals;

  std::mutex stop_mutex;
  std::condition_variable stop_changed;
  bool stop_requested = false;
  bool forced = false;
};

void HttpServer::Impl::bind() {
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(options.port));
  } else {
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      fail(ErrorKind::Usage, "invalid host '" + options.host + "': " + (ec ? ec.message() : "no address") +
                                 " (use an address such as 0.0.0.0, 127.0.0.1 or ::)");
    }
    endpoint = results.begin()->endpoint();
  }
  const std::string where = endpoint_text(endpoint);
  const auto check = [&] {
    if (ec) fail(ErrorKind::Io, "cannot listen on " + where + ": " + listen_advice(ec));
  };
  acceptor.open(endpoint.protocol(), ec);
  check();
  // Lets a restarted server bind while old connections sit in TIME_WAIT; on Linux it does not let two
  // servers share a port.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  check();
  acceptor.bind(endpoint, ec);
  check();
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check();
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors and the like: wait a little instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    // Each connection keeps the TLS context it starts with: a reload changes only later connections.
    auto session = make_session(std::move(socket), *context, tls ? tls->current() : nullptr);
    registry.add(session);
    session->start();
    accept();
  });
}

void HttpServer::Impl::wait_for_signal() {
  signals->async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    on_signal(signal);
    wait_for_signal();
  });
}

void HttpServer::Impl::on_signal(int signal) {
  if (signal == SIGHUP) {  // keys and certificate change; connections and requests in flight are untouched
    access.reload();
    if (tls) tls->reload();
    if (reload_hook) reload_hook();
    return;
  }
  const std::lock_guard lock(stop_mutex);
  if (!stop_requested) {
    spdlog::info("received {}: finishing requests in flight, then exiting (send it again to exit at once)",
                 signal_name(signal));
    stop_requested = true;
  } else {
    spdlog::warn("received {} again: exiting without waiting", signal_name(signal));
    forced = true;
  }
  stop_changed.notify_all();
}

// Service::drain in slices, so that a second signal can cut it short.
std::size_t HttpServer::Impl::drain(Service& service, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const auto slice = std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(200));
    const std::size_t unfinished = service.drain(slice);
    if (unfinished == 0 || Clock::now() >= deadline) return unfinished;
    const std::lock_guard lock(stop_mutex);
    if (forced) return unfinished;
  }
}

HttpServer::HttpServer(HttpOptions options) : impl_(std::make_unique<Impl>(std::move(options))) { impl_->bind(); }

HttpServer::~HttpServer() = default;

std::string HttpServer::local_address() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->options.host + ":" + std::to_string(impl_->options.port) : endpoint_text(endpoint);
}

bool HttpServer::tls() const noexcept { return impl_->tls != nullptr; }

void HttpServer::on_reload(std::function<void()> reload) { impl_->reload_hook = std::move(reload); }

int HttpServer::local_port() const {
  boost::system::error_code ec;
  const auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->options.port : endpoint.port();
}

void HttpServer::stop_on_signals() {
  if (impl_->signals) return;
  // SIGHUP re-reads api_keys_file and the TLS certificate and key; caught from here on, so that it
  // never ends the process.
  impl_->signals.emplace(impl_->io, SIGINT, SIGTERM, SIGHUP);
  impl_->wait_for_signal();
}

void HttpServer::request_stop() {
  const std::lock_guard lock(impl_->stop_mutex);
  impl_->stop_requested = true;
  impl_->stop_changed.notify_all();
}

HttpServer::ShutdownReport HttpServer::serve(Service& service, AccessLog& access_log) {
  Impl& s = *impl_;
  HttpOptions shown = s.options;
  shown.port = local_port();
  install_routes(s.router, service, RouteOptions{s.options.max_batch_items, http_options_json(shown)});
  s.context = std::make_unique<ServerContext>(s.options, s.router, service, access_log, s.ids, s.registry, s.access,
                                             s.cors);

  s.accept();

  auto work = asio::make_work_guard(s.io);
  std::vector<std::thread> threads;
  const int thread_count = s.options.resolved_io_threads();
  for (int i = 0; i < thread_count; ++i) {
    threads.emplace_back([&s] {
      for (;;) {
        try {
          s.io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("unexpected error in an HTTP I/O thread (a bug): {}", e.what());
        }
      }
    });
  }

  {
    std::unique_lock lock(s.stop_mutex);
    s.stop_changed.wait(lock, [&s] { return s.stop_requested; });
  }

  // 1. No new connections; idle keep-alive connections close; the others close after their answer.
  const auto started = Clock::now();
  asio::post(s.io, [&s] {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    s.accept_retry.cancel();
  });
  s.context->draining = true;
  for (const auto& session : s.registry.snapshot()) session->close_if_idle();

  // 2. Requests in flight finish; new predictions are refused with 503.
  ShutdownReport report;
  report.unfinished = s.drain(service, started + s.options.shutdown_timeout);

  // 3. Their answers are written.
  {
    const std::lock_guard lock(s.stop_mutex);
    report.forced = s.forced;
  }
  if (!report.forced) {
    const auto grace = std::min<Clock::duration>(s.options.write_timeout, std::chrono::seconds(5));
    if (!s.registry.wait_until_empty(Clock::now() + grace)) {
      spdlog::info("closing {} connection(s) still open", s.registry.size());
    }
  }

  work.reset();
  s.io.stop();
  for (auto& thread : threads) thread.join();
  return report;
}

}  // namespace uninlu
