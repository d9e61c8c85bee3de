#include "grpc/infer_codec.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "core/error.h"

namespace uninlu {

namespace {

[[noreturn]] void invalid(const std::string& message) { fail(ErrorKind::InvalidInput, message); }

std::string shape_text(const google::protobuf::RepeatedField<std::int64_t>& shape) {
  std::string out = "[";
  for (int i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(shape[i]);
  }
  out += ']';
  return out;
}

std::size_t element_count(const inference::ModelInferRequest::InferInputTensor& input, const std::string& label) {
  std::size_t elements = 1;
  for (const std::int64_t dim : input.shape()) {
    if (dim < 0) invalid(label + ": shape dimensions must be non-negative integers, not " + std::to_string(dim));
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && elements > std::numeric_limits<std::size_t>::max() / d) invalid(label + ": shape is too large");
    elements *= static_cast<std::size_t>(d);
  }
  return elements;
}

// BYTES elements in raw form: each a 4-byte little-endian length, then that many bytes.
std::vector<std::string> raw_bytes_elements(const std::string& raw, const std::string& label) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < raw.size()) {
    if (raw.size() - at < 4) invalid(label + ": raw contents end inside an element's 4-byte length");
    std::uint32_t length = 0;
    for (int b = 3; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(raw[at + b]);
    at += 4;
    if (raw.size() - at < length) {
      invalid(label + ": raw contents end inside an element (" + std::to_string(length) + " bytes announced, " +
              std::to_string(raw.size() - at) + " left)");
    }
    out.push_back(raw.substr(at, length));
    at += length;
  }
  return out;
}

struct Input {
  std::string name;
  std::size_t elements = 0;
  std::vector<std::string> bytes;  // BYTES
  std::vector<bool> bools;         // BOOL
};

Input read_input(const inference::ModelInferRequest& request, int index) {
  const auto& tensor = request.inputs(index);
  Input input;
  input.name = tensor.name();
  if (input.name.empty()) invalid("inputs[" + std::to_string(index) + "].name must be set (the tensor's name)");
  const std::string label = "input \"" + input.name + "\"";
  input.elements = element_count(tensor, label);
  const bool is_bool = input.name == "output_all_prefix";
  if (is_bool && tensor.datatype() != "BOOL") invalid(label + ": datatype must be BOOL, not " + tensor.datatype());
  if (!is_bool && tensor.datatype() != "BYTES")
    invalid(label + ": datatype must be BYTES (strings), not " + tensor.datatype());

  const bool raw = request.raw_input_contents_size() > 0;
  std::size_t got = 0;
  if (raw) {
    if (tensor.has_contents()) {
      invalid(label + ": has contents while the request has raw_input_contents; the protocol allows one or the other");
    }
    const std::string& data = request.raw_input_contents(index);
    if (is_bool) {
      for (const char c : data) input.bools.push_back(c != 0);
      got = input.bools.size();
    } else {
      input.bytes = raw_bytes_elements(data, label);
      got = input.bytes.size();
    }
  } else if (is_bool) {
    input.bools.assign(tensor.contents().bool_contents().begin(), tensor.contents().bool_contents().end());
    got = input.bools.size();
  } else {
    input.bytes.assign(tensor.contents().bytes_contents().begin(), tensor.contents().bytes_contents().end());
    got = input.bytes.size();
  }
  if (got != input.elements) {
    const char* where = raw ? "raw_input_contents" : is_bool ? "contents.bool_contents" : "contents.bytes_contents";
    invalid(label + ": " + where + " has " + std::to_string(got) + " elements but shape " + shape_text(tensor.shape()) +
            " needs " + std::to_string(input.elements));
  }
  return input;
}

}  // namespace

V2InferRequest parse_grpc_infer_request(const inference::ModelInferRequest& request, std::size_t max_items) {
  V2InferRequest out;
  if (!request.id().empty()) out.id = request.id();
  for (int i = 0; i < request.outputs_size(); ++i) {
    if (request.outputs(i).name() != "result") {
      invalid("outputs[" + std::to_string(i) + "]: unknown output \"" + request.outputs(i).name() +
              "\"; the model's output is \"result\"");
    }
  }
  const int n_inputs = request.inputs_size();
  if (request.raw_input_contents_size() > 0 && request.raw_input_contents_size() != n_inputs) {
    invalid("raw_input_contents has " + std::to_string(request.raw_input_contents_size()) +
            " entries; it needs one per input (" + std::to_string(n_inputs) + ")");
  }
  V2Inputs<Input> given;
  for (int i = 0; i < n_inputs; ++i) given.put(read_input(request, i));
  given.check(max_items);
  out.texts = std::move(given.text->bytes);
  out.schemas = std::move(given.schema->bytes);
  if (given.output_all_prefix) out.output_all_prefix = given.output_all_prefix->bools[0];
  return out;
}

void fill_grpc_infer_response(const V2Model& model, const V2InferRequest& request, bool raw,
                              const std::vector<std::string>& results,
                              inference::ModelInferResponse& response) {
  response.set_model_name(model.name);
  response.set_model_version(model.version);
  if (request.id) response.set_id(*request.id);
  auto* output = response.add_outputs();
  output->set_name("result");
  output->set_datatype("BYTES");
  output->add_shape(static_cast<std::int64_t>(results.size()));
  std::string* raw_out = raw ? response.add_raw_output_contents() : nullptr;
  for (const std::string& text : results) {
    if (raw_out == nullptr) {
      output->mutable_contents()->add_bytes_contents(text);
      continue;
    }
    const auto length = static_cast<std::uint32_t>(text.size());
    for (int b = 0; b < 4; ++b) raw_out->push_back(static_cast<char>((length >> (8 * b)) & 0xff));
    raw_out->append(text);
  }
}

void fill_grpc_model_metadata(const V2Model& model, inference::ModelMetadataResponse& response) {
  const nlohmann::ordered_json j = v2_model_metadata(model);
  response.set_name(j["name"].get<std::string>());
  for (const auto& version : j["versions"]) response.add_versions(version.get<std::string>());
  response.set_platform(j["platform"].get<std::string>());
  const auto add = [](const nlohmann::ordered_json& tensor, auto* out) {
    out->set_name(tensor["name"].get<std::string>());
    out->set_datatype(tensor["datatype"].get<std::string>());
    for (const auto& dim : tensor["shape"]) out->add_shape(dim.get<std::int64_t>());
  };
  for (const auto& tensor : j["inputs"]) add(tensor, response.add_inputs());
  for (const auto& tensor : j["outputs"]) add(tensor, response.add_outputs());
}

}  // namespace uninlu
