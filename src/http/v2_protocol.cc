#include "http/v2_protocol.h"

#include <limits>

#include "core/error.h"
#include "http/json_response.h"
#include "http/predict_request.h"

namespace uninlu {

namespace {

using Json = nlohmann::ordered_json;

Json tensor_metadata(std::string_view name, std::string_view datatype, long long dim) {
  return Json{{"name", name}, {"datatype", datatype}, {"shape", Json::array({dim})}};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%41" → "A"; a malformed escape is kept as sent (it then names no model).
std::string percent_decoded(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view rest) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = rest.find('/', start);
    parts.push_back(rest.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

[[noreturn]] void invalid(const std::string& message) { fail(ErrorKind::InvalidInput, message); }

// A $parameters object: values are strings, numbers or booleans (the protocol's rule).
void check_parameters(const Json& parameters, const std::string& where) {
  if (!parameters.is_object()) invalid(where + " must be an object, not " + json_type_name(parameters));
  for (const auto& [key, value] : parameters.items()) {
    if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      invalid(where + "." + key + " must be a string, number or boolean, not " + json_type_name(value));
    }
  }
}

// Row-major elements of flat or nested "data".
void flatten(const Json& data, std::vector<const Json*>& out) {
  if (!data.is_array()) {
    out.push_back(&data);
    return;
  }
  for (const Json& item : data) flatten(item, out);
}

struct Tensor {
  std::string name;
  std::size_t elements = 0;
  std::vector<const Json*> data;
};

Tensor read_input(const Json& input, std::size_t index) {
  const std::string where = "inputs[" + std::to_string(index) + "]";
  if (!input.is_object()) invalid(where + " must be an object {\"name\", \"shape\", \"datatype\", \"data\"}");
  const auto name = input.find("name");
  if (name == input.end() || !name->is_string()) invalid(where + ".name must be a string (the tensor's name)");
  Tensor tensor;
  tensor.name = name->get<std::string>();
  const std::string label = "input \"" + tensor.name + "\"";

  const auto shape = input.find("shape");
  if (shape == input.end() || !shape->is_array()) invalid(label + ": \"shape\" must be an array of dimensions");
  std::size_t elements = 1;
  for (const Json& dim : *shape) {
    const bool non_negative = dim.is_number_unsigned() || (dim.is_number_integer() && dim.get<long long>() >= 0);
    if (!non_negative) invalid(label + ": shape dimensions must be non-negative integers, not " + dim.dump());
    const auto d = dim.get<unsigned long long>();
    if (d != 0 && elements > std::numeric_limits<std::size_t>::max() / d) invalid(label + ": shape is too large");
    elements *= static_cast<std::size_t>(d);
  }
  tensor.elements = elements;

  if (!input.contains("datatype") || !input["datatype"].is_string())
    invalid(label + ": \"datatype\" must be a string such as \"BYTES\"");
  const auto params = input.find("parameters");
  if (params != input.end() && !params->is_null()) {
    check_parameters(*params, label + " parameters");
    if (params->contains("binary_data_size")) {
      invalid(label +
              ": binary tensor data (binary_data_size) is not supported; send the elements as JSON in \"data\"");
    }
  }
  const auto data = input.find("data");
  if (data == input.end() || !data->is_array()) invalid(label + ": \"data\" must be an array of the tensor's elements");
  flatten(*data, tensor.data);
  if (tensor.data.size() != elements) {
    invalid(label + ": \"data\" has " + std::to_string(tensor.data.size()) + " elements but shape " + shape->dump() +
            " needs " + std::to_string(elements));
  }
  // The datatype is checked by the caller, which knows which one the tensor takes.
  const std::string datatype = input["datatype"].get<std::string>();
  if (tensor.name == "output_all_prefix") {
    if (datatype != "BOOL") invalid(label + ": datatype must be BOOL, not " + datatype);
  } else if (tensor.name == "text" || tensor.name == "schema") {
    if (datatype != "BYTES") invalid(label + ": datatype must be BYTES (strings), not " + datatype);
  }
  return tensor;
}

std::vector<std::string> strings_of(const Tensor& tensor) {
  std::vector<std::string> out;
  out.reserve(tensor.data.size());
  for (std::size_t i = 0; i < tensor.data.size(); ++i) {
    const Json& element = *tensor.data[i];
    if (!element.is_string()) {
      invalid("input \"" + tensor.name + "\": element " + std::to_string(i) + " must be a string, not " +
              json_type_name(element));
    }
    out.push_back(element.get<std::string>());
  }
  return out;
}

void check_requested_outputs(const Json& outputs) {
  if (!outputs.is_array()) invalid("\"outputs\" must be an array of {\"name\": ...} objects");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Json& output = outputs[i];
    const std::string where = "outputs[" + std::to_string(i) + "]";
    if (!output.is_object() || !output.contains("name") || !output["name"].is_string())
      invalid(where + " must be an object with a string \"name\"");
    if (output["name"] != "result") {
      invalid(where + ": unknown output \"" + output["name"].get<std::string>() +
              "\"; the model's output is \"result\"");
    }
    // binary_data and the like are accepted and answered as JSON, which every client reads.
    if (output.contains("parameters") && !output["parameters"].is_null())
      check_parameters(output["parameters"], where + ".parameters");
  }
}

}  // namespace

Json v2_server_metadata(std::string_view server_version) {
  return Json{{"name", "uninlu"}, {"version", server_version}, {"extensions", Json::array({"model_repository"})}};
}

Json v2_model_metadata(const V2Model& model) {
  Json j;
  j["name"] = model.name;
  j["versions"] = Json::array({model.version});
  j["platform"] = "uninlu_siamese-uninlu";
  j["inputs"] = Json::array({tensor_metadata("text", "BYTES", -1), tensor_metadata("schema", "BYTES", -1),
                             tensor_metadata("output_all_prefix", "BOOL", 1)});
  j["outputs"] = Json::array({tensor_metadata("result", "BYTES", -1)});
  return j;
}

Json v2_model_ready(const V2Model& model, bool ready) { return Json{{"name", model.name}, {"ready", ready}}; }

std::optional<V2ModelPath> parse_v2_model_path(std::string_view path) {
  constexpr std::string_view prefix = "/v2/models/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::vector<std::string_view> parts = split_path(path.substr(prefix.size()));
  if (parts[0].empty()) return std::nullopt;
  V2ModelPath out;
  out.model = percent_decoded(parts[0]);
  std::size_t next = 1;
  if (parts.size() >= 3 && parts[1] == "versions") {
    if (parts[2].empty()) return std::nullopt;
    out.version = percent_decoded(parts[2]);
    next = 3;
  }
  const std::size_t left = parts.size() - next;
  if (left == 0) return out;
  if (left == 1 && parts[next] == "ready") {
    out.action = V2ModelPath::Action::Ready;
    return out;
  }
  if (left == 1 && parts[next] == "infer") {
    out.action = V2ModelPath::Action::Infer;
    return out;
  }
  return std::nullopt;
}

void check_v2_input_sizes(std::optional<std::size_t> texts, std::optional<std::size_t> schemas,
                         std::optional<std::size_t> output_all_prefix, std::size_t max_items) {
  if (!texts) invalid(R"(missing input "text" (BYTES, shape [N]: the texts))");
  if (!schemas) invalid(R"(missing input "schema" (BYTES, shape [N] or [1]: a JSON object such as {"人物": null}))");
  if (*texts == 0) invalid("input \"text\" has no elements: send at least one text");
  if (*texts > max_items) {
    fail(ErrorKind::LimitExceeded, "input \"text\" has " + std::to_string(*texts) + " elements; at most " +
                                       std::to_string(max_items) + " are allowed (max_batch_items): split it");
  }
  if (*schemas != 1 && *schemas != *texts) {
    invalid("input \"schema\" has " + std::to_string(*schemas) + " elements; it needs 1 (for every text) or " +
            std::to_string(*texts) + " (one per text)");
  }
  if (output_all_prefix && *output_all_prefix != 1) invalid("input \"output_all_prefix\" must have shape [1]");
}

V2InferRequest parse_v2_infer_request(const Json& body, std::size_t max_items) {
  if (!body.is_object()) {
    invalid(R"(the request body must be a JSON object {"inputs": [...]} (Open Inference Protocol), not )" +
            json_type_name(body));
  }
  V2InferRequest request;
  if (const auto id = body.find("id"); id != body.end() && !id->is_null()) {
    if (!id->is_string()) invalid("\"id\" must be a string, not " + json_type_name(*id));
    request.id = id->get<std::string>();
  }
  if (const auto params = body.find("parameters"); params != body.end() && !params->is_null()) {
    check_parameters(*params, "parameters");
  }
  if (const auto outputs = body.find("outputs"); outputs != body.end() && !outputs->is_null()) {
    check_requested_outputs(*outputs);
  }
  const auto inputs = body.find("inputs");
  if (inputs == body.end() || !inputs->is_array()) {
    invalid(
        R"(missing "inputs": an array of tensors, "text" and "schema" (BYTES) and optionally "output_all_prefix" (BOOL))");
  }
  V2Inputs<Tensor> given;
  for (std::size_t i = 0; i < inputs->size(); ++i) given.put(read_input((*inputs)[i], i));
  given.check(max_items);
  request.texts = strings_of(*given.text);
  request.schemas = strings_of(*given.schema);
  if (given.output_all_prefix) {
    const Json& flag = *given.output_all_prefix->data[0];
    if (!flag.is_boolean())
      invalid("input \"output_all_prefix\": the element must be true or false, not " + json_type_name(flag));
    request.output_all_prefix = flag.get<bool>();
  }
  return request;
}

bool V2InferResults::complete(std::size_t i, PredictOutcome outcome) {
  {
    const std::lock_guard lock(mutex_);
    if (outcome.result) {
      results_[i] = std::move(outcome.result->output_json);
    } else if (!error_ || i < error_index_) {
      error_ = outcome.error.value_or(Error(ErrorKind::Internal, "the prediction finished without a result (a bug)"));
      error_index_ = i;
    }
  }
  return release();
}

bool V2InferResults::release() {
  const std::lock_guard lock(mutex_);
  return --remaining_ == 0;
}

std::optional<Error> V2InferResults::error() const {
  if (!error_) return std::nullopt;
  const std::string where = results_.size() > 1 ? "text " + std::to_string(error_index_) + ": " : "";
  return Error(error_->kind(), where + error_->what());
}

PredictRequest v2_predict_request(const V2InferRequest& request, std::size_t i, std::string request_id) {
  PredictRequest out;
  out.text = request.texts.at(i);
  out.schema = request.schemas.size() == 1 ? request.schemas[0] : request.schemas.at(i);
  out.output_all_prefix = request.output_all_prefix;
  out.request_id = std::move(request_id);
  return out;
}

Json v2_infer_response(const V2Model& model, const std::optional<std::string>& id,
                       const std::vector<std::string>& results) {
  Json data = Json::array();
  for (const std::string& result : results) data.push_back(result);
  Json j;
  j["model_name"] = model.name;
  j["model_version"] = model.version;
  if (id) j["id"] = *id;
  j["outputs"] = Json::array({Json{
      {"name", "result"}, {"shape", Json::array({results.size()})}, {"datatype", "BYTES"}, {"data", std::move(data)}}});
  return j;
}

Json v2_error_body(std::string_view message) { return Json{{"error", message}}; }

}  // namespace uninlu
