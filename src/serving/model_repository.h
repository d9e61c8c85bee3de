#pragma once
// Several models behind one Service, as the Open Inference Protocol's model repository. Each model is a
// Service of its own (InferenceService: its weights on every device and its own scheduler, so a batch
// never mixes models), made by a factory from the server's options and the model's directory. A request
// names its model (PredictRequest::model; empty: the first). A model can be unloaded (new requests to it
// are refused with 503, those in flight finish, then its weights are freed) and loaded again while the
// others keep serving; the repository is the models the server was started with.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "serving/service.h"

namespace uninlu {

struct ModelSpec {
  std::string name;  // in /v2/models/{name} and /api/predict's "model"
  std::string path;  // its model directory
};

class ModelRepository final : public Service {
 public:
  using Factory = std::function<std::unique_ptr<Service>(const ServiceOptions&)>;

  // Loads every model now, in order; a model that fails stops the server (the factory's Error, usually
  // ModelLoad). `base` is what every model gets; its model_path, model_name and metrics are set per model
  // and the GPU log is the first model's. An unload waits at most `unload_grace` for requests in flight.
  ModelRepository(std::vector<ModelSpec> models, ServiceOptions base, Factory factory,
                  std::chrono::milliseconds unload_grace);
  ~ModelRepository() override;

  RequestId predict(PredictRequest request, std::chrono::steady_clock::time_point deadline,
                    PredictCallback done) override;
  void cancel(RequestId id, ErrorKind reason) override;
  nlohmann::ordered_json health() override;
  bool live() override;
  bool ready() override;
  nlohmann::ordered_json info() override;
  nlohmann::ordered_json fallback_to_cpu() override;
  nlohmann::ordered_json restore() override;
  std::size_t drain(std::chrono::milliseconds timeout) override;
  ServerMetrics& metrics() override { return *metrics_; }

  std::vector<ModelStatus> models() override;
  void load_model(const std::string& name, ModelCallback done) override;
  void unload_model(const std::string& name, ModelCallback done) override;

 private:
  struct Entry;
  Entry& entry(const std::string& name);  // Error(NotFound) naming the models there are
  ServiceOptions options_for(const Entry& entry) const;
  // A load or an unload: from `from` to `busy` while `finish` works on its own thread; a model already
  // `settled` answers at once; any other state is a Conflict.
  struct Change {
    const char* settled;
    const char* from;
    const char* busy;
    const char* reason;
  };
  void change(const std::string& name, const Change& how, void (ModelRepository::*finish)(Entry&, const ModelCallback&),
              ModelCallback done);
  void finish_load(Entry& entry, const ModelCallback& done);
  void finish_unload(Entry& entry, const ModelCallback& done);
  std::vector<std::shared_ptr<Service>> loaded();  // READY or UNLOADING, in order
  nlohmann::ordered_json models_json();
  nlohmann::ordered_json on_every_model(nlohmann::ordered_json (Service::*switch_devices)());

  ServiceOptions base_;
  Factory factory_;
  std::chrono::milliseconds unload_grace_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::vector<std::unique_ptr<Entry>> entries_;  // fixed at construction; their states change
  std::shared_mutex mutex_;                      // guards every entry's state and service
  std::atomic<bool> accepting_{true};
};

}  // namespace uninlu
