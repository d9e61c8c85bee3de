#include "http/predict_request.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace uninlu {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "application/json; charset=utf-8" → "application/json"
std::string media_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return lower(type);
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest says where and why.
std::string without_exception_tag(const std::string& what) {
  if (!what.empty() && what.front() == '[') {
    const auto end = what.find("] ");
    if (end != std::string::npos) return what.substr(end + 2);
  }
  return what;
}

// Deepest nesting of arrays and objects, counted outside strings; stops early past `limit`.
std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::string json_type_name(const nlohmann::ordered_json& value) {
  if (value.is_boolean()) return "boolean";
  return value.type_name();
}

std::optional<std::string> unsupported_content_type(std::string_view content_type) {
  const std::string type = media_type(content_type);
  if (type == "application/x-www-form-urlencoded" || type.rfind("multipart/", 0) == 0) {
    return "Content-Type " + type +
           " is not supported: send the JSON body as application/json (with curl: -H 'Content-Type: "
           "application/json' --data-binary @request.json)";
  }
  return std::nullopt;
}

nlohmann::ordered_json parse_json_body(std::string_view body) {
  const bool blank =
      std::all_of(body.begin(), body.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  if (blank) {
    fail(ErrorKind::InvalidInput,
         R"(request body is empty: send a JSON object like {"text": "...", "schema": {"人物": null}})");
  }
  if (json_depth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    fail(ErrorKind::LimitExceeded,
         "request body nests arrays and objects more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }
  try {
    return nlohmann::ordered_json::parse(body);
  } catch (const nlohmann::ordered_json::exception& e) {  // parse_error; out_of_range for 1e999
    fail(ErrorKind::InvalidInput, "malformed JSON in request body: " + without_exception_tag(e.what()));
  }
}

PredictRequest parse_predict_item(nlohmann::ordered_json item, std::string request_id) {
  if (!item.is_object()) {
    fail(ErrorKind::InvalidInput,
         R"(a request must be a JSON object {"text": "...", "schema": {...}}, not )" + json_type_name(item));
  }
  PredictRequest request;
  request.request_id = std::move(request_id);

  auto text = item.find("text");
  if (text == item.end()) fail(ErrorKind::InvalidInput, R"(missing field "text" (the input text, a string))");
  if (!text->is_string()) fail(ErrorKind::InvalidInput, "text must be a string, not " + json_type_name(*text));
  request.text = std::move(text->get_ref<std::string&>());

  auto schema = item.find("schema");
  if (schema == item.end()) {
    fail(ErrorKind::InvalidInput, R"(missing field "schema" (an object like {"人物": null}, or a string holding one))");
  }
  if (!schema->is_object() && !schema->is_string()) {
    fail(ErrorKind::InvalidInput,
         "schema must be an object or a string holding a JSON object, not " + json_type_name(*schema));
  }
  request.schema = std::move(*schema);

  const auto all_prefix = item.find("output_all_prefix");
  if (all_prefix != item.end() && !all_prefix->is_null()) {
    if (!all_prefix->is_boolean()) {
      fail(ErrorKind::InvalidInput, "output_all_prefix must be true or false, not " + json_type_name(*all_prefix));
    }
    request.output_all_prefix = all_prefix->get<bool>();
  }

  const auto model = item.find("model");
  if (model != item.end() && !model->is_null()) {
    if (!model->is_string()) fail(ErrorKind::InvalidInput, "model must be a string (a model's name), not " + json_type_name(*model));
    request.model = std::move(model->get_ref<std::string&>());
  }
  return request;
}

}  // namespace uninlu
