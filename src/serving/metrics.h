#pragma once
// Everything /metrics shows, on prometheus-cpp (Debian's prometheus-cpp-dev): one registry, typed
// helpers so callers cannot misspell a metric, and text exposition for the route.
// Label values must have bounded cardinality: callers pass route templates ("/api/predict", "other"),
// never raw paths. A server of several models records each model's scheduling and device series with a
// "model" label, through a view from for_model() that shares the registry.
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace uninlu {

class ServerMetrics {
 public:
  ServerMetrics();
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // The same registry, with model="<model>" on every series but the HTTP and the physical GPU ones.
  std::shared_ptr<ServerMetrics> for_model(std::string model) const;

  // HTTP layer: one call per response.
  void observe_http(std::string_view route, std::string_view method, int status, double seconds);

  // Scheduler: one call per finished request (ok or failed) and per device batch.
  void observe_request(double queue_seconds, double inference_seconds, double total_seconds);
  void observe_batch(std::string_view device, std::string_view stage, std::size_t items, std::size_t tokens,
                     double seconds);
  void set_queue_depth(double items);
  void set_in_flight(double requests);
  void count_rejected(std::string_view reason);  // "overloaded", "timeout", "cancelled", "shutdown"

  // Devices.
  void set_device_state(std::string_view device, std::string_view state);  // healthy|degraded|disabled|standby
  void count_device_fault(std::string_view device);
  void count_batch_retry(std::string_view from_device);
  void set_device_memory(std::string_view device, double used_bytes, double total_bytes);
  void set_gpu_sample(std::string_view device, double utilization_percent, double temperature_c,
                      double ecc_errors);
  void set_fallback_active(bool active);

  // Prometheus text exposition format (version 0.0.4).
  std::string serialize() const;

 private:
  struct Families;
  using Labels = std::map<std::string, std::string>;
  ServerMetrics(std::shared_ptr<prometheus::Registry> registry, std::shared_ptr<Families> families,
                std::string model);
  Labels labelled(Labels labels) const;  // adds the model label, if any

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Families> f_;
  std::string model_;
};

}  // namespace uninlu
