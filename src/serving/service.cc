#include "serving/service.h"

namespace uninlu {

// A Service with one fixed model (InferenceService alone, the tests' fakes) has nothing to load or
// unload; ModelRepository overrides both.
void Service::load_model(const std::string& name, ModelCallback /*done*/) {
  fail(ErrorKind::Usage, "model \"" + name + "\" cannot be loaded: this service has one fixed model");
}

void Service::unload_model(const std::string& name, ModelCallback /*done*/) {
  fail(ErrorKind::Usage, "model \"" + name + "\" cannot be unloaded: this service has one fixed model");
}

std::string unknown_model_message(const std::string& name, const std::vector<std::string>& served) {
  std::string names;
  for (const auto& model : served) names += (names.empty() ? "\"" : ", \"") + model + "\"";
  return "unknown model \"" + name + "\"; this server serves " + names;
}

ModelStatus find_model(Service& service, const std::string& name) {
  std::vector<std::string> served;
  for (auto& model : service.models()) {
    if (model.name == name) return model;
    served.push_back(model.name);
  }
  fail(ErrorKind::NotFound, unknown_model_message(name, served));
}

}  // namespace uninlu
