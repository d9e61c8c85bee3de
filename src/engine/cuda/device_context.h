#pragma once
// Everything a CudaBackend holds on one GPU: its stream, cuBLASLt state, activation arena, pinned
// staging for uploads and downloads, and the model part(s) it runs (uploaded from the ModelImage).
// A replica holds both parts; with a layer split the first GPU holds the text part and the second the
// cross part. Destroying the context releases all of it (before a device reset, or at the end).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cuda/cuda_encoder_layer.h"
#include "engine/cuda/cuda_resources.h"
#include "engine/cuda/device_arena.h"
#include "kernels/cuda/embedding_kernels.h"
#include "engine/cuda/gemm_lt.h"
#include "engine/cuda/model_image.h"

namespace uninlu::cuda {

struct DeviceTextModel {
  DeviceEmbeddingTables embeddings;
  std::vector<DeviceLayer> layers;
};

struct DeviceCrossModel {
  std::vector<DeviceLayer> layers;
  const float* classifier_weight = nullptr;  // [2, H]
  const float* classifier_bias = nullptr;    // [2]
};

class DeviceContext {
 public:
  // Uploads the requested parts of `image` to `device` on its stream and waits for them (the weights are
  // complete before any batch). Throws CudaError/CudaOutOfMemory.
  DeviceContext(int device, const ModelImage& image, bool text_part, bool cross_part, const GemmOptions& gemm,
                const std::string& owner);
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  int device() const noexcept { return device_; }
  cudaStream_t stream() const noexcept { return stream_.get(); }
  void synchronize() const { stream_.synchronize(); }
  LtGemm& gemm() noexcept { return gemm_; }
  DeviceArena& arena() noexcept { return arena_; }
  PinnedStaging& upload() noexcept { return upload_; }
  PinnedStaging& download() noexcept { return download_; }

  const DeviceTextModel& text() const;    // throws Error(Internal) when this context does not hold it
  const DeviceCrossModel& cross() const;
  std::size_t weight_bytes() const noexcept { return text_weights_.size() + cross_weights_.size(); }

 private:
  int device_;
  CudaStream stream_;
  LtGemm gemm_;
  DeviceArena arena_;
  PinnedStaging upload_;
  PinnedStaging download_;
  DeviceBuffer text_weights_;
  DeviceBuffer cross_weights_;
  std::optional<DeviceTextModel> text_;
  std::optional<DeviceCrossModel> cross_;
};

}  // namespace uninlu::cuda
