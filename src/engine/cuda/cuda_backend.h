#pragma once
// The CUDA backend: the siamese stages of `Backend` (engine/backend.h) on one GPU, or on two with a
// layer split, with the CPU backend's semantics (ragged batches without padding, hint deduplication
// within a batch and an LRU hint cache across calls, text states returned in host memory as fp32,
// per-window cross logits). docs/gpu.md describes the design.
//
// Threading: like CpuBackend, one thread at a time per backend. Every call makes its GPU current for
// its duration (and restores the caller's device), so a worker thread may drive several backends.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "engine/backend.h"
#include "model/model_config.h"
#include "model/siamese_weights.h"

namespace uninlu::cuda {
struct ModelImage;
}

namespace uninlu {

struct CudaBackendOptions {
  int device = 0;           // CUDA ordinal of the GPU (of the text half with a layer split)
  int cross_device = -1;    // layer split: the last 6 layers and the heads on this GPU; -1: none
  Precision precision = Precision::F16;  // F32, F16 or BF16 (Int8 throws Error(Usage))
  bool allow_tf32 = false;  // fp32 GEMMs on TF32 tensor cores: faster, ~1e-3 relative error; off = CPU parity
  bool deduplicate_hints = true;
  std::size_t hint_cache_bytes = 16u << 20;  // host-side LRU of hint states; 0 disables
  // The activation arena and pinned staging are sized at construction for a batch of this many tokens
  // (text + hint); a larger batch grows them once, with a warning. reserve_tokens() resizes later.
  std::size_t reserve_tokens = 8192;
  std::size_t gemm_workspace_bytes = 32u << 20;
  // A UNINLU_FAULT_INJECT spec (engine/cuda/fault_injection.h); nullopt reads the environment.
  std::optional<std::string> fault_injection;
};

class CudaBackend final : public Backend {
 public:
  // Builds the weight image (a host copy converted to the precision) and uploads it.
  CudaBackend(const ModelConfig& config, const SiameseWeights& weights, const CudaBackendOptions& options = {});
  // Shares an image already built for this precision (replicas on several GPUs hold one host copy).
  CudaBackend(std::shared_ptr<const cuda::ModelImage> image, const CudaBackendOptions& options);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override;  // "cuda:0", or "cuda:0+1" for a layer-split pair
  Precision precision() const override;

  // Input errors throw Error(InvalidInput) exactly as the CPU backend does, before any device work.
  // Device faults throw cuda::CudaError (Error(Unavailable)); cuda::CudaOutOfMemory for an allocation
  // failure. After a CudaError other than out-of-memory, the next call first rebuilds the backend's device
  // state (after a sticky error: cudaDeviceReset of its GPU(s) and a re-upload of the weights).
  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) override;
  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) override;
  std::vector<TextStates> run_hint(std::span<const HintInput> batch) override;

  // Sizes the arena and pinned staging for batches of `tokens` (at startup, outside any batch).
  void reserve_tokens(std::size_t tokens);
  // Device bytes a worst-case batch of `tokens` tokens needs (arena), for this model and precision.
  std::size_t activation_bytes(std::size_t tokens) const;
  std::size_t weight_bytes() const;  // on the device(s)
  int device() const noexcept;
  int cross_device() const noexcept;  // == device() without a layer split
  std::string describe() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<Backend> make_cuda_backend(const ModelConfig& config, const SiameseWeights& weights,
                                           const CudaBackendOptions& options = {});

}  // namespace uninlu
