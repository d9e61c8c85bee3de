#include "pipeline/prediction.h"

#include <limits>

#include "core/error.h"
#include "core/utf8.h"
#include "pipeline/json_writer.h"
#include "pipeline/span_decoder.h"

namespace uninlu {

nlohmann::ordered_json results_to_json(const std::vector<ResultChain>& results) {
  nlohmann::ordered_json output = nlohmann::ordered_json::array();
  for (const auto& chain : results) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const auto& item : chain) {
      nlohmann::ordered_json j;
      j["type"] = item.type;
      j["span"] = item.span;
      j["offset"] = {item.begin, item.end};
      items.push_back(std::move(j));
    }
    output.push_back(std::move(items));
  }
  nlohmann::ordered_json out;
  out["output"] = std::move(output);
  return out;
}

PredictionTask::PredictionTask(const BertTokenizer& tokenizer, std::string text, Schema schema,
                               bool output_all_prefix, const PipelineLimits& limits)
    : tokenizer_(tokenizer),
      text_(std::move(text)),
      schema_(std::move(schema)),
      output_all_prefix_(output_all_prefix),
      limits_(limits),
      min_margin_(std::numeric_limits<double>::infinity()) {
  if (!is_valid_utf8(text_)) fail(ErrorKind::InvalidInput, "text is not valid UTF-8");
  text_byte_offsets_ = codepoint_byte_offsets(text_);
  const std::size_t chars = text_byte_offsets_.size() - 1;
  if (chars > limits_.max_text_chars) {
    fail(ErrorKind::LimitExceeded, "text has " + std::to_string(chars) + " characters, more than the limit of " +
                                       std::to_string(limits_.max_text_chars) + " (limit max_text_chars)");
  }
  encoding_ = tokenizer_.encode(text_);
  if (encoding_.size() <= 2) {
    fail(ErrorKind::InvalidInput, text_.empty() ? "text is empty"
                                                : "text has nothing to read (only whitespace or control characters)");
  }
  windows_ = make_text_windows(static_cast<int>(encoding_.size()));
  for (const auto& w : windows_) {
    text_inputs_.push_back({std::span<const std::int32_t>(encoding_.ids).subspan(
        static_cast<std::size_t>(w.shift), static_cast<std::size_t>(w.length))});
  }
  nodes_.push_back(Node{{}, &schema_.root(), {}});
}

void PredictionTask::set_text_states(std::vector<std::shared_ptr<const TextStates>> states) {
  if (text_done_ || states.size() != windows_.size()) {
    fail(ErrorKind::Internal, "text states given twice or for the wrong number of windows");
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (!states[i] || states[i]->len != windows_[i].length) {
      fail(ErrorKind::Internal, "text states do not match window " + std::to_string(i));
    }
  }
  text_states_ = std::move(states);
  text_done_ = true;
  frontier_ = {0};
}

std::string PredictionTask::hint_text(const Node& node, const std::string& key) const {
  std::string hint;
  for (const auto& item : node.chain) hint += item.type + ": " + item.span + ", ";
  return hint + key + ": ";
}

const std::vector<CrossInput>& PredictionTask::cross_inputs() {
  if (!text_done_) fail(ErrorKind::Internal, "cross_inputs() before the text step");
  if (!prompts_.empty()) return cross_inputs_;  // asked again before outputs came back
  std::size_t needed = 0;
  for (std::size_t node : frontier_) needed += nodes_[node].schema->entries.size() * windows_.size();
  if (prompts_evaluated_ + needed > limits_.max_prompts) {
    fail(ErrorKind::LimitExceeded, "request needs more than " + std::to_string(limits_.max_prompts) +
                                       " prompt evaluations (schema keys x spans found x text windows; "
                                       "limit max_prompts)");
  }
  cross_inputs_.clear();
  for (std::size_t node : frontier_) {
    const auto& entries = nodes_[node].schema->entries;
    for (std::size_t e = 0; e < entries.size(); ++e) {
      const std::string hint = hint_text(nodes_[node], entries[e].key);
      prompts_.push_back({node, e, tokenizer_.encode_truncated(hint, kMaxHintTokens).ids});
    }
  }
  // Built after all prompts exist: the spans below point into prompts_, which no longer grows.
  for (const auto& prompt : prompts_) {
    for (std::size_t w = 0; w < windows_.size(); ++w) {
      cross_inputs_.push_back({text_states_[w], {prompt.hint_ids, windows_[w].padded_len}});
    }
  }
  return cross_inputs_;
}

void PredictionTask::set_cross_outputs(const std::vector<SpanLogits>& outputs) {
  if (prompts_.empty() || outputs.size() != cross_inputs_.size()) {
    fail(ErrorKind::Internal, "cross outputs do not match the inputs of this step");
  }
  const int n_tokens = static_cast<int>(encoding_.size());
  std::vector<std::size_t> next_frontier;
  std::vector<WindowLogits> window_logits(windows_.size());
  for (std::size_t p = 0; p < prompts_.size(); ++p) {
    for (std::size_t w = 0; w < windows_.size(); ++w) {
      const SpanLogits& out = outputs[p * windows_.size() + w];
      if (out.head.size() != static_cast<std::size_t>(windows_[w].length) || out.tail.size() != out.head.size()) {
        fail(ErrorKind::Internal, "cross output has the wrong number of logits");
      }
      window_logits[w] = {windows_[w].shift, out.head, out.tail};
    }
    const MergedLogits merged = merge_window_logits(n_tokens, window_logits);
    min_margin_ = std::min(min_margin_, threshold_margin(merged));
    const Prompt& prompt = prompts_[p];
    const auto& entry = nodes_[prompt.node].schema->entries[prompt.entry];
    for (const DecodedSpan& span : decode_spans(merged, encoding_.offsets)) {
      Node child{nodes_[prompt.node].chain, entry.child.get(), {}};
      child.chain.push_back({entry.key, slice_codepoints(text_, text_byte_offsets_, span.begin, span.end),
                             span.begin, span.end});
      nodes_.push_back(std::move(child));
      const std::size_t index = nodes_.size() - 1;
      nodes_[prompt.node].children.push_back(index);
      if (nodes_[index].schema != nullptr) next_frontier.push_back(index);
    }
  }
  prompts_evaluated_ += outputs.size();
  ++cross_steps_;
  prompts_.clear();
  cross_inputs_.clear();
  frontier_ = std::move(next_frontier);
}

void PredictionTask::emit(std::size_t node, std::vector<ResultChain>& out) const {
  for (std::size_t child : nodes_[node].children) {
    const Node& c = nodes_[child];
    if (c.schema == nullptr) {
      out.push_back(c.chain);
    } else {
      if (output_all_prefix_) out.push_back(c.chain);
      emit(child, out);
    }
  }
}

// emit()'s order, each chain written where emit() would copy it.
void PredictionTask::emit_text(std::size_t node, std::string& out, bool& first) const {
  for (std::size_t child : nodes_[node].children) {
    const Node& c = nodes_[child];
    if (c.schema == nullptr || output_all_prefix_) {
      if (!first) out.push_back(',');
      first = false;
      append_chain_json(out, c.chain);
    }
    if (c.schema != nullptr) emit_text(child, out, first);
  }
}

std::string PredictionTask::output_text() const {
  if (!finished()) fail(ErrorKind::Internal, "output_text() before the prediction finished");
  std::string out = "{\"output\":[";
  bool first = true;
  emit_text(0, out, first);
  out += "]}";
  return out;
}

std::vector<ResultChain> PredictionTask::results() const {
  if (!finished()) fail(ErrorKind::Internal, "results() before the prediction finished");
  std::vector<ResultChain> out;
  emit(0, out);
  return out;
}

}  // namespace uninlu
