#include "serving/inference_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <limits>
#include <optional>
#include <unordered_map>

#include "monitor/gpu_log.h"
#include "monitor/gpu_monitor.h"
#include "monitor/process_memory.h"
#include "pipeline/prediction.h"
#include "pipeline/schema.h"
#include "serving/device_factory.h"
#include "serving/metrics.h"
#include "serving/scheduler.h"
#include "text/bert_tokenizer.h"

#if UNINLU_WITH_CUDA
#include "engine/cuda/cuda_runtime_info.h"
#endif

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

#if UNINLU_WITH_CUDA
// The CUDA ordinals behind a GPU device name: "cuda:0" -> {0}, "cuda:0+1" (a layer-split pair) -> {0, 1}.
std::vector<int> gpu_ordinals(const std::string& device) {
  std::vector<int> out;
  if (device.rfind("cuda:", 0) != 0) return out;
  std::size_t at = 5;
  while (at < device.size()) {
    std::size_t end = device.find('+', at);
    if (end == std::string::npos) end = device.size();
    try {
      out.push_back(std::stoi(device.substr(at, end - at)));
    } catch (const std::exception&) {
      return {};
    }
    at = end + 1;
  }
  return out;
}
#endif

// NVML's "n/a" (a negative reading) as NaN for Prometheus gauges.
double gauge_value(double v) { return v < 0 ? std::numeric_limits<double>::quiet_NaN() : v; }

class InferenceService final : public Service {
 public:
  explicit InferenceService(const ServiceOptions& options)
      : options_(options),
        metrics_(options.metrics ? options.metrics : std::make_shared<ServerMetrics>()) {
    const auto start = std::chrono::steady_clock::now();
    model_ = load_model_dir(options.model_path);
    tokenizer_ = model_.tokenizer;
    scheduler_ = std::make_unique<Scheduler>(create_devices(options_, model_), options_.scheduler, *metrics_);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string names;
    for (const auto& d : scheduler_->devices()) names += (names.empty() ? "" : ", ") + d.name + " (" + device_state_name(d.state) + ")";
    spdlog::info("model {} loaded in {:.2f} s ({} parameters, {}); devices: {}", model_.path, seconds,
                 model_.parameter_count, model_.format, names);
    start_gpu_monitor();
    warm_up();
  }

  // The monitor's thread reads the scheduler: it stops first.
  ~InferenceService() override {
    gpu_monitor_.reset();
    scheduler_.reset();
  }

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

  // The first request pays for one-time work (the tokenizer's lazily built tables, the first pass through
  // each device's kernels and allocations): 63-135 ms of tokenize_ms were measured. The constructor runs
  // before the server answers /v2/health/ready, so warming up here keeps that cost off the first client.
  // One request per device, all at once, through the normal predict path; with dynamic batching a
  // device may take two, so this is best effort for the devices, exact for the tokenizer.
  void warm_up() {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t count = std::max<std::size_t>(1, scheduler_->devices().size());
    std::vector<std::future<PredictOutcome>> outcomes;
    for (std::size_t i = 0; i < count; ++i) {
      auto promise = std::make_shared<std::promise<PredictOutcome>>();
      outcomes.push_back(promise->get_future());
      PredictRequest request{"华为在东莞松山湖建设了研发基地", nlohmann::ordered_json{{"公司", nullptr}}, false,
                             "warm-up-" + std::to_string(i), ""};
      try {
        predict(std::move(request), start + std::chrono::minutes(5),
                [promise](PredictOutcome outcome) { promise->set_value(std::move(outcome)); });
      } catch (const std::exception& e) {
        promise->set_value(PredictOutcome{std::nullopt, Error(ErrorKind::Internal, e.what())});
      }
    }
    for (auto& outcome : outcomes) {
      const PredictOutcome done = outcome.get();
      if (done.error) spdlog::warn("warm-up request failed (serving anyway): {}", done.error->what());
    }
    spdlog::info("warmed up in {:.0f} ms", std::chrono::duration<double, std::milli>(
                                               std::chrono::steady_clock::now() - start).count());
  }

  void cancel(RequestId id, ErrorKind reason) override { scheduler_->cancel(id, reason); }

  nlohmann::ordered_json health() override {
    nlohmann::ordered_json devices = nlohmann::ordered_json::array();
    std::vector<std::string> serving_on;
    // The original app's GPU fields over the GPUs we serve on: mean utilization, summed memory.
    double gpu_used = 0, gpu_total = 0, gpu_utilization = 0;
    int utilization_count = 0, legacy_count = 0;
    const std::vector<GpuSample> samples = gpu_monitor_ ? gpu_monitor_->latest() : std::vector<GpuSample>{};
    const auto add_to_legacy = [&](const GpuSample& sample) {
      ++legacy_count;
      if (sample.utilization_percent >= 0) {
        gpu_utilization += sample.utilization_percent;
        ++utilization_count;
      }
      if (sample.memory_used_bytes >= 0 && sample.memory_total_bytes >= 0) {
        gpu_used += sample.memory_used_bytes;
        gpu_total += sample.memory_total_bytes;
      }
    };
    bool any_gpu_device = false;
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
        metrics_->set_device_memory(d.name, used, total);
      } else {
        nlohmann::ordered_json gpus = nlohmann::ordered_json::array();
        double used = 0, total = 0;
        for (const auto& sample : samples) {
          const auto bound = gpu_bindings_.find(sample.uuid);
          if (bound == gpu_bindings_.end() || bound->second.device != d.name) continue;
          gpus.push_back(gpu_json(bound->second.gpu, sample));
          add_to_legacy(sample);
          if (sample.memory_used_bytes >= 0 && sample.memory_total_bytes >= 0) {
            used += sample.memory_used_bytes;
            total += sample.memory_total_bytes;
          }
        }
        if (!gpus.empty()) {  // from NVML: the whole GPU's memory, not only ours
          j["memory_used_bytes"] = used;
          j["memory_total_bytes"] = total;
        }
        j["gpus"] = std::move(gpus);
      }
      if (d.state == DeviceState::Healthy) {
        any_healthy = true;
        serving_on.push_back(d.name);
      }
      any_gpu_device = any_gpu_device || d.is_gpu;
      devices.push_back(std::move(j));
    }
    // GPUs we could not match to our devices (no UUID from NVML or CUDA): count every GPU NVML sees.
    if (any_gpu_device && legacy_count == 0) {
      for (const auto& sample : samples) add_to_legacy(sample);
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
    out["gpu_monitor"] = gpu_monitor_json();
    // The original app's fields (percent, and MiB; zero without a GPU). Several GPUs: the mean
    // utilization and the summed memory of the GPUs we serve on.
    out["gpu_utilization"] = utilization_count > 0 ? gpu_utilization / utilization_count : 0.0;
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
    model["tokenizer"] = model_.tokenizer_settings.to_json();
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
                      {"pin_threads", options_.cpu_pin_threads},
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

  ServerMetrics& metrics() override { return *metrics_; }

  std::vector<ModelStatus> models() override {
    return {ModelStatus{options_.model_name, ready() ? "READY" : "UNAVAILABLE", "", model_.path}};
  }

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

  // ---- GPU monitoring: NVML samples -> metrics, /health and gpu.log (docs/gpu.md, "Monitoring") ----

  struct GpuBinding {
    std::string device;  // our Device ("cuda:0", "cuda:0+1")
    std::string gpu;     // the GPU's CUDA name ("cuda:1"): the metrics label
  };

  void start_gpu_monitor() {
    bool any_gpu = false;
    for (const auto& d : scheduler_->devices()) any_gpu = any_gpu || d.is_gpu;
    if (!any_gpu && options_.gpu_log_path.empty()) return;
#if UNINLU_WITH_CUDA
    // NVML numbers GPUs in PCI order, CUDA by speed and CUDA_VISIBLE_DEVICES: match them by UUID.
    for (const auto& d : scheduler_->devices()) {
      if (!d.is_gpu) continue;
      for (int ordinal : gpu_ordinals(d.name)) {
        const std::string uuid = cuda::device_uuid(ordinal);
        if (!uuid.empty()) gpu_bindings_[uuid] = {d.name, "cuda:" + std::to_string(ordinal)};
      }
    }
#endif
    if (!options_.gpu_log_path.empty()) {
      gpu_log_ = std::make_unique<GpuLogWriter>(options_.gpu_log_path);
      if (!gpu_log_->ok()) spdlog::warn("gpu log: {}", gpu_log_->error());
    }
    GpuMonitorOptions monitor;
    monitor.interval = std::chrono::seconds(std::max(1, options_.gpu_log_interval_s));
    // A testing knob: another NVML (the tests' fake one) instead of the driver's.
    if (const char* library = std::getenv("UNINLU_NVML_LIBRARY"); library != nullptr && *library != '\0') {
      monitor.library = library;
    }
    gpu_monitor_ = std::make_unique<GpuMonitor>(monitor, [this](const std::vector<GpuSample>& samples) {
      on_gpu_sample(samples);
    });
    if (!gpu_monitor_->active()) {
      spdlog::info("GPU monitoring off: {}", gpu_monitor_->why_inactive());
    } else {
      spdlog::info("GPU monitoring: {} GPU(s) through NVML every {} s{}", gpu_monitor_->latest().size(),
                   options_.gpu_log_interval_s, gpu_log_ ? ", logged to " + gpu_log_->path() : std::string());
    }
  }

  // On the monitor's thread: Prometheus gauges, and one gpu.log line per GPU. Never throws.
  void on_gpu_sample(const std::vector<GpuSample>& samples) noexcept {
    try {
      const auto devices = scheduler_->devices();
      const auto now = std::chrono::system_clock::now();
      std::vector<std::string> lines;
      for (const auto& sample : samples) {
        const auto bound = gpu_bindings_.find(sample.uuid);
        const bool ours = bound != gpu_bindings_.end();
        const std::string label = ours ? bound->second.gpu : "nvml:" + std::to_string(sample.index);
        if (sample.ok) {
          metrics_->set_gpu_sample(label, gauge_value(sample.utilization_percent), gauge_value(sample.temperature_c),
                                  sample.ecc_uncorrected ? static_cast<double>(*sample.ecc_uncorrected)
                                                         : std::numeric_limits<double>::quiet_NaN());
          if (sample.memory_used_bytes >= 0 && sample.memory_total_bytes >= 0) {
            metrics_->set_device_memory(label, sample.memory_used_bytes, sample.memory_total_bytes);
          }
        }
        if (!gpu_log_) continue;
        std::optional<GpuLogDevice> device;
        if (ours) {
          for (const auto& d : devices) {
            if (d.name == bound->second.device) device = GpuLogDevice{d.name, device_state_name(d.state), d.batches};
          }
        }
        lines.push_back(format_gpu_log_line(now, sample, device));
      }
      if (gpu_log_) gpu_log_->write(lines);
    } catch (const std::exception& e) {
      spdlog::warn("gpu monitor: {}", e.what());
    }
  }

  static nlohmann::ordered_json gpu_json(const std::string& gpu, const GpuSample& s) {
    nlohmann::ordered_json j;
    j["gpu"] = gpu;
    j["nvml_index"] = s.index;
    j["name"] = s.name;
    j["utilization_percent"] = s.utilization_percent >= 0 ? nlohmann::ordered_json(s.utilization_percent) : nullptr;
    j["memory_used_bytes"] = s.memory_used_bytes >= 0 ? nlohmann::ordered_json(s.memory_used_bytes) : nullptr;
    j["memory_total_bytes"] = s.memory_total_bytes >= 0 ? nlohmann::ordered_json(s.memory_total_bytes) : nullptr;
    j["temperature_c"] = s.temperature_c >= 0 ? nlohmann::ordered_json(s.temperature_c) : nullptr;
    j["ecc_uncorrected_errors"] = s.ecc_uncorrected ? nlohmann::ordered_json(*s.ecc_uncorrected) : nullptr;
    if (!s.error.empty()) j["error"] = s.error;
    return j;
  }

  nlohmann::ordered_json gpu_monitor_json() const {
    nlohmann::ordered_json j;
    j["active"] = gpu_monitor_ != nullptr && gpu_monitor_->active();
    if (!gpu_monitor_) {
      j["reason"] = "no GPU device and no gpu log";
    } else if (!gpu_monitor_->active()) {
      j["reason"] = gpu_monitor_->why_inactive();
    } else {
      j["interval_s"] = options_.gpu_log_interval_s;
    }
    if (gpu_log_) j["log"] = gpu_log_->path();
    return j;
  }

  ServiceOptions options_;
  std::shared_ptr<ServerMetrics> metrics_;
  ModelDir model_;
  std::shared_ptr<const BertTokenizer> tokenizer_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unordered_map<std::string, GpuBinding> gpu_bindings_;  // NVML UUID -> our device; set before the monitor
  std::unique_ptr<GpuLogWriter> gpu_log_;
  std::unique_ptr<GpuMonitor> gpu_monitor_;
};

}  // namespace

std::unique_ptr<Service> make_inference_service(const ServiceOptions& options) {
  return std::make_unique<InferenceService>(options);
}

}  // namespace uninlu
