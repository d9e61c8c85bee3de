#include "engine/null/null_backend.h"

#include <string>
#include <vector>

#include "core/error.h"

namespace uninlu {

int null_span_phase(std::span<const std::int32_t> hint_ids) noexcept {
  std::uint32_t h = 2166136261U;
  for (const std::int32_t id : hint_ids) {
    h ^= static_cast<std::uint32_t>(id);
    h *= 16777619U;
  }
  return static_cast<int>(h % static_cast<std::uint32_t>(kNullSpanPeriod));
}

namespace {

class NullBackend final : public Backend {
 public:
  explicit NullBackend(int hidden) : hidden_(hidden) {}

  std::string name() const override { return "null"; }
  Precision precision() const override { return Precision::F32; }

  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) override {
    std::vector<std::shared_ptr<const TextStates>> out;
    out.reserve(batch.size());
    for (const auto& input : batch) out.push_back(zero_states(static_cast<int>(input.ids.size())));
    return out;
  }

  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) override {
    std::vector<SpanLogits> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].text) fail(ErrorKind::Internal, "null backend: cross input without text states");
      const int len = batch[i].text->len;
      const int phase = null_span_phase(batch[i].hint.ids);
      SpanLogits& logits = out[i];
      logits.head.assign(static_cast<std::size_t>(len), kNullMiss);
      logits.tail.assign(static_cast<std::size_t>(len), kNullMiss);
      for (int p = 1; p + 1 < len; ++p) {
        const int r = (p - 1) % kNullSpanPeriod;
        if (r == phase) logits.head[static_cast<std::size_t>(p)] = kNullHit;
        if (r == (phase + 1) % kNullSpanPeriod) logits.tail[static_cast<std::size_t>(p)] = kNullHit;
      }
    }
    return out;
  }

  std::vector<TextStates> run_hint(std::span<const HintInput> batch) override {
    std::vector<TextStates> out;
    out.reserve(batch.size());
    for (const auto& hint : batch) out.push_back(*zero_states(static_cast<int>(hint.ids.size())));
    return out;
  }

 private:
  std::shared_ptr<const TextStates> zero_states(int len) const {
    auto states = std::make_shared<TextStates>();
    states->len = len;
    states->hidden = hidden_;
    states->values.assign(static_cast<std::size_t>(len) * static_cast<std::size_t>(hidden_), 0.0F);
    return states;
  }

  int hidden_;
};

}  // namespace

std::unique_ptr<Backend> make_null_backend(int hidden) {
  if (hidden <= 0) fail(ErrorKind::Usage, "null backend: hidden size must be positive, got " + std::to_string(hidden));
  return std::make_unique<NullBackend>(hidden);
}

}  // namespace uninlu
