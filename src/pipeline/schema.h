#pragma once
// The extraction schema: a JSON object whose values are null (a leaf) or a nested schema object.
// Key order is kept (results follow it). Duplicate keys behave as Python's json.loads, which the reference
// uses: the last value wins and the key keeps its first position.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/limits.h"

namespace uninlu {

struct SchemaNode {
  struct Entry {
    std::string key;
    std::unique_ptr<SchemaNode> child;  // null: a leaf
  };
  std::vector<Entry> entries;
};

class Schema {
 public:
  // From a JSON value that is an object, or a string holding one (the API accepts both).
  // Throws Error(InvalidInput) for: a value that is neither; a string that is not JSON or not an object;
  // an empty schema or empty nested object; an empty key; a value that is neither null nor an object.
  // Throws Error(LimitExceeded) for depth, key count or key length over `limits`.
  static Schema from_json(const nlohmann::ordered_json& value, const PipelineLimits& limits);
  static Schema parse(std::string_view json_text, const PipelineLimits& limits);

  const SchemaNode& root() const noexcept { return *root_; }
  std::size_t depth() const noexcept { return depth_; }
  std::size_t key_count() const noexcept { return key_count_; }

  nlohmann::ordered_json to_json() const;

 private:
  std::shared_ptr<const SchemaNode> root_;
  std::size_t depth_ = 0;
  std::size_t key_count_ = 0;
};

}  // namespace uninlu
