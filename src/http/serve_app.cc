#include "http/serve_app.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/backend.h"
#include "http/access_log.h"
#include "http/server.h"
#include "serving/model_repository.h"

namespace uninlu {

namespace {

void setup_logging(const std::string& level) {
  // Diagnostics go to stderr; stdout carries the access log (when it is "-").
  auto logger = spdlog::stderr_color_mt("uninlu");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The Service reports devices as names or as objects with a "name"; the log line wants names.
std::string device_names(const nlohmann::ordered_json& devices) {
  if (!devices.is_array()) return devices.is_null() ? "?" : devices.dump();
  std::vector<std::string> names;
  for (const auto& device : devices) {
    if (device.is_string()) {
      names.push_back(device.get<std::string>());
    } else if (device.is_object() && device.contains("name") && device["name"].is_string()) {
      names.push_back(device["name"].get<std::string>());
    } else {
      names.push_back(device.dump());
    }
  }
  return join(names);
}

}  // namespace

int run_serve(const ServeFlags& flags, const ServiceFactory& make_service, const FrontEndFactory& make_front_end) {
  ServerConfig config = resolve_server_config(flags);
  if (!spdlog::get("uninlu")) setup_logging(config.log_level);

  if (!config.unknown_fields.empty()) {
    spdlog::warn("config file {}: ignoring unknown fields: {}", config.config_file, join(config.unknown_fields));
  }
  if (config.max_length) {
    spdlog::info(
        "max_length={} is accepted for compatibility and changes nothing: like the reference pipeline, "
        "texts longer than 384 tokens are cut into overlapping windows",
        *config.max_length);
  }
  if (config.model_path_from_default) spdlog::info("no model_path configured: using {}", config.service.model_path);

  AccessLog access_log(config.http.access_log);
  // The port first: a taken port is reported at once, not after the model has loaded.
  HttpServer server(config.http);
  server.stop_on_signals();  // before the model loads, so that a SIGTERM then still ends cleanly
  std::unique_ptr<Service> service =
      std::make_unique<ModelRepository>(config.models, config.service, make_service, config.http.shutdown_timeout);

  nlohmann::ordered_json devices;
  try {
    const auto info = service->info();
    if (info.is_object() && info.contains("devices")) devices = info["devices"];
  } catch (const std::exception& e) {
    spdlog::debug("service info unavailable: {}", e.what());
  }
  // One model: its path, as the line always said (scripts grep it); several: "name = path" each.
  std::vector<std::string> models;
  for (const auto& model : config.models) models.push_back(model.name + " = " + model.path);
  const std::string model_text =
      config.models.size() == 1 ? "model " + config.models.front().path : "models " + join(models);
  spdlog::info("uninlu serve listening on {}://{} ({}, devices {}, cpu {}, gpu {}, dynamic batching {})",
               server.tls() ? "https" : "http", server.local_address(), model_text,
               device_names(devices),
               precision_name(config.service.cpu_precision), precision_name(config.service.gpu_precision),
               config.service.scheduler.dynamic_batching ? "on" : "off");

  std::unique_ptr<FrontEnd> front_end = make_front_end ? make_front_end(config, *service) : nullptr;
  if (front_end) {
    spdlog::info("uninlu serve also listening with {}", front_end->describe());
    server.on_reload([&front_end] { front_end->reload(); });
  }

  const auto report = server.serve(*service, access_log);
  // The Service is drained by now: what remains of the other protocol's RPCs is writing their answers.
  if (front_end) front_end->shutdown(std::chrono::milliseconds(2000));
  if (report.forced) {
    spdlog::warn("stopped at once; {} request(s) were not finished", report.unfinished);
    return 1;
  }
  if (report.unfinished > 0) {
    spdlog::warn("shutdown_timeout_ms passed with {} request(s) unfinished; they were abandoned", report.unfinished);
  }
  spdlog::info("shut down cleanly");
  return 0;
}

}  // namespace uninlu
