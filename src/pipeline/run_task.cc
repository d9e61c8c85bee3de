#include "pipeline/run_task.h"

#include <span>

namespace uninlu {

namespace {

template <class Input, class Output, class Cost, class Run>
std::vector<Output> run_in_chunks(std::span<const Input> inputs, std::size_t budget, Cost cost, Run run) {
  std::vector<Output> outputs;
  outputs.reserve(inputs.size());
  std::size_t begin = 0;
  while (begin < inputs.size()) {
    std::size_t end = begin;
    std::size_t tokens = 0;
    while (end < inputs.size() && (end == begin || tokens + cost(inputs[end]) <= budget)) tokens += cost(inputs[end++]);
    auto chunk = run(inputs.subspan(begin, end - begin));
    for (auto& out : chunk) outputs.push_back(std::move(out));
    begin = end;
  }
  return outputs;
}

}  // namespace

void run_task(Backend& backend, PredictionTask& task, std::size_t max_batch_tokens) {
  task.set_text_states(run_in_chunks<TextInput, std::shared_ptr<const TextStates>>(
      task.text_inputs(), max_batch_tokens, [](const TextInput& in) { return in.ids.size(); },
      [&](std::span<const TextInput> chunk) { return backend.run_text(chunk); }));
  while (!task.finished()) {
    const auto& inputs = task.cross_inputs();
    task.set_cross_outputs(run_in_chunks<CrossInput, SpanLogits>(
        inputs, max_batch_tokens,
        [](const CrossInput& in) { return static_cast<std::size_t>(in.text->len) + in.hint.ids.size(); },
        [&](std::span<const CrossInput> chunk) { return backend.run_cross(chunk); }));
  }
}

}  // namespace uninlu
