// The server end to end in-process: real sockets, a fake Service.
#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "fake_service.h"
#include "test_support.h"

namespace uninlu {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using Response = http::response<http::string_body>;
using testing::FakeService;

// A blocking HTTP/1.1 client on one connection.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  Response request(http::verb method, const std::string& target, const std::string& body = {},
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    send(method, target, body, headers);
    return read();
  }

  void send(http::verb method, const std::string& target, const std::string& body = {},
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
  }

  void send_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  Response read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  // True when the server closed the connection (the next read finds its end).
  bool closed_by_server() {
    char byte = 0;
    boost::system::error_code ec;
    asio::read(socket_, asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // Leaves with a reset (SO_LINGER 0). A plain close sends only a FIN, which the server cannot tell from
  // a half-close by a client that still waits for its answer.
  void abort() {
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  void shutdown_send() { socket_.shutdown(tcp::socket::shutdown_send); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

const std::string kRequest =
    R"({"text": "华为在东莞松山湖建设了研发基地", "schema": "{\"公司\":null,\"地理位置\":null}"})";

std::string predict_body(const std::string& text) { return R"({"text": ")" + text + R"(", "schema": {"x": null}})"; }

class ServerTest : public ::testing::Test {
 protected:
  void start(HttpOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    server = std::make_unique<HttpServer>(options);
    port = server->local_port();
    serving =
        std::async(std::launch::async, [this] { return server->serve(service, access_log); });
  }

  HttpServer::ShutdownReport stop() {
    server->request_stop();
    return serving.get();
  }

  void TearDown() override {
    if (serving.valid()) stop();
  }

  FakeService service;
  AccessLog access_log{""};
  std::unique_ptr<HttpServer> server;
  std::future<HttpServer::ShutdownReport> serving;
  int port = 0;
};

TEST_F(ServerTest, AnswersPredictAndKeepsTheConnectionAlive) {
  start();
  Client client(port);
  for (int i = 0; i < 3; ++i) {
    const Response r = client.request(http::verb::post, "/api/predict", kRequest);
    ASSERT_EQ(r.result_int(), 200) << r.body();
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(r[http::field::content_type], "application/json");
    EXPECT_FALSE(r["X-Request-Id"].empty());
    const Json body = Json::parse(r.body());
    EXPECT_TRUE(body["result"]["output"].is_array());
  }
  EXPECT_EQ(service.received().size(), 3u);
}

TEST_F(ServerTest, HonoursASaneRequestIdAndReplacesAnInsaneOne) {
  start();
  Client client(port);
  Response r = client.request(http::verb::get, "/health", {}, {{"X-Request-Id", "my-id.42"}});
  EXPECT_EQ(r["X-Request-Id"], "my-id.42");
  r = client.request(http::verb::get, "/health", {}, {{"X-Request-Id", "bad id with spaces"}});
  EXPECT_NE(r["X-Request-Id"], "bad id with spaces");
  EXPECT_FALSE(r["X-Request-Id"].empty());
}

TEST_F(ServerTest, ErrorsAreJsonAndTheConnectionStaysUsable) {
  start();
  Client client(port);
  Response r = client.request(http::verb::post, "/api/predict", "{broken");
  testing::expect_error(r.result_int(), std::string(r[http::field::content_type]), r.body(), 400, "invalid_input",
                        "malformed JSON", std::string(r["X-Request-Id"]));
  r = client.request(http::verb::get, "/api/predict");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(r[http::field::allow], "POST");
  r = client.request(http::verb::get, "/nope");
  EXPECT_EQ(r.result_int(), 404);
  r = client.request(http::verb::post, "/api/predict", kRequest);
  EXPECT_EQ(r.result_int(), 200);
}

TEST_F(ServerTest, OversizeBodyIs413EvenWhenTheClientSendsItAll) {
  HttpOptions options;
  options.max_body_bytes = 1024;
  start(options);
  {
    Client client(port);
    const Response r = client.request(http::verb::post, "/api/predict", predict_body(std::string(4096, 'a')));
    testing::expect_error(r.result_int(), std::string(r[http::field::content_type]), r.body(), 413, "limit_exceeded",
                          "max_body_bytes");
    EXPECT_FALSE(r.keep_alive());
  }
  {
    // Chunked: the size is known only while reading.
    Client client(port);
    client.send_raw("POST /api/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(800, 'b');
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    client.send_raw(std::string(size) + chunk + "\r\n" + size + chunk + "\r\n0\r\n\r\n");
    const Response r = client.read();
    EXPECT_EQ(r.result_int(), 413);
  }
  Client again(port);
  EXPECT_EQ(again.request(http::verb::post, "/api/predict", kRequest).result_int(), 200);
}

TEST_F(ServerTest, MalformedHttpIs400) {
  start();
  Client client(port);
  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const Response r = client.read();
  testing::expect_error(r.result_int(), std::string(r[http::field::content_type]), r.body(), 400, "invalid_input",
                        "malformed HTTP request");
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  start();
  Client client(port);
  client.send_raw(
      "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(kRequest.size()) + "\r\n\r\n");
  const Response interim = client.read();
  EXPECT_EQ(interim.result_int(), 100);
  client.send_raw(kRequest);
  EXPECT_EQ(client.read().result_int(), 200);
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  start();
  Client client(port);
  client.send(http::verb::head, "/health");
  const Response r = client.read(/*head=*/true);
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_TRUE(r.body().empty());
  EXPECT_NE(r[http::field::content_length], "0");
  EXPECT_EQ(client.request(http::verb::get, "/v2/health/live").result_int(), 200);  // still in step
}

TEST_F(ServerTest, ClientThatLeavesCancelsItsWork) {
  start();
  {
    Client client(port);
    client.send(http::verb::post, "/api/predict", predict_body("hold"));
    ASSERT_TRUE(service.wait_for_held(1));
    client.abort();
  }
  ASSERT_TRUE(service.wait_for_cancels(1));
  EXPECT_EQ(service.cancels().at(0).second, ErrorKind::Unavailable);
  Client other(port);
  EXPECT_EQ(other.request(http::verb::post, "/api/predict", kRequest).result_int(), 200);
}

TEST_F(ServerTest, HalfClosedClientIsAnswered) {
  start();
  Client client(port);
  client.send(http::verb::post, "/api/predict", predict_body("sleep:200"));
  client.shutdown_send();  // as `nc -N` does: the request is complete, the client still reads
  const Response r = client.read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_TRUE(service.cancels().empty());
}

TEST_F(ServerTest, DeadlineIs504) {
  HttpOptions options;
  options.request_timeout = std::chrono::milliseconds(50);
  start(options);
  Client client(port);
  const Response r = client.request(http::verb::post, "/api/predict", predict_body("hold"));
  testing::expect_error(r.result_int(), std::string(r[http::field::content_type]), r.body(), 504, "timeout",
                        "deadline");
  EXPECT_EQ(client.request(http::verb::get, "/health").result_int(), 200);
}

TEST_F(ServerTest, BatchOverTheWire) {
  start();
  Client client(port);
  const Response r =
      client.request(http::verb::post, "/api/predict", "[" + predict_body("a") + "," + predict_body("") + "]");
  ASSERT_EQ(r.result_int(), 200);
  const Json body = Json::parse(r.body());
  EXPECT_TRUE(body["results"][0].contains("result"));
  EXPECT_EQ(body["results"][1]["kind"], "invalid_input");
}

TEST_F(ServerTest, GracefulShutdownFinishesRequestsInFlight) {
  start();
  Client busy(port);
  busy.send(http::verb::post, "/api/predict", predict_body("hold"));
  ASSERT_TRUE(service.wait_for_held(1));
  Client idle(port);
  ASSERT_EQ(idle.request(http::verb::get, "/health").result_int(), 200);

  server->request_stop();
  ASSERT_TRUE(service.wait_for_drain());
  EXPECT_TRUE(idle.closed_by_server());  // idle keep-alive connections close at once
  service.release_held();                // the request in flight finishes...
  const Response r = busy.read();        // ...and its answer is written
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_FALSE(r.keep_alive());
  const auto report = serving.get();
  EXPECT_EQ(report.unfinished, 0u);
  EXPECT_FALSE(report.forced);
  EXPECT_THROW(Client{port}, boost::system::system_error);  // no longer listening
}

TEST_F(ServerTest, PortInUseSaysWhatToDo) {
  start();
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  try {
    HttpServer second(options);
    FAIL() << "a second server bound the same port";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot listen on 127.0.0.1:" + std::to_string(port) + ": address already in use"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("choose another --port"), std::string::npos) << message;
  }
}

TEST_F(ServerTest, MetricsAndAccessLogRecordEveryResponse) {
  const auto log_path = std::filesystem::temp_directory_path() /
                        ("uninlu_access_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".log");
  std::filesystem::remove(log_path);
  {
    AccessLog file_log(log_path.string());
    HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    HttpServer local(options);
    auto done = std::async(std::launch::async, [&] { return local.serve(service, file_log); });
    {
      Client client(local.local_port());
      client.request(http::verb::post, "/api/predict", kRequest, {{"X-Request-Id", "log-me"}});
      client.request(http::verb::get, "/no/such/path");
      const Response metrics = client.request(http::verb::get, "/metrics");
      EXPECT_NE(metrics.body().find(R"(route="/api/predict")"), std::string::npos);
      EXPECT_NE(metrics.body().find(R"(route="other")"), std::string::npos);
      EXPECT_EQ(metrics.body().find("/no/such/path"), std::string::npos);  // raw paths never become labels
    }
    local.request_stop();
    done.get();
  }
  std::ifstream in(log_path);
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(log_path);
  EXPECT_NE(log.find("log-me 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("\"POST /api/predict\" 200 "), std::string::npos) << log;
  EXPECT_NE(log.find("\"GET /no/such/path\" 404 "), std::string::npos) << log;
}

}  // namespace
}  // namespace uninlu
