#pragma once
// Linear layers: y[rows, out] = x[rows, in] · Wᵀ (+ b), with W given in PyTorch's [out, in] layout and
// repacked once, at construction, into whatever layout the GEMM library runs fastest on.
//
// The precision is a property of the packed layer, not of the caller: the engine always passes and
// receives float32 activations, and a BF16 (or later Int8) layer converts its input itself. So a new
// precision is a new Linear implementation and nothing else changes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace uninlu::cpu {

enum class GemmLibrary {
  OneDnn,    // oneDNN matmul (brgemm kernels), weights in oneDNN's blocked layout: the default
  OpenBlas,  // OpenBLAS sgemm, weights pre-transposed to [in, out]: kept for comparison (fp32 only)
};

enum class GemmPrecision {
  F32,   // fp32 weights and activations
  BF16,  // bf16 weights and activations, fp32 accumulation and output (needs AVX512-BF16 to be fast)
  Int8,  // dynamic quantisation: s8 inputs (per-row scale) x s8 weights (per-column scale), s32 accumulation
};

// The largest |q| of the int8 weights: 127 where oneDNN has VNNI, 63 elsewhere. Without VNNI oneDNN
// shifts the s8 input to u8 (q + 128, up to 255) and multiplies with vpmaddubsw, which adds two u8 x s8
// products in saturating int16: 2 * 255 * 127 > 32767 overflows, 2 * 255 * 63 = 32130 cannot. The one place that
// decides; the error bound for either range is in docs/engine.md.
int int8_weight_limit() noexcept;

// bf16 without bf16 dot products in hardware (no AVX512-BF16 or AMX): the layer stores bf16-rounded
// weights as fp32 and runs an fp32 matmul on bf16-rounded inputs. Products of two bf16 values are exact
// in fp32, so this is numerically bf16 with fp32 accumulation, but slower than plain fp32.
bool bf16_emulated() noexcept;

// The precision as it runs on this CPU: "fp32", "bf16", "bf16 (emulated in fp32: no AVX512-BF16,
// slower than fp32)", "int8", "int8 (7-bit weights: no VNNI)".
std::string gemm_precision_description(GemmPrecision precision);

const char* gemm_library_name(GemmLibrary library) noexcept;        // "onednn", "openblas"
const char* gemm_precision_name(GemmPrecision precision) noexcept;  // "fp32", "bf16", "int8"

struct LinearWeightsView {
  const float* weight = nullptr;  // [out, in], row-major; copied into the packed layer
  const float* bias = nullptr;    // [out] or null; copied
  int out = 0;
  int in = 0;
};

// State shared by the linear layers of one backend: the oneDNN engine and stream, a cache of matmul
// primitives by shape (a primitive depends on the row count, which changes with every ragged batch),
// the primitives' scratchpad, and the staging buffer for reduced-precision inputs. Not thread-safe: one
// backend, one thread at a time.
class GemmContext;
std::shared_ptr<GemmContext> make_gemm_context();

class Linear {
 public:
  virtual ~Linear() = default;
  Linear(const Linear&) = delete;
  Linear& operator=(const Linear&) = delete;

  int in_features() const noexcept { return in_; }
  int out_features() const noexcept { return out_; }
  bool has_bias() const noexcept { return has_bias_; }

  // y[rows, out] = x[rows, in] · Wᵀ (+ bias when the layer has one). x and y must not overlap. Uses the
  // calling thread's OpenMP thread count. Not const: it may build and cache a primitive for `rows`.
  virtual void forward(const float* x, int rows, float* y) = 0;

  // Int8 layers only: the GEMM on an input the caller has quantised (quantize_rows_s8, or a fused
  // epilogue of the previous kernel), without the dequantisation: acc[rows, out] = q · Wqᵀ in s32, and
  // y = acc * row scale * column_scales()[c] (+ the bias). The caller fuses the dequantisation into the
  // kernel that follows. Others throw Error(Internal).
  virtual bool is_int8() const noexcept { return false; }
  virtual void forward_int8(const std::int8_t* q, int rows, std::int32_t* acc);
  virtual const float* column_scales() const noexcept { return nullptr; }

  virtual std::size_t packed_bytes() const noexcept = 0;
  virtual std::string describe() const = 0;  // e.g. "onednn fp32 brg:avx512_core"

 protected:
  Linear(int in, int out, bool has_bias) : in_(in), out_(out), has_bias_(has_bias) {}

 private:
  int in_;
  int out_;
  bool has_bias_;
};

// Throws Error(Usage) for a combination that is not available (OpenBLAS with bf16 or int8, a reduced
// precision this CPU cannot run) and Error(Internal) when the library refuses an fp32 shape.
std::unique_ptr<Linear> make_linear(const LinearWeightsView& weights, GemmLibrary library, GemmPrecision precision,
                                    const std::shared_ptr<GemmContext>& context);

}  // namespace uninlu::cpu
