#pragma once
// Recognises a checkpoint file by its first bytes, so that a file is read by the right reader whatever
// its name, and an old or foreign format is refused with a message saying what it is.
#include <string>
#include <string_view>

namespace uninlu {

enum class CheckpointFormat {
  TorchZip,     // torch.save since 1.6: a zip archive ("PK\3\4")
  TorchLegacy,  // torch.save(..., _use_new_zipfile_serialization=False): pickled magic number first
  TorchTar,     // torch.save before 0.4: a tar archive
  Safetensors,  // u64 header length, then a JSON object
  Unknown,
};

CheckpointFormat detect_checkpoint_format(std::string_view bytes) noexcept;

// The error text for a checkpoint in a format uninlu refuses, with how to convert it.
std::string legacy_torch_message(const std::string& path, CheckpointFormat format);

}  // namespace uninlu
