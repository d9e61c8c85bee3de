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

}  // namespace uninlu
