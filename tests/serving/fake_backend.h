#pragma once
// A deterministic stand-in for a device: logits are a function of the token ids and the hint, so the
// same input always gives the same spans, different hints give different spans (recursion is exercised),
// and results do not depend on batching. It can be slowed down and made to fail.
#include <atomic>
#include <cstdint>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "engine/backend.h"

namespace uninlu::testing {

class FakeBackend : public Backend {
 public:
  explicit FakeBackend(std::string name = "fake") : name_(std::move(name)) {}

  std::string name() const override { return name_; }
  Precision precision() const override { return Precision::F32; }

  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) override {
    before_call();
    std::vector<std::shared_ptr<const TextStates>> out;
    for (const auto& in : batch) {
      auto s = std::make_shared<TextStates>();
      s->len = static_cast<int>(in.ids.size());
      s->hidden = 1;
      for (auto id : in.ids) s->values.push_back(static_cast<float>(id));
      out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) override {
    before_call();
    ++cross_batches;
    max_cross_batch = std::max<std::size_t>(max_cross_batch, batch.size());
    std::vector<SpanLogits> out;
    for (const auto& in : batch) {
      // Unsigned, so the hash wraps instead of overflowing (UBSan), and stays a function of the hint.
      std::uint64_t hash = static_cast<std::uint64_t>(in.hint.position_offset);
      for (auto id : in.hint.ids) hash = hash * 31 + static_cast<std::uint64_t>(id);
      const long hint = static_cast<long>(hash % 1000003);
      SpanLogits l;
      for (int i = 0; i < in.text->len; ++i) {
        const long v = static_cast<long>(in.text->values[static_cast<std::size_t>(i)]) + hint;
        l.head.push_back(v % 7 == 0 ? 2.0f : -2.0f);
        l.tail.push_back(v % 3 == 0 ? 1.5f : -1.0f);
      }
      out.push_back(std::move(l));
    }
    return out;
  }

  std::vector<TextStates> run_hint(std::span<const HintInput>) override { return {}; }

  std::atomic<int> delay_ms{0};
  std::atomic<int> fail_calls{0};  // the next N calls throw, as a CUDA error would
  std::atomic<int> calls{0};
  std::atomic<int> cross_batches{0};
  std::atomic<std::size_t> max_cross_batch{0};

 private:
  void before_call() {
    ++calls;
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    if (fail_calls > 0) {
      --fail_calls;
      throw std::runtime_error("injected device fault");
    }
  }
  std::string name_;
};

}  // namespace uninlu::testing
