// A checkpoint file of any format (read_checkpoint dispatches on the first bytes: torch zip, safetensors,
// legacy torch). Every tensor it returns must fit its own storage.
#include <cstdint>

#include "fuzz_support.h"
#include "model/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  uninlu::fuzz::expect_refusals_only(
      [&] {
        const std::string path = uninlu::fuzz::write_scratch_file(uninlu::fuzz::as_view(data, size), ".bin");
        const uninlu::Checkpoint checkpoint = uninlu::read_checkpoint(path);
        // Touch every byte of every tensor: ASan reports a view that runs past the mapped file.
        std::uint8_t sum = 0;
        for (const auto& named : checkpoint.tensors) {
          const auto* bytes = static_cast<const std::uint8_t*>(named.tensor.raw());
          for (std::size_t i = 0; i < named.tensor.nbytes(); ++i) sum = static_cast<std::uint8_t>(sum + bytes[i]);
        }
        asm volatile("" : : "r"(sum));
      },
      {uninlu::ErrorKind::ModelLoad});
  return 0;
}
