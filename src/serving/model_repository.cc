#include "serving/model_repository.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "serving/metrics.h"

namespace uninlu {

namespace {

// A request id names its model's slot and load (so that a cancel never reaches a later load's request)
// above the model's own id.
constexpr int kSlotShift = 56;
constexpr int kGenerationShift = 48;
constexpr RequestId kInnerMask = (RequestId{1} << kGenerationShift) - 1;
constexpr std::size_t kMaxModels = 256;

RequestId outer_id(std::size_t slot, std::uint8_t generation, RequestId inner) {
  return (static_cast<RequestId>(slot) << kSlotShift) | (static_cast<RequestId>(generation) << kGenerationShift) |
         (inner & kInnerMask);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct ModelRepository::Entry {
  ModelSpec spec;
  std::size_t slot = 0;
  std::string state = "UNAVAILABLE";
  std::string reason;
  std::shared_ptr<Service> service;  // while READY or UNLOADING
  std::uint8_t generation = 0;       // counts loads
  std::thread worker;                // the last load or unload
};

ModelRepository::ModelRepository(std::vector<ModelSpec> models, ServiceOptions base, Factory factory,
                                 std::chrono::milliseconds unload_grace)
    : base_(std::move(base)),
      factory_(std::move(factory)),
      unload_grace_(unload_grace),
      metrics_(std::make_shared<ServerMetrics>()) {
  if (models.empty()) fail(ErrorKind::Usage, "no model to serve");
  if (models.size() > kMaxModels) {
    fail(ErrorKind::Usage, std::to_string(models.size()) + " models; one server serves at most " +
                               std::to_string(kMaxModels));
  }
  for (auto& spec : models) {
    for (const auto& other : entries_) {
      if (other->spec.name == spec.name) {
        fail(ErrorKind::Usage, "two models are named \"" + spec.name + "\" (" + other->spec.path + " and " +
                                   spec.path + "): give each its own name, as NAME=PATH");
      }
    }
    auto entry = std::make_unique<Entry>();
    entry->spec = std::move(spec);
    entry->slot = entries_.size();
    entries_.push_back(std::move(entry));
  }
  for (auto& entry : entries_) {
    entry->service = factory_(options_for(*entry));
    entry->state = "READY";
    entry->generation = 1;
  }
}

ModelRepository::~ModelRepository() {
  for (auto& entry : entries_) {
    if (entry->worker.joinable()) entry->worker.join();
  }
  // Each model's service stops its own workers; the first (with the GPU log) last, as it was made first.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) (*it)->service.reset();
}

ServiceOptions ModelRepository::options_for(const Entry& entry) const {
  ServiceOptions options = base_;
  options.model_path = entry.spec.path;
  options.model_name = entry.spec.name;
  options.metrics = metrics_->for_model(entry.spec.name);
  if (entry.slot > 0) options.gpu_log_path.clear();  // one GPU log per process
  return options;
}

ModelRepository::Entry& ModelRepository::entry(const std::string& name) {
  for (auto& entry : entries_) {
    if (entry->spec.name == name) return *entry;
  }
  std::vector<std::string> served;
  for (const auto& entry : entries_) served.push_back(entry->spec.name);
  fail(ErrorKind::NotFound, unknown_model_message(name, served));
}

RequestId ModelRepository::predict(PredictRequest request, std::chrono::steady_clock::time_point deadline,
                                   PredictCallback done) {
  if (!accepting_.load()) fail(ErrorKind::Unavailable, "server is shutting down and takes no new requests");
  Entry& model = request.model.empty() ? *entries_.front() : entry(request.model);
  std::shared_ptr<Service> service;
  std::uint8_t generation = 0;
  {
    const std::shared_lock lock(mutex_);
    if (model.state != "READY") {
      fail(ErrorKind::Unavailable,
           std::string(request.model.empty() ? "the default model \"" : "model \"") + model.spec.name +
               "\" is not loaded (" + model.state + (model.reason.empty() ? "" : ": " + model.reason) +
               "); POST /v2/repository/models/" + model.spec.name + "/load loads it");
    }
    service = model.service;
    generation = model.generation;
  }
  const RequestId inner = service->predict(std::move(request), deadline, std::move(done));
  return outer_id(model.slot, generation, inner);
}

void ModelRepository::cancel(RequestId id, ErrorKind reason) {
  const std::size_t slot = static_cast<std::size_t>(id >> kSlotShift);
  const auto generation = static_cast<std::uint8_t>(id >> kGenerationShift);
  if (slot >= entries_.size()) return;
  std::shared_ptr<Service> service;
  {
    const std::shared_lock lock(mutex_);
    const Entry& model = *entries_[slot];
    if (model.generation == generation) service = model.service;
  }
  if (service) service->cancel(id & kInnerMask, reason);
}

std::vector<std::shared_ptr<Service>> ModelRepository::loaded() {
  std::vector<std::shared_ptr<Service>> out;
  const std::shared_lock lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry->service) out.push_back(entry->service);
  }
  return out;
}

std::vector<ModelStatus> ModelRepository::models() {
  std::vector<ModelStatus> out;
  const std::shared_lock lock(mutex_);
  for (const auto& entry : entries_) out.push_back({entry->spec.name, entry->state, entry->reason, entry->spec.path});
  return out;
}

nlohmann::ordered_json ModelRepository::models_json() {
  auto out = nlohmann::ordered_json::array();
  for (const auto& model : models()) {
    out.push_back({{"name", model.name}, {"state", model.state}, {"reason", model.reason}, {"path", model.path}});
  }
  return out;
}

// The first loaded model speaks for the devices (every model runs on the same ones); "models" lists all.
nlohmann::ordered_json ModelRepository::health() {
  const auto services = loaded();
  nlohmann::ordered_json out;
  if (services.empty()) {
    out = {{"status", "unavailable"}, {"model_loaded", false}};
  } else {
    out = services.front()->health();
  }
  out["models"] = models_json();
  return out;
}

nlohmann::ordered_json ModelRepository::info() {
  const auto services = loaded();
  nlohmann::ordered_json out = services.empty() ? nlohmann::ordered_json::object() : services.front()->info();
  out["models"] = models_json();
  return out;
}

bool ModelRepository::live() {
  for (const auto& service : loaded()) {
    if (!service->live()) return false;
  }
  return true;
}

// Ready while some model is READY and every READY model can serve. A model being unloaded is draining
// (its own ready() is false) and does not count: unloading one model must not take the server out of
// its load balancer.
bool ModelRepository::ready() {
  if (!accepting_.load()) return false;
  std::vector<std::shared_ptr<Service>> serving;
  {
    const std::shared_lock lock(mutex_);
    for (const auto& entry : entries_) {
      if (entry->state == "READY") serving.push_back(entry->service);
    }
  }
  return !serving.empty() &&
         std::all_of(serving.begin(), serving.end(), [](const auto& service) { return service->ready(); });
}

// Every loaded model runs on the same devices, so each is switched; the first one's answer speaks for all.
nlohmann::ordered_json ModelRepository::on_every_model(nlohmann::ordered_json (Service::*switch_devices)()) {
  nlohmann::ordered_json out;
  for (const auto& service : loaded()) {
    auto answer = ((*service).*switch_devices)();
    if (out.is_null()) out = std::move(answer);
  }
  if (out.is_null()) fail(ErrorKind::Unavailable, "no model is loaded");
  return out;
}

nlohmann::ordered_json ModelRepository::fallback_to_cpu() { return on_every_model(&Service::fallback_to_cpu); }
nlohmann::ordered_json ModelRepository::restore() { return on_every_model(&Service::restore); }

std::size_t ModelRepository::drain(std::chrono::milliseconds timeout) {
  accepting_ = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t unfinished = 0;
  for (const auto& service : loaded()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    unfinished += service->drain(std::max(left, std::chrono::milliseconds(0)));
  }
  return unfinished;
}

void ModelRepository::load_model(const std::string& name, ModelCallback done) {
  if (!accepting_.load()) fail(ErrorKind::Unavailable, "server is shutting down and loads no model");
  // A loaded model stays as it is: a new version would be a new directory, which this repository lacks.
  change(name, {"READY", "UNAVAILABLE", "LOADING", ""}, &ModelRepository::finish_load, std::move(done));
}

void ModelRepository::unload_model(const std::string& name, ModelCallback done) {
  change(name, {"UNAVAILABLE", "READY", "UNLOADING", "unloading: finishing its requests in flight"},
         &ModelRepository::finish_unload, std::move(done));
}

void ModelRepository::change(const std::string& name, const Change& how,
                             void (ModelRepository::*finish)(Entry&, const ModelCallback&), ModelCallback done) {
  Entry& model = entry(name);
  std::thread previous;
  {
    const std::unique_lock lock(mutex_);
    if (model.state == how.settled) {
      // Already there: nothing to do, answered below.
    } else if (model.state != how.from) {
      fail(ErrorKind::Conflict, "model \"" + name + "\" is " + model.state + "; try again when that has finished");
    } else {
      model.state = how.busy;
      model.reason = how.reason;
      previous = std::move(model.worker);
      model.worker = std::thread([this, &model, finish, done = std::move(done)] { (this->*finish)(model, done); });
      done = nullptr;
    }
  }
  if (previous.joinable()) previous.join();  // its work was done: it set the state we just read
  if (done) done(std::nullopt);
}

void ModelRepository::finish_load(Entry& model, const ModelCallback& done) {
  const auto start = std::chrono::steady_clock::now();
  spdlog::info("loading model {} from {}", model.spec.name, model.spec.path);
  std::shared_ptr<Service> service;
  std::optional<Error> error;
  try {
    service = factory_(options_for(model));
  } catch (const Error& e) {
    error = e;
  } catch (const std::exception& e) {
    error = Error(ErrorKind::ModelLoad, e.what());
  }
  {
    const std::unique_lock lock(mutex_);
    if (service) {
      model.service = service;
      ++model.generation;
      model.state = "READY";
    } else {
      model.state = "UNAVAILABLE";
      model.reason = error->what();
    }
  }
  if (error) {
    spdlog::error("model {} failed to load: {}", model.spec.name, error->what());
  } else {
    spdlog::info("model {} loaded in {:.2f} s", model.spec.name, seconds_since(start));
  }
  done(error);
}

void ModelRepository::finish_unload(Entry& model, const ModelCallback& done) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<Service> service;
  {
    const std::shared_lock lock(mutex_);
    service = model.service;
  }
  // Requests in flight finish (or are abandoned after the grace); new ones already get 503.
  const std::size_t abandoned = service->drain(unload_grace_);
  std::shared_ptr<Service> gone;
  {
    const std::unique_lock lock(mutex_);
    gone = std::move(model.service);
    model.state = "UNAVAILABLE";
    model.reason = "unloaded";
  }
  gone.reset();
  service.reset();  // the last owner unless a cancel is holding it for a moment: frees the weights
  if (abandoned > 0) {
    spdlog::warn("model {} unloaded with {} request(s) unfinished after {} ms", model.spec.name, abandoned,
                 unload_grace_.count());
  }
  spdlog::info("model {} unloaded in {:.2f} s", model.spec.name, seconds_since(start));
  done(std::nullopt);
}

}  // namespace uninlu
