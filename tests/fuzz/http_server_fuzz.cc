// Raw bytes into the real HTTP server: HttpServer with the fake Service of tests/http, started once
// in-process; per input, one loopback connection gets the bytes, a half-close, and is read until the
// server closes it. That runs the session code (parsing, limits, keep-alive, pipelining, timeouts), the
// router and the routes as a client reaches them. Findings: a sanitizer report, a crash, an answer whose
// error is "internal error (a bug...", or a server that neither answers nor closes after the half-close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_service.h"
#include "fuzz_support.h"
#include "http/server.h"

namespace {

using namespace std::chrono_literals;

// How long the server may take to close after the half-close. Its own timeouts (below) are all 1 s or
// less, so a healthy server closes well within this even under sanitizers.
constexpr int kCloseWaitMs = 10000;

struct Fixture {
  uninlu::testing::FakeService service;
  uninlu::AccessLog access_log{""};
  std::unique_ptr<uninlu::HttpServer> server;
  std::thread serving;
  int port = 0;
};

Fixture* fixture = nullptr;

void stop_server() {
  fixture->server->request_stop();
  fixture->serving.join();
  delete fixture;
  fixture = nullptr;
}

void start_server() {
  fixture = new Fixture;
  uninlu::HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  // Short timeouts: a fuzzed "sleep:"/"hold" request or a stalled partial request ends quickly.
  options.request_timeout = 100ms;
  options.header_timeout = 1000ms;
  options.body_timeout = 1000ms;
  options.write_timeout = 1000ms;
  options.keepalive_timeout = 1000ms;
  options.shutdown_timeout = 1000ms;
  options.max_body_bytes = 64 << 10;
  options.max_batch_items = 8;
  options.access_log = "";
  options.cors_allow_origins = {"https://app.example"};  // runs the CORS code too
  fixture->server = std::make_unique<uninlu::HttpServer>(options);
  fixture->port = fixture->server->local_port();
  fixture->serving = std::thread([] { fixture->server->serve(fixture->service, fixture->access_log); });
  // Before the statics the server uses (spdlog, Asio) are destroyed at exit.
  std::atexit(stop_server);
}

int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) uninlu::fuzz::finding(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    uninlu::fuzz::finding(std::string("cannot connect to the server: ") + std::strerror(errno));
  }
  return fd;
}

// Sends what the server takes; it may close early (a 413, a 400 on garbage): that ends the sending.
void send_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::string read_until_close(int fd) {
  std::string answer;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCloseWaitMs);
  char buffer[16384];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      uninlu::fuzz::finding("the server neither answered nor closed within " + std::to_string(kCloseWaitMs) +
                            " ms of the half-close; it sent " + std::to_string(answer.size()) + " bytes: " +
                            answer.substr(0, 300));
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return answer;  // closed (or reset: a refused request may end that way)
    answer.append(buffer, static_cast<std::size_t>(n));
  }
}

// The bodies of the answers on the connection, in order: each answer is walked by its Content-Length,
// so that an error message quoting the client's bytes cannot pass for another answer or a bug report.
// Stops at what it cannot walk (a cut answer).
std::vector<std::string> answer_bodies(const std::string& answer) {
  std::vector<std::string> bodies;
  std::size_t at = 0;
  while (at < answer.size() && answer.compare(at, 9, "HTTP/1.1 ") == 0) {
    const std::size_t header_end = answer.find("\r\n\r\n", at);
    if (header_end == std::string::npos) break;
    const std::size_t length_at = answer.find("\r\nContent-Length: ", at);
    if (length_at == std::string::npos || length_at > header_end) break;
    const std::size_t length = std::strtoul(answer.c_str() + length_at + 18, nullptr, 10);
    bodies.push_back(answer.substr(header_end + 4, length));
    at = header_end + 4 + length;
  }
  return bodies;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (fixture == nullptr) start_server();
  const int fd = connect_loopback(fixture->port);
  send_all(fd, data, size);
  ::shutdown(fd, SHUT_WR);
  const std::string answer = read_until_close(fd);
  ::close(fd);
  if (!answer.empty() && answer.rfind("HTTP/1.", 0) != 0) {
    uninlu::fuzz::finding("the answer does not start with a status line: " + answer.substr(0, 300));
  }
  // The server answers its own bugs with this error, for the request or for one of its items (the fake
  // Service's "fail:internal" is a 500 too, on request, so the status alone would not do). The quotes are
  // JSON's own: a client's bytes quoted in a message have theirs escaped.
  for (const std::string& body : answer_bodies(answer)) {
    if (body.find("\"error\":\"internal error (a bug") != std::string::npos) {
      uninlu::fuzz::finding("the server reported a bug: " + answer.substr(0, 2000));
    }
  }
  return 0;
}
