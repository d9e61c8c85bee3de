#pragma once
// A checkpoint as a list of named tensors, whatever the file format. Readers memory-map the file and
// return borrowed HostTensors where the stored layout is already contiguous (fp32 tensors are used in
// place); strided or offset storages are materialised into contiguous copies.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/host_tensor.h"

namespace uninlu {

struct NamedTensor {
  std::string name;
  HostTensor tensor;  // contiguous, dtype as stored
};

struct Checkpoint {
  std::string path;
  std::string format;  // "pytorch-zip" or "safetensors"
  std::vector<NamedTensor> tensors;  // in file order

  const NamedTensor* find(const std::string& name) const;
};

// PyTorch's zip container (torch.save since 1.6): `<archive>/data.pkl` + `<archive>/data/<key>`.
// Supports the pickle subset that state dicts use (protocol 2, OrderedDict, _rebuild_tensor_v2,
// _rebuild_parameter, persistent-id storages of Float/Half/BFloat16/Double/Long/Int/... storage),
// storage offsets and strides. Throws Error(ModelLoad) naming the file (and tensor, when one is at
// fault) for: a legacy non-zip torch file, a truncated or corrupt zip, a compressed entry, an
// unsupported pickle opcode or global, a storage too small for the tensor's view.
Checkpoint read_torch_checkpoint(const std::string& path);

// Hugging Face safetensors: 8-byte little-endian header length, JSON header, raw data.
Checkpoint read_safetensors(const std::string& path);

// Dispatches on the file's contents (zip magic, legacy torch magic, safetensors header).
Checkpoint read_checkpoint(const std::string& path);

}  // namespace uninlu
