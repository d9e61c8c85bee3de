#pragma once
// The device interface. A backend runs the two siamese steps on ragged batches (no padding: padded keys
// get exactly zero attention weight in the reference, so dropping them changes nothing but the work):
//   text step:  [CLS] text [SEP] (one window) through the first L-6 layers, token type 0,
//               positions 0..n-1                                        -> text states [n, hidden]
//   cross step: the hint [CLS] hint [SEP] through the first L-6 layers with token type 1 and positions
//               offset+0..m-1, then [text states ; hint states] through the last 6 layers, then the
//               head/tail classifiers on the text part                   -> head/tail logits [n]
// Text states live in host memory so that any device can run the cross step of any request (a request
// moves to another device when its device fails).
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace uninlu {

enum class Precision { F32, F16, BF16, Int8 };
const char* precision_name(Precision p) noexcept;        // "fp32", "fp16", "bf16", "int8"
Precision parse_precision(const std::string& name);       // throws Error(Usage) on an unknown name

struct TextStates {
  int len = 0;     // tokens (rows)
  int hidden = 0;  // columns
  std::vector<float> values;  // [len, hidden], row-major
};

struct TextInput {
  std::span<const std::int32_t> ids;  // one window, real tokens only
};

struct HintInput {
  std::span<const std::int32_t> ids;  // [CLS] hint [SEP], real tokens only (at most 128)
  int position_offset = 0;            // hint token j has position position_offset + j
};

struct CrossInput {
  std::shared_ptr<const TextStates> text;  // states of one text window
  HintInput hint;  // position_offset = the padded length of the text window tensor in the reference
};

struct SpanLogits {
  std::vector<float> head;  // one logit per text token (text->len)
  std::vector<float> tail;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu", "cuda:0"
  virtual Precision precision() const = 0;

  virtual std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) = 0;
  virtual std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) = 0;
  // The hint stage on its own (run_cross does it internally); used by the per-stage tests.
  virtual std::vector<TextStates> run_hint(std::span<const HintInput> batch) = 0;
};

}  // namespace uninlu
