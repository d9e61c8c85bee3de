#pragma once
// The CPU backend: the siamese stages on ragged batches, GEMMs through oneDNN, fused elementwise
// kernels threaded with OpenMP (see docs/engine.md).
//
// Threading: a CpuBackend is used by one thread at a time (it keeps per-call workspace and primitive
// caches). Each call runs its kernels on `threads` OpenMP threads of the calling thread's team; two
// backends driven concurrently from two threads each bring their own team, so give each a share of
// the cores rather than all of them.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "model/model_config.h"
#include "model/siamese_weights.h"

namespace uninlu {

struct CpuBackendOptions {
  Precision precision = Precision::F32;      // F32, BF16 or Int8 (dynamic); F16 throws Error(Usage)
  int threads = 0;                           // 0: every core this process may run on
  bool deduplicate_hints = true;             // run identical (hint, position_offset) pairs of a batch once
  std::size_t hint_cache_bytes = 16u << 20;  // hint states kept across calls (LRU); 0 disables
  bool pin_threads = true;                   // one thread per CPU when the team covers them all (thread_pinning.h)
};

class CpuBackend final : public Backend {
 public:
  // Packs the weights (a copy: `weights` may be released afterwards). Throws Error(Usage) for an
  // unsupported precision or thread count, Error(ModelLoad) for weights that disagree with `config`.
  CpuBackend(const ModelConfig& config, const SiameseWeights& weights, const CpuBackendOptions& options = {});
  ~CpuBackend() override;
  CpuBackend(const CpuBackend&) = delete;
  CpuBackend& operator=(const CpuBackend&) = delete;

  std::string name() const override { return "cpu"; }
  Precision precision() const override;
  int threads() const noexcept;

  // All three throw Error(InvalidInput) for an empty sequence, a token id outside the vocabulary, a
  // position past max_position_embeddings, or text states that do not match this model.
  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) override;
  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) override;
  std::vector<TextStates> run_hint(std::span<const HintInput> batch) override;

  // Per-operator timings since the last reset (UNINLU_PROFILE=1), and what the GEMMs run on.
  std::string profile_report() const;
  void reset_profile();
  std::string describe() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// How `precision` runs on this CPU: "fp32", "int8 (7-bit weights: no VNNI)", "bf16 (emulated in fp32:
// no AVX512-BF16, slower than fp32)", ... (gemm.h). Throws Error(Usage) for fp16, as the backend does.
std::string describe_cpu_precision(Precision precision);

// True where `precision` runs emulated and slower than fp32 on this CPU (bf16 without AVX512-BF16/AMX).
bool cpu_precision_is_emulated(Precision precision);

// The instruction sets the CPU backend runs on (cpu_isa.h): "kernels x86-64-v3 (avx2+fma), oneDNN avx2".
std::string cpu_isa_summary();

std::unique_ptr<Backend> make_cpu_backend(const ModelConfig& config, const SiameseWeights& weights,
                                          const CpuBackendOptions& options = {});

}  // namespace uninlu
