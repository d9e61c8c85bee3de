// config.json as `uninlu serve` reads it (ModelConfig::from_file). A config it accepts must describe a
// model the engine can size: positive sizes, heads dividing the hidden size, layers beyond cross_layers.
#include <cstdint>

#include "fuzz_support.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  uninlu::fuzz::expect_refusals_only(
      [&] {
        const std::string path = uninlu::fuzz::write_scratch_file(uninlu::fuzz::as_view(data, size), ".json");
        const uninlu::ModelConfig config = uninlu::ModelConfig::from_file(path);
        if (config.vocab_size <= 0 || config.hidden_size <= 0 || config.num_attention_heads <= 0 ||
            config.intermediate_size <= 0 || config.max_position_embeddings <= 0 || config.type_vocab_size <= 0 ||
            config.hidden_size % config.num_attention_heads != 0 || config.text_layers() < 1) {
          uninlu::fuzz::finding("an inconsistent config was accepted: " + config.raw.dump());
        }
      },
      {uninlu::ErrorKind::ModelLoad});
  return 0;
}
