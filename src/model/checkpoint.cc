#include "model/checkpoint.h"

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/checkpoint_format.h"

namespace uninlu {

const NamedTensor* Checkpoint::find(const std::string& name) const {
  for (const auto& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

Checkpoint read_checkpoint(const std::string& path) {
  CheckpointFormat format;
  {
    const auto file = MappedFile::open(path);  // only to look at the first bytes; readers map it again
    if (file->size() == 0) fail(ErrorKind::ModelLoad, path + " is empty (0 bytes): the download is incomplete");
    format = detect_checkpoint_format(file->view());
  }
  switch (format) {
    case CheckpointFormat::TorchZip: return read_torch_checkpoint(path);
    case CheckpointFormat::Safetensors: return read_safetensors(path);
    case CheckpointFormat::TorchLegacy:
    case CheckpointFormat::TorchTar: fail(ErrorKind::ModelLoad, legacy_torch_message(path, format));
    case CheckpointFormat::Unknown: break;
  }
  fail(ErrorKind::ModelLoad, path + " is neither a PyTorch zip checkpoint (torch.save) nor a safetensors file");
}

}  // namespace uninlu
