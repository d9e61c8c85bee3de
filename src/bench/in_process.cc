#include "bench/in_process.h"

#include "http/access_log.h"
#include "http/server.h"
#include "serving/inference_service.h"

namespace uninlu::bench {

InProcessServer::InProcessServer(ServerConfig config, bool with_http) : config_(std::move(config)) {
  if (with_http) {
    config_.http.host = "127.0.0.1";
    config_.http.port = 0;
    access_log_ = std::make_unique<AccessLog>(config_.http.access_log);
    server_ = std::make_unique<HttpServer>(config_.http);  // binds before the model loads, as serve does
  }
  service_ = make_inference_service(config_.service);
  if (server_) serving_ = std::thread([this] { server_->serve(*service_, *access_log_); });
}

InProcessServer::~InProcessServer() {
  if (server_) {
    server_->request_stop();
    if (serving_.joinable()) serving_.join();
  }
  server_.reset();
  service_.reset();
}

HttpTarget InProcessServer::target() const {
  HttpTarget t;
  t.host = "127.0.0.1";
  t.port = server_ ? server_->local_port() : 0;
  return t;
}

}  // namespace uninlu::bench
