#pragma once
// What the HTTP layer (and `uninlu bench` in-process) talks to. InferenceService implements it on real
// devices; tests implement it with fakes.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "engine/backend.h"
#include "pipeline/limits.h"

namespace uninlu {

class ServerMetrics;

struct PredictRequest {
  std::string text;
  nlohmann::ordered_json schema;  // an object, or a string holding one
  bool output_all_prefix = false;
  std::string request_id;  // for logs and the X-Request-Id header
  std::string model;       // which model answers it; empty: the server's default (its first) model
};

struct PredictTiming {
  double tokenize_ms = 0;   // validation, schema parsing, tokenization
  double queue_ms = 0;      // waiting for a device, summed over steps
  double inference_ms = 0;  // in device batches, summed over steps
  double total_ms = 0;
};

struct PredictResult {
  std::string output_json;           // {"output": [...]}: the reference pipeline's return value, as compact
                                     // JSON text (written once, straight into the HTTP answer)
  std::vector<std::string> devices;  // the devices that ran its steps, in order of first use
  PredictTiming timing;
  int tokens = 0;                    // text tokens
  int steps = 0;                     // device steps (1 text + one per schema level reached)
  std::size_t prompts = 0;           // hint+cross evaluations
};

// Exactly one of the two is set.
struct PredictOutcome {
  std::optional<PredictResult> result;
  std::optional<Error> error;
};
using PredictCallback = std::function<void(PredictOutcome)>;
using RequestId = std::uint64_t;

// One model of a server, as the Open Inference Protocol's repository extension reports it.
struct ModelStatus {
  std::string name;
  std::string state;   // "READY", "LOADING", "UNLOADING" or "UNAVAILABLE"
  std::string reason;  // why it is not READY (its last load's error, or that it was unloaded)
  std::string path;    // its model directory
};
// Called once when a load or unload has finished: without an error, or with why it failed.
using ModelCallback = std::function<void(std::optional<Error>)>;

inline constexpr std::size_t kCpuBatchTokens = 8192;

struct SchedulerOptions {
  bool dynamic_batching = true;           // off: a batch holds the work of one request only
  std::size_t max_batch_tokens = 0;       // per device batch (text + hint tokens); 0: each device's own
                                          // default (CPU: kCpuBatchTokens; a GPU: from its free memory)
  std::size_t max_batch_requests = 32;    // distinct requests per batch (legacy --max_batch_size)
  std::chrono::microseconds max_wait{2000};  // how long a free device waits to fill a batch
  std::size_t max_in_flight = 512;        // concurrency cap; beyond it predict() throws Overloaded (429)
  // A batch's finished steps (decoding, the next level's prompts, the answer) go to the completion
  // threads when their host work is expected to take longer than this, else the device's worker does
  // them. 300 µs: below it the hand-off cost more than it freed (null device, 2-core EPYC). 0: always.
  std::chrono::microseconds offload_min{300};
};

struct ServiceOptions {
  std::string model_path;
  std::string model_name;       // in the metrics' "model" label and models(); empty: no label
  std::shared_ptr<ServerMetrics> metrics;  // where to record (a ModelRepository's, labelled); null: its own
  std::string device = "auto";  // "auto" | "cpu" | "cuda:0" | "cuda:0,1"
  Precision cpu_precision = Precision::F32;
  Precision gpu_precision = Precision::F16;  // use_amp=false gives F32; amp_dtype picks F16 or BF16
  int cpu_threads = 0;                       // 0: all cores
  bool cpu_pin_threads = true;               // pin the inference threads when they cover every core
  bool layer_split = false;                  // first half of the layers on one GPU, the rest on another
  SchedulerOptions scheduler;
  PipelineLimits limits;
  std::string gpu_log_path;                  // empty: no GPU log
  int gpu_log_interval_s = 10;
};

class Service {
 public:
  virtual ~Service() = default;

  // Validates and queues a request. Throws Error synchronously (nothing queued, `done` never called) for
  // invalid input or a limit (400/413), overload (429), or shutdown (503). Otherwise `done` is called
  // exactly once with the result or an error (504 after the deadline): from a worker thread, or from the
  // thread calling cancel(). It must not block.
  virtual RequestId predict(PredictRequest request, std::chrono::steady_clock::time_point deadline,
                            PredictCallback done) = 0;
  // Stops a queued or running request (client gone, deadline passed): its remaining work is dropped and
  // `done` is called once with an error of kind `reason`, if it has not been called already.
  virtual void cancel(RequestId id, ErrorKind reason) = 0;

  // {"status", "model_loaded", "devices": [...], "queue_depth", "in_flight", "fallback_active",
  //  "gpu_utilization", "gpu_memory_used", "gpu_memory_total"} (the last three: the original app's fields)
  virtual nlohmann::ordered_json health() = 0;
  virtual bool live() = 0;   // the process is serving HTTP and its workers run
  virtual bool ready() = 0;  // model loaded, a device can serve, not shutting down
  virtual nlohmann::ordered_json info() = 0;  // model, config, version, devices
  virtual nlohmann::ordered_json fallback_to_cpu() = 0;  // {"status": "switched_to_cpu", ...}
  virtual nlohmann::ordered_json restore() = 0;          // {"status": "restored", ...}

  // Stops accepting work (predict() throws Unavailable) and waits until in-flight requests finish or
  // `timeout` passes; returns the number still unfinished.
  virtual std::size_t drain(std::chrono::milliseconds timeout) = 0;

  virtual ServerMetrics& metrics() = 0;

  // The models it serves, the default (the one a request without "model" gets) first.
  virtual std::vector<ModelStatus> models() = 0;
  // The repository extension: load or unload a model it knows, answering through `done` (from any
  // thread) once that has finished. Throws Error synchronously when it cannot start: NotFound for an
  // unknown name, Conflict while the model is already loading or unloading, Usage where the service has
  // one fixed model (the default).
  virtual void load_model(const std::string& name, ModelCallback done);
  virtual void unload_model(const std::string& name, ModelCallback done);
};

// "unknown model "x"; this server serves "a", "b"": the NotFound message of every protocol.
std::string unknown_model_message(const std::string& name, const std::vector<std::string>& served);
// The model of `service` named `name`; Error(NotFound) with that message when it serves none.
ModelStatus find_model(Service& service, const std::string& name);

}  // namespace uninlu
