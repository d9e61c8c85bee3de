#include "grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "grpc/inference_service.h"

namespace uninlu {

namespace {

std::string read_pem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Usage, std::string("gRPC: cannot read the TLS ") + what + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<grpc::ServerCredentials> credentials(const HttpOptions& options) {
  if (!options.tls_enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({read_pem(options.tls_key, "key"), read_pem(options.tls_cert, "certificate")});
  return grpc::SslServerCredentials(ssl);
}

// "::1" → "[::1]": gRPC takes IPv6 addresses in brackets, as URIs do.
std::string host_part(const std::string& host) {
  return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

}  // namespace

GrpcServer::GrpcServer(const HttpOptions& options, Service& service)
    : host_(options.host), tls_(options.tls_enabled()), access_(options) {
  rpc_service_ = std::make_unique<GrpcInferenceService>(
      service, access_, GrpcServiceOptions{options.max_batch_items, options.request_timeout});
  const std::string address = host_part(host_) + ":" + std::to_string(options.grpc_port);
  const auto max_message =
      static_cast<int>(std::min<std::size_t>(options.max_body_bytes, std::numeric_limits<int>::max()));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials(options), &port_);
  builder.SetMaxReceiveMessageSize(max_message);
  // Without this Linux lets a second server bind the same port (SO_REUSEPORT) and share its clients.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(rpc_service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    fail(ErrorKind::Io, "cannot listen for gRPC on " + address + " (the port is taken or the host is not local)");
  }
}

GrpcServer::~GrpcServer() { shutdown(std::chrono::milliseconds(0)); }

std::string GrpcServer::local_address() const { return host_part(host_) + ":" + std::to_string(port_); }

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

void GrpcServer::reload() { access_.reload(); }

std::string GrpcServer::describe() const {
  return std::string(tls_ ? "gRPC over TLS" : "gRPC") + " on " + local_address();
}

FrontEndFactory grpc_front_end() {
  return [](const ServerConfig& config, Service& service) -> std::unique_ptr<FrontEnd> {
    if (config.http.grpc_port < 0) return nullptr;
    return std::make_unique<GrpcServer>(config.http, service);
  };
}

}  // namespace uninlu
