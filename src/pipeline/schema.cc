#include "pipeline/schema.h"

#include "core/error.h"
#include "core/utf8.h"

namespace uninlu {

namespace {

struct SchemaBuilder {
  const PipelineLimits& limits;
  std::size_t key_count = 0;
  std::size_t max_depth = 0;

  static std::string path_of(const std::string& parent, const std::string& key) {
    return parent + "[\"" + key + "\"]";
  }

  std::unique_ptr<SchemaNode> build(const nlohmann::ordered_json& object, const std::string& path,
                                    std::size_t depth) {
    if (depth > limits.max_schema_depth) {
      fail(ErrorKind::LimitExceeded, "schema is nested deeper than " + std::to_string(limits.max_schema_depth) +
                                         " levels at " + path + " (limit max_schema_depth)");
    }
    max_depth = std::max(max_depth, depth);
    if (object.empty()) {
      if (depth == 1) fail(ErrorKind::InvalidInput, "schema is empty: give at least one key, e.g. {\"人物\": null}");
      fail(ErrorKind::InvalidInput, path + " is an empty object: use null for a key without sub-schema");
    }
    auto node = std::make_unique<SchemaNode>();
    node->entries.reserve(object.size());
    for (const auto& [key, value] : object.items()) {
      const std::string key_path = path_of(path, key);
      if (key.empty()) fail(ErrorKind::InvalidInput, "schema has an empty key in " + path);
      if (decode_utf8(key, "schema key").size() > limits.max_key_chars) {
        fail(ErrorKind::LimitExceeded, "schema key at " + key_path + " is longer than " +
                                           std::to_string(limits.max_key_chars) + " characters (limit max_key_chars)");
      }
      if (++key_count > limits.max_schema_keys) {
        fail(ErrorKind::LimitExceeded, "schema has more than " + std::to_string(limits.max_schema_keys) +
                                           " keys (limit max_schema_keys)");
      }
      SchemaNode::Entry entry{key, nullptr};
      if (value.is_object()) {
        entry.child = build(value, key_path, depth + 1);
      } else if (!value.is_null()) {
        fail(ErrorKind::InvalidInput, "schema value at " + key_path + " must be null or an object, not " +
                                          std::string(value.type_name()));
      }
      node->entries.push_back(std::move(entry));
    }
    return node;
  }
};

nlohmann::ordered_json node_to_json(const SchemaNode& node) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& entry : node.entries) {
    out[entry.key] = entry.child ? node_to_json(*entry.child) : nlohmann::ordered_json(nullptr);
  }
  return out;
}

}  // namespace

Schema Schema::from_json(const nlohmann::ordered_json& value, const PipelineLimits& limits) {
  if (value.is_string()) return parse(value.get_ref<const std::string&>(), limits);
  if (!value.is_object()) {
    fail(ErrorKind::InvalidInput,
         "schema must be a JSON object or a string holding one, not " + std::string(value.type_name()));
  }
  SchemaBuilder builder{limits};
  Schema schema;
  schema.root_ = builder.build(value, "schema", 1);
  schema.depth_ = builder.max_depth;
  schema.key_count_ = builder.key_count;
  return schema;
}

Schema Schema::parse(std::string_view json_text, const PipelineLimits& limits) {
  nlohmann::ordered_json value;
  try {
    value = nlohmann::ordered_json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    fail(ErrorKind::InvalidInput, std::string("schema string is not valid JSON: ") + e.what());
  }
  if (!value.is_object()) {
    fail(ErrorKind::InvalidInput, "schema string must hold a JSON object, not " + std::string(value.type_name()));
  }
  return from_json(value, limits);
}

nlohmann::ordered_json Schema::to_json() const { return node_to_json(*root_); }

}  // namespace uninlu
