#include "model/checkpoint_format.h"

namespace uninlu {

namespace {

// pickle.dumps(0x1950a86a20f9469cfc6c): LONG1 with 10 little-endian bytes, after PROTO.
constexpr std::string_view kLegacyMagic{"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 12};

}  // namespace

CheckpointFormat detect_checkpoint_format(std::string_view bytes) noexcept {
  if (bytes.starts_with(std::string_view("PK\x03\x04", 4)) || bytes.starts_with(std::string_view("PK\x05\x06", 4))) {
    return CheckpointFormat::TorchZip;
  }
  if (bytes.size() >= 2 + kLegacyMagic.size() && static_cast<unsigned char>(bytes[0]) == 0x80 &&
      bytes.substr(2, kLegacyMagic.size()) == kLegacyMagic) {
    return CheckpointFormat::TorchLegacy;
  }
  if (bytes.size() >= 262 && bytes.substr(257, 5) == "ustar") return CheckpointFormat::TorchTar;
  // The header length is not checked here: a bad one is the safetensors reader's to report.
  if (bytes.size() >= 9 && bytes[8] == '{') return CheckpointFormat::Safetensors;
  return CheckpointFormat::Unknown;
}

std::string legacy_torch_message(const std::string& path, CheckpointFormat format) {
  const char* what = format == CheckpointFormat::TorchTar ? "the tar format of torch < 0.4"
                                                          : "the legacy non-zip format (torch < 1.6, or "
                                                            "_use_new_zipfile_serialization=False)";
  return path + " is a PyTorch checkpoint in " + what +
         ", which uninlu does not read. Re-save it once with torch >= 1.6, which writes the zip format: "
         "python -c \"import torch; torch.save(torch.load('" +
         path + "', map_location='cpu'), 'pytorch_model.bin')\"";
}

}  // namespace uninlu
