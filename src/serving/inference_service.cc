#include "serving/inference_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "monitor/process_memory.h"
#include "pipeline/prediction.h"
#include "pipeline/schema.h"
#include "serving/device_factory.h"
#include "serving/metrics.h"
#include "serving/scheduler.h"
#include "text/bert_tokenizer.h"

#ifndef UNINLU_VERSION
#define UNINLU_VERSION "0.1.0"
#endif

namespace uninlu {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

nlohmann::ordered_json limits_json(const PipelineLimits& l) {
  return {{"max_text_chars", l.max_text_chars}, {"max_schema_depth", l.max_schema_depth},
          {"max_schema_keys", l.max_schema_keys}, {"max_key_chars", l.max_key_chars},
          {"max_prompts", l.max_prompts}};
}

class InferenceService final : public Service {
 public:
  explicit InferenceService(const ServiceOptions& options) : options_(options) {
    const auto start = std::chrono::steady_clock::now();
    model_ = load_model_dir(options.model_path);
    tokenizer_ = std::make_shared<BertTokenizer>(model_.vocab);
    scheduler_ = std::make_unique<Scheduler>(create_devices(options_, model_), options_.scheduler, metrics_);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string names;
    for (const auto& d : scheduler_->devices()) names += (names.empty() ? "" : ", ") + d.name + " (" + device_state_name(d.state) + ")";
    spdlog::info("model {} loaded in {:.2f} s ({} parameters, {}); devices: {}", model_.path, seconds,
                 model_.parameter_count, model_.format, names);
  }

  ~InferenceService() override { scheduler_.reset(); }

  RequestId predict(PredictRequest request, std::chrono::steady_clock::time_point deadline,
                    PredictCallback done) override {
    const auto start = std::chrono::steady_clock::now();
    if (!scheduler_->accepting()) fail(ErrorKind::Unavailable, "server is shutting down and takes no new requests");
    Schema schema = Schema::from_json(request.schema, options_.limits);
    auto task = std::make_unique<PredictionTask>(*tokenizer_, std::move(request.text), std::move(schema),
                                                 request.output_all_prefix, options_.limits);
    const double tokenize_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return scheduler_->submit(std::move(task), deadline, std::move(done), tokenize_ms);
  }

  void cancel(RequestId id, ErrorKind reason) override { scheduler_->cancel(id, reason); }

  nlohmann::ordered_json health() override {
    nlohmann::ordered_json devices = nlohmann::ordered_json::array();
    std::vector<std::string> serving_on;
    double gpu_used = 0, gpu_total = 0;
    bool any_healthy = false;
    for (const auto& d : scheduler_->devices()) {
      nlohmann::ordered_json j;
      j["name"] = d.name;
      j["kind"] = d.is_gpu ? "gpu" : "cpu";
      j["state"] = device_state_name(d.state);
      j["batches"] = d.batches;
      j["faults"] = d.faults;
      j["busy_seconds"] = d.busy_seconds;
      j["max_batch_tokens"] = d.max_batch_tokens;
      if (!d.is_gpu) {
        const double used = static_cast<double>(process_rss_bytes());
        const double total = static_cast<double>(system_memory_bytes());
        j["memory_used_bytes"] = used;
        j["memory_total_bytes"] = total;
        metrics_.set_device_memory(d.name, used, total);
      }
      if (d.state == DeviceState::Healthy) {
        any_healthy = true;
        serving_on.push_back(d.name);
      }
      devices.push_back(std::move(j));
    }
    const bool accepting = scheduler_->accepting();
    nlohmann::ordered_json out;
    out["status"] = !accepting ? "draining" : any_healthy ? (all_healthy() ? "ok" : "degraded") : "unavailable";
    out["model_loaded"] = true;
    out["model"] = model_.path;
    out["serving_on"] = serving_on;
    out["fallback_active"] = scheduler_->fallback_active();
    out["devices"] = std::move(devices);
    out["queue_depth"] = scheduler_->queue_depth();
    out["in_flight"] = scheduler_->in_flight();
    // The original app's fields (MiB, and percent; zero without a GPU).
    out["gpu_utilization"] = 0.0;
    out["gpu_memory_used"] = gpu_used / kMiB;
    out["gpu_memory_total"] = gpu_total / kMiB;
    return out;
  }

  bool live() override { return true; }
  bool ready() override { return scheduler_->accepting() && scheduler_->can_serve(); }

  nlohmann::ordered_json info() override {
    nlohmann::ordered_json model;
    model["path"] = model_.path;
    model["weights_file"] = model_.weights_file;
    model["format"] = model_.format;
    model["stored_dtype"] = model_.stored_dtype;
    model["key_layout"] = key_layout_name(model_.weights.layout);
    model["parameter_count"] = model_.parameter_count;
    model["config"] = nlohmann::ordered_json::parse(model_.config.raw.dump());
    nlohmann::ordered_json devices = nlohmann::ordered_json::array();
    for (const auto& d : scheduler_->devices()) {
      devices.push_back({{"name", d.name}, {"kind", d.is_gpu ? "gpu" : "cpu"}, {"state", device_state_name(d.state)},
                         {"max_batch_tokens", d.max_batch_tokens}});
    }
    nlohmann::ordered_json out;
    out["version"] = UNINLU_VERSION;
    out["model"] = std::move(model);
    out["devices"] = std::move(devices);
    out["options"] = {{"device", options_.device},
                      {"cpu_precision", precision_name(options_.cpu_precision)},
                      {"gpu_precision", precision_name(options_.gpu_precision)},
                      {"cpu_threads", options_.cpu_threads},
                      {"dynamic_batching", options_.scheduler.dynamic_batching},
                      {"max_batch_tokens", options_.scheduler.max_batch_tokens},
                      {"max_batch_requests", options_.scheduler.max_batch_requests},
                      {"max_wait_ms", static_cast<double>(options_.scheduler.max_wait.count()) / 1000.0},
                      {"max_in_flight", options_.scheduler.max_in_flight}};
    out["limits"] = limits_json(options_.limits);
    return out;
  }

  nlohmann::ordered_json fallback_to_cpu() override {
    scheduler_->set_fallback(true);
    spdlog::warn("serving moved to the CPU on request (/api/fallback)");
    return {{"status", "switched_to_cpu"}, {"serving_on", serving_on()}};
  }

  nlohmann::ordered_json restore() override {
    scheduler_->set_fallback(false);
    spdlog::info("serving restored to all devices (/api/restore)");
    return {{"status", "restored"}, {"serving_on", serving_on()}};
  }

  std::size_t drain(std::chrono::milliseconds timeout) override { return scheduler_->drain(timeout); }

  ServerMetrics& metrics() override { return metrics_; }

 private:
  bool all_healthy() const {
    for (const auto& d : scheduler_->devices()) {
      if (d.state == DeviceState::Degraded) return false;
    }
    return true;
  }

  std::vector<std::string> serving_on() const {
    std::vector<std::string> out;
    for (const auto& d : scheduler_->devices()) {
      if (d.state == DeviceState::Healthy) out.push_back(d.name);
    }
    return out;
  }

  ServiceOptions options_;
  ServerMetrics metrics_;
  ModelDir model_;
  std::shared_ptr<BertTokenizer> tokenizer_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace

std::unique_ptr<Service> make_inference_service(const ServiceOptions& options) {
  return std::make_unique<InferenceService>(options);
}

}  // namespace uninlu
