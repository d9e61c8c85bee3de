#pragma once
// Explicit, configurable bounds on one request. Exceeding one is Error(LimitExceeded) with a message that
// names the limit and its configuration key; none of them changes an answer that fits within them.
#include <cstddef>

namespace uninlu {

struct PipelineLimits {
  std::size_t max_text_chars = 10000;    // code points of the input text
  std::size_t max_schema_depth = 6;      // nesting levels of the schema object
  std::size_t max_schema_keys = 256;     // keys in the whole schema
  std::size_t max_key_chars = 256;       // code points of one schema key
  std::size_t max_prompts = 4096;        // hint+cross evaluations (prompts x windows) per request
};

}  // namespace uninlu
