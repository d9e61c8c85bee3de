#include "serving/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <mutex>

namespace uninlu {

namespace {

using prometheus::Histogram;

// Latency buckets from 0.5 ms to 30 s.
const Histogram::BucketBoundaries& latency_buckets() {
  static const Histogram::BucketBoundaries b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,   0.5,   1.0,    2.5,   5.0,  10.0,  30.0};
  return b;
}
const Histogram::BucketBoundaries& count_buckets() {
  static const Histogram::BucketBoundaries b = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  return b;
}
const Histogram::BucketBoundaries& token_buckets() {
  static const Histogram::BucketBoundaries b = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
  return b;
}

std::string s(std::string_view v) { return std::string(v); }

}  // namespace

struct ServerMetrics::Families {
  prometheus::Family<prometheus::Counter>* http_requests;
  prometheus::Family<Histogram>* http_duration;
  prometheus::Family<Histogram>* queue_time;
  prometheus::Family<Histogram>* inference_time;
  prometheus::Family<Histogram>* request_time;
  prometheus::Family<Histogram>* batch_items;
  prometheus::Family<Histogram>* batch_tokens;
  prometheus::Family<Histogram>* batch_seconds;
  prometheus::Family<prometheus::Counter>* device_busy;
  prometheus::Family<prometheus::Counter>* device_batches;
  prometheus::Family<prometheus::Counter>* device_faults;
  prometheus::Family<prometheus::Counter>* batch_retries;
  prometheus::Family<prometheus::Counter>* rejected;
  prometheus::Family<prometheus::Gauge>* queue_depth;
  prometheus::Family<prometheus::Gauge>* in_flight;
  prometheus::Family<prometheus::Gauge>* device_state;
  prometheus::Family<prometheus::Gauge>* device_memory_used;
  prometheus::Family<prometheus::Gauge>* device_memory_total;
  prometheus::Family<prometheus::Gauge>* gpu_utilization;
  prometheus::Family<prometheus::Gauge>* gpu_temperature;
  prometheus::Family<prometheus::Gauge>* gpu_ecc;
  prometheus::Family<prometheus::Gauge>* fallback;
  std::mutex state_mutex;  // device state gauges are set as a group
};

ServerMetrics::ServerMetrics() : registry_(std::make_shared<prometheus::Registry>()), f_(std::make_shared<Families>()) {
  auto& r = *registry_;
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  f_->http_requests = &BuildCounter().Name("uninlu_http_requests_total").Help("HTTP responses by route, method and status").Register(r);
  f_->http_duration = &BuildHistogram().Name("uninlu_http_request_duration_seconds").Help("Time from request read to response written, by route").Register(r);
  f_->request_time = &BuildHistogram().Name("uninlu_request_duration_seconds").Help("Prediction time from queueing to result").Register(r);
  f_->queue_time = &BuildHistogram().Name("uninlu_queue_duration_seconds").Help("Time a prediction waited for devices, summed over its steps").Register(r);
  f_->inference_time = &BuildHistogram().Name("uninlu_inference_duration_seconds").Help("Time a prediction spent in device batches, summed over its steps").Register(r);
  f_->batch_items = &BuildHistogram().Name("uninlu_batch_size").Help("Items (text windows or prompts) per device batch").Register(r);
  f_->batch_tokens = &BuildHistogram().Name("uninlu_batch_tokens").Help("Tokens per device batch").Register(r);
  f_->batch_seconds = &BuildHistogram().Name("uninlu_batch_duration_seconds").Help("Device time per batch").Register(r);
  f_->device_busy = &BuildCounter().Name("uninlu_device_busy_seconds_total").Help("Time each device spent running batches").Register(r);
  f_->device_batches = &BuildCounter().Name("uninlu_device_batches_total").Help("Batches run per device and stage").Register(r);
  f_->device_faults = &BuildCounter().Name("uninlu_device_faults_total").Help("Batches that failed on a device (CUDA error, out of memory)").Register(r);
  f_->batch_retries = &BuildCounter().Name("uninlu_batch_retries_total").Help("Batches moved to another device after a fault").Register(r);
  f_->rejected = &BuildCounter().Name("uninlu_requests_rejected_total").Help("Predictions refused or abandoned, by reason").Register(r);
  f_->queue_depth = &BuildGauge().Name("uninlu_queue_depth").Help("Work items waiting for a device").Register(r);
  f_->in_flight = &BuildGauge().Name("uninlu_requests_in_flight").Help("Predictions accepted and not finished").Register(r);
  f_->device_state = &BuildGauge().Name("uninlu_device_state").Help("1 for the state each device is in").Register(r);
  f_->device_memory_used = &BuildGauge().Name("uninlu_device_memory_used_bytes").Help("Memory used on each device").Register(r);
  f_->device_memory_total = &BuildGauge().Name("uninlu_device_memory_total_bytes").Help("Memory of each device").Register(r);
  f_->gpu_utilization = &BuildGauge().Name("uninlu_gpu_utilization_percent").Help("GPU utilization from NVML").Register(r);
  f_->gpu_temperature = &BuildGauge().Name("uninlu_gpu_temperature_celsius").Help("GPU temperature from NVML").Register(r);
  f_->gpu_ecc = &BuildGauge().Name("uninlu_gpu_ecc_errors").Help("Uncorrected volatile ECC errors from NVML").Register(r);
  f_->fallback = &BuildGauge().Name("uninlu_fallback_active").Help("1 while serving was moved to the CPU by /api/fallback").Register(r);
}

ServerMetrics::ServerMetrics(std::shared_ptr<prometheus::Registry> registry, std::shared_ptr<Families> families,
                             std::string model)
    : registry_(std::move(registry)), f_(std::move(families)), model_(std::move(model)) {}

ServerMetrics::~ServerMetrics() = default;

std::shared_ptr<ServerMetrics> ServerMetrics::for_model(std::string model) const {
  return std::shared_ptr<ServerMetrics>(new ServerMetrics(registry_, f_, std::move(model)));
}

ServerMetrics::Labels ServerMetrics::labelled(Labels labels) const {
  if (!model_.empty()) labels.emplace("model", model_);
  return labels;
}

void ServerMetrics::observe_http(std::string_view route, std::string_view method, int status, double seconds) {
  f_->http_requests->Add({{"route", s(route)}, {"method", s(method)}, {"status", std::to_string(status)}}).Increment();
  f_->http_duration->Add({{"route", s(route)}}, latency_buckets()).Observe(seconds);
}

void ServerMetrics::observe_request(double queue_seconds, double inference_seconds, double total_seconds) {
  f_->queue_time->Add(labelled({}), latency_buckets()).Observe(queue_seconds);
  f_->inference_time->Add(labelled({}), latency_buckets()).Observe(inference_seconds);
  f_->request_time->Add(labelled({}), latency_buckets()).Observe(total_seconds);
}

void ServerMetrics::observe_batch(std::string_view device, std::string_view stage, std::size_t items,
                                  std::size_t tokens, double seconds) {
  f_->batch_items->Add(labelled({{"stage", s(stage)}}), count_buckets()).Observe(static_cast<double>(items));
  f_->batch_tokens->Add(labelled({{"stage", s(stage)}}), token_buckets()).Observe(static_cast<double>(tokens));
  f_->batch_seconds->Add(labelled({{"device", s(device)}, {"stage", s(stage)}}), latency_buckets()).Observe(seconds);
  f_->device_busy->Add(labelled({{"device", s(device)}})).Increment(seconds);
  f_->device_batches->Add(labelled({{"device", s(device)}, {"stage", s(stage)}})).Increment();
}

void ServerMetrics::set_queue_depth(double items) { f_->queue_depth->Add(labelled({})).Set(items); }
void ServerMetrics::set_in_flight(double requests) { f_->in_flight->Add(labelled({})).Set(requests); }
void ServerMetrics::count_rejected(std::string_view reason) { f_->rejected->Add(labelled({{"reason", s(reason)}})).Increment(); }

void ServerMetrics::set_device_state(std::string_view device, std::string_view state) {
  static constexpr std::array<std::string_view, 4> kStates = {"healthy", "degraded", "disabled", "standby"};
  std::lock_guard lock(f_->state_mutex);
  for (auto candidate : kStates) {
    f_->device_state->Add(labelled({{"device", s(device)}, {"state", s(candidate)}})).Set(candidate == state ? 1 : 0);
  }
}

void ServerMetrics::count_device_fault(std::string_view device) { f_->device_faults->Add(labelled({{"device", s(device)}})).Increment(); }
void ServerMetrics::count_batch_retry(std::string_view from_device) {
  f_->batch_retries->Add(labelled({{"from_device", s(from_device)}})).Increment();
}

void ServerMetrics::set_device_memory(std::string_view device, double used_bytes, double total_bytes) {
  f_->device_memory_used->Add({{"device", s(device)}}).Set(used_bytes);
  f_->device_memory_total->Add({{"device", s(device)}}).Set(total_bytes);
}

void ServerMetrics::set_gpu_sample(std::string_view device, double utilization_percent, double temperature_c,
                                   double ecc_errors) {
  f_->gpu_utilization->Add({{"device", s(device)}}).Set(utilization_percent);
  f_->gpu_temperature->Add({{"device", s(device)}}).Set(temperature_c);
  f_->gpu_ecc->Add({{"device", s(device)}}).Set(ecc_errors);
}

void ServerMetrics::set_fallback_active(bool active) { f_->fallback->Add(labelled({})).Set(active ? 1 : 0); }

std::string ServerMetrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace uninlu
