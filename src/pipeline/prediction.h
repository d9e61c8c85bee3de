#pragma once
// One request as a state machine of device steps, so that a scheduler can interleave the steps of many
// requests: first the text step (one input per window), then one cross step per schema level. A level's
// step holds every prompt of every schema object reached at that depth, across all branches: the
// reference walks the schema depth-first, one object at a time, but prompts are independent given the
// text states, so the answers are the same and a depth-3 schema costs 1 + 3 steps, not one per object.
// The output is assembled at the end in the reference's depth-first order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backend.h"
#include "pipeline/limits.h"
#include "pipeline/schema.h"
#include "pipeline/text_windows.h"
#include "text/bert_tokenizer.h"

namespace uninlu {

struct ResultItem {
  std::string type;
  std::string span;
  std::int32_t begin = 0;
  std::int32_t end = 0;
};
using ResultChain = std::vector<ResultItem>;

// {"output": [[{"type": T, "span": S, "offset": [b, e]}, ...], ...]}
nlohmann::ordered_json results_to_json(const std::vector<ResultChain>& results);

class PredictionTask {
 public:
  // Validates and tokenizes the text: Error(InvalidInput) for invalid UTF-8 or a text with nothing to
  // tokenize (empty, or only whitespace/control characters); Error(LimitExceeded) over max_text_chars.
  PredictionTask(const BertTokenizer& tokenizer, std::string text, Schema schema, bool output_all_prefix,
                 const PipelineLimits& limits);
  PredictionTask(const PredictionTask&) = delete;
  PredictionTask& operator=(const PredictionTask&) = delete;

  // Text step: one input per window. The spans point into this task, which must outlive their use.
  const std::vector<TextInput>& text_inputs() const noexcept { return text_inputs_; }
  void set_text_states(std::vector<std::shared_ptr<const TextStates>> states);

  // Cross steps, until finished(). cross_inputs() lists the current level's prompts x windows; throws
  // Error(LimitExceeded) when the request would need more than max_prompts evaluations in total.
  bool finished() const noexcept { return text_done_ && frontier_.empty(); }
  const std::vector<CrossInput>& cross_inputs();
  // The current step's inputs once cross_inputs() has built them (read-only, safe to share between the
  // threads that run parts of the step).
  const std::vector<CrossInput>& current_cross_inputs() const noexcept { return cross_inputs_; }
  void set_cross_outputs(const std::vector<SpanLogits>& outputs);

  std::vector<ResultChain> results() const;
  nlohmann::ordered_json output_json() const { return results_to_json(results()); }
  // The same as compact JSON text (output_json().dump()), written without building the tree.
  std::string output_text() const;

  const std::string& text() const noexcept { return text_; }
  const Encoding& encoding() const noexcept { return encoding_; }
  const std::vector<TextWindow>& windows() const noexcept { return windows_; }
  int cross_steps() const noexcept { return cross_steps_; }
  std::size_t prompts_evaluated() const noexcept { return prompts_evaluated_; }
  // Smallest |merged logit - 0.5| seen: how close the answer came to flipping (for precision reports).
  double min_margin() const noexcept { return min_margin_; }

 private:
  struct Node {  // a result chain and the schema object below it (null for a leaf)
    ResultChain chain;
    const SchemaNode* schema = nullptr;
    std::vector<std::size_t> children;  // indices into nodes_, in output order
  };
  struct Prompt {  // one (schema object, key) of the current level
    std::size_t node;
    std::size_t entry;
    std::vector<std::int32_t> hint_ids;
  };

  std::string hint_text(const Node& node, const std::string& key) const;
  void emit(std::size_t node, std::vector<ResultChain>& out) const;
  void emit_text(std::size_t node, std::string& out, bool& first) const;

  const BertTokenizer& tokenizer_;
  std::string text_;
  std::vector<std::size_t> text_byte_offsets_;  // code point -> byte, for spans
  Schema schema_;
  bool output_all_prefix_;
  PipelineLimits limits_;
  Encoding encoding_;
  std::vector<TextWindow> windows_;
  std::vector<TextInput> text_inputs_;
  std::vector<std::shared_ptr<const TextStates>> text_states_;
  bool text_done_ = false;

  std::vector<Node> nodes_;
  std::vector<std::size_t> frontier_;  // nodes whose schema object is expanded by the next step
  std::vector<Prompt> prompts_;        // the current step's prompts
  std::vector<CrossInput> cross_inputs_;
  int cross_steps_ = 0;
  std::size_t prompts_evaluated_ = 0;
  double min_margin_;
};

}  // namespace uninlu
