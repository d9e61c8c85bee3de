#pragma once
// The Open Inference Protocol (KServe v2) for the one model this server runs: path parsing, the infer
// request checked into plain structs, and the metadata and infer answers built as JSON. No HTTP or
// Service here, so that the REST routes (v2_routes.h) and a later gRPC front end share it; a model
// registry would hand these functions a different V2Model per name.
// Spec: github.com/kserve/open-inference-protocol, specification/protocol/inference_rest.md.
#include <cstddef>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "serving/service.h"

namespace uninlu {

inline constexpr std::string_view kV2ModelVersion = "1";  // the one version a model has

struct V2Model {
  std::string name;  // as in /v2/models/{name}
  std::string version{kV2ModelVersion};
};

// GET /v2: {"name", "version", "extensions"}.
nlohmann::ordered_json v2_server_metadata(std::string_view server_version);

// GET /v2/models/{name}: name, versions, platform, and the tensors: inputs text BYTES [-1], schema
// BYTES [-1] (N, or 1 for all texts), output_all_prefix BOOL [1] (optional); output result BYTES [-1].
nlohmann::ordered_json v2_model_metadata(const V2Model& model);

// GET /v2/models/{name}/ready.
nlohmann::ordered_json v2_model_ready(const V2Model& model, bool ready);

// What a path under /v2/models/ asks for. Segments are percent-decoded.
struct V2ModelPath {
  enum class Action { Metadata, Ready, Infer };
  std::string model;
  std::optional<std::string> version;  // set for /versions/{version}/...
  Action action = Action::Metadata;
};
// nullopt: not a model route of the protocol (e.g. /v2/models/m/unknown): the caller answers 404.
std::optional<V2ModelPath> parse_v2_model_path(std::string_view path);

// An infer request after its checks: N texts, their schemas (N, or 1 shared by all), the flag.
struct V2InferRequest {
  std::optional<std::string> id;  // echoed in the answer
  std::vector<std::string> texts;
  std::vector<std::string> schemas;  // each a JSON object as text, as /api/predict takes a string schema
  bool output_all_prefix = false;
};

// The checks on the inputs' element counts that do not depend on the encoding (JSON here, protobuf in
// src/grpc/): a missing text or schema, no texts, more than `max_items` texts (LimitExceeded), a schema
// count that is neither 1 nor N, an output_all_prefix that is not [1]. nullopt: the input is absent.
void check_v2_input_sizes(std::optional<std::size_t> texts, std::optional<std::size_t> schemas,
                         std::optional<std::size_t> output_all_prefix, std::size_t max_items);

// The model's three inputs as an encoding reads them (T: its tensor, with `name` and `elements`), so
// that JSON and protobuf sort and check them alike: put() refuses an unknown or repeated name
// (Error(InvalidInput)); check() then applies check_v2_input_sizes.
template <class T>
struct V2Inputs {
  std::optional<T> text;
  std::optional<T> schema;
  std::optional<T> output_all_prefix;

  void put(T tensor) {
    std::optional<T>* slot = tensor.name == "text"                ? &text
                             : tensor.name == "schema"            ? &schema
                             : tensor.name == "output_all_prefix" ? &output_all_prefix
                                                                  : nullptr;
    if (slot == nullptr) {
      fail(ErrorKind::InvalidInput,
           "unknown input \"" + tensor.name + "\"; the model takes \"text\", \"schema\" and \"output_all_prefix\"");
    }
    if (slot->has_value()) fail(ErrorKind::InvalidInput, "input \"" + tensor.name + "\" is given twice");
    *slot = std::move(tensor);
  }

  void check(std::size_t max_items) const {
    const auto elements = [](const std::optional<T>& t) { return t ? std::optional(t->elements) : std::nullopt; };
    check_v2_input_sizes(elements(text), elements(schema), elements(output_all_prefix), max_items);
  }
};

// Checks the body of POST .../infer: Error(InvalidInput) naming the tensor and what is wrong (unknown
// or missing input, datatype, shape against data, element types, binary data); Error(LimitExceeded)
// for more than `max_items` texts.
V2InferRequest parse_v2_infer_request(const nlohmann::ordered_json& body, std::size_t max_items);

// Text i as /api/predict would take it; `request_id` names it in logs.
PredictRequest v2_predict_request(const V2InferRequest& request, std::size_t i, std::string request_id);

// The answers of an infer request's N texts, collected in order as they finish, from any thread. One
// failed text fails the request (the protocol has no per-element errors): the first failed by index.
// The submitting loop holds a share too, so that the request is not answered while texts are still being
// submitted. complete() and release() return true for the one call that finishes the request; after it
// error() and results() are final.
class V2InferResults {
 public:
  explicit V2InferResults(std::size_t n) : results_(n), remaining_(n + 1) {}
  bool complete(std::size_t i, PredictOutcome outcome);
  bool release();  // the submitting loop's share
  // The first failed text's error, "text i: " before its message when there are several texts.
  std::optional<Error> error() const;
  const std::vector<std::string>& results() const { return results_; }

 private:
  std::mutex mutex_;
  std::vector<std::string> results_;
  std::optional<Error> error_;
  std::size_t error_index_ = 0;
  std::size_t remaining_;
};

// The answer: model_name, model_version, id (when the request had one) and the output tensor "result",
// BYTES [N], each element the JSON text of /api/predict's "result" for that text (`results`: those texts,
// compact, as the service writes them).
nlohmann::ordered_json v2_infer_response(const V2Model& model, const std::optional<std::string>& id,
                                         const std::vector<std::string>& results);

// The protocol's error object: {"error": message}.
nlohmann::ordered_json v2_error_body(std::string_view message);

}  // namespace uninlu
