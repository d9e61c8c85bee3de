// Every CUDA kernel against the CPU kernel that does the same job (src/kernels/cpu), on random data of
// several shapes (1 row, 384+128 = 512 tokens, odd widths), for each GEMM type. Tolerances:
//   fp32 outputs: 1e-4 absolute (values are O(1); the two sides differ only in summation order and in
//     exp/erf implementations, so the real differences are ~1e-6, printed);
//   fp16/bf16 copies (the next GEMM's inputs): the type's unit roundoff relative to the value (2^-11 for
//     fp16, 2^-8 for bf16) plus the fp32 tolerance, since they are the fp32 result rounded once;
//   GEMMs: against a double-precision product of the same (already rounded) inputs, so only accumulation
//     order counts: 1e-4 for fp32 (no TF32), 1e-3 for fp16/bf16 (tensor-core fp32 accumulation rounds
//     differently); with TF32 allowed, each output against its own error bound (TF32 rounds the fp32
//     inputs, see Tf32IsCloseButLooser).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <ostream>
#include <cstdio>
#include <tuple>

#include "gpu_test_support.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cuda/activation_kernels.h"
#include "kernels/cuda/attention_kernels.h"
#include "kernels/cuda/classifier_kernels.h"
#include "kernels/cuda/copy_kernels.h"
#include "kernels/cuda/embedding_kernels.h"
#include "engine/cuda/gemm_lt.h"
#include "kernels/cuda/layernorm_kernels.h"

namespace uninlu::cuda {
// Readable parameter names in test listings ("fp16", not "4-byte object <01-00 00-00>").
void PrintTo(GemmType type, std::ostream* os) { *os << gemm_type_name(type); }
}  // namespace uninlu::cuda

namespace uninlu {
namespace {

using cuda::GemmType;
using gpu_test::DeviceArray;
using gpu_test::max_abs_diff;
using gpu_test::random_vector;

constexpr double kFp32Tolerance = 1e-4;
const GemmType kTypes[] = {GemmType::F32, GemmType::F16, GemmType::BF16};

std::string type_name(GemmType t) { return cuda::gemm_type_name(t); }

// The GEMM-type copy `low` (as written by a kernel) against the CPU's fp32 values.
void expect_low_copy_close(const DeviceArray<std::uint16_t>& low, GemmType type, const std::vector<float>& cpu,
                           const std::string& what) {
  const std::vector<float> values = gpu_test::low_to_float(low.download(), type);
  const double u = gpu_test::unit_roundoff(type);
  std::size_t bad = 0;
  double worst = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double diff = std::abs(static_cast<double>(values[i]) - cpu[i]);
    worst = std::max(worst, diff);
    if (diff > u * std::abs(cpu[i]) * 1.01 + 2 * kFp32Tolerance) ++bad;
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << cpu.size() << " " << type_name(type)
                     << " values off by more than the roundoff (worst " << worst << ")";
}

// ---- embeddings ----------------------------------------------------------------------------------------

class EmbeddingGpu : public ::testing::TestWithParam<std::tuple<int, int, GemmType>> {};

TEST_P(EmbeddingGpu, MatchesCpuKernel) {
  UNINLU_REQUIRE_GPU();
  const auto [rows, hidden, type] = GetParam();
  const int vocab = 50, positions = 600;
  const auto h = static_cast<std::size_t>(hidden);
  const auto word = random_vector(vocab * h, 1);
  const auto position = random_vector(positions * h, 2, 0.5f);
  const auto token_type = random_vector(2 * h, 3, 0.5f);
  const auto gamma = random_vector(h, 4, 0.1f, 1.0f);
  const auto beta = random_vector(h, 5, 0.1f);
  std::vector<std::int32_t> ids, pos, types;
  for (int r = 0; r < rows; ++r) {
    ids.push_back((r * 7 + 3) % vocab);
    pos.push_back((r * 13 + 1) % positions);
    types.push_back(r % 2);
  }
  std::vector<float> want(static_cast<std::size_t>(rows) * h);
  cpu::embed_tokens({word.data(), position.data(), token_type.data(), {gamma.data(), beta.data(), 1e-12f}, hidden},
                    ids, pos, types, want.data());

  DeviceArray<float> d_word(word), d_position(position), d_type(token_type), d_gamma(gamma), d_beta(beta);
  DeviceArray<std::int32_t> d_ids(ids), d_pos(pos), d_types(types);
  DeviceArray<float> out(want.size());
  DeviceArray<std::uint16_t> low(want.size());
  const bool with_low = type != GemmType::F32;
  cuda::embed_tokens({d_word.get(), d_position.get(), d_type.get(), d_gamma.get(), d_beta.get(), 1e-12f, hidden},
                     d_ids.get(), d_pos.get(), d_types.get(), rows, out.get(), with_low ? low.get() : nullptr, type,
                     nullptr);
  const double diff = max_abs_diff(out.download(), want);
  std::printf("embedding %d x %d %s: max |gpu - cpu| %.3g\n", rows, hidden, type_name(type).c_str(), diff);
  EXPECT_LT(diff, kFp32Tolerance);
  if (with_low) expect_low_copy_close(low, type, want, "embedding");
}

INSTANTIATE_TEST_SUITE_P(Shapes, EmbeddingGpu,
                         ::testing::Combine(::testing::Values(1, 17, 37, 512), ::testing::Values(32, 100, 768, 1000),
                                            ::testing::ValuesIn(kTypes)));

// ---- bias + residual + LayerNorm -----------------------------------------------------------------------

class LayerNormGpu : public ::testing::TestWithParam<std::tuple<int, int, GemmType>> {};

TEST_P(LayerNormGpu, MatchesCpuKernelAlsoInPlace) {
  UNINLU_REQUIRE_GPU();
  const auto [rows, cols, type] = GetParam();
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const auto x = random_vector(n, 11, 2.0f, 0.5f);
  const auto residual = random_vector(n, 12);
  const auto bias = random_vector(static_cast<std::size_t>(cols), 13, 0.3f);
  const auto gamma = random_vector(static_cast<std::size_t>(cols), 14, 0.1f, 1.0f);
  const auto beta = random_vector(static_cast<std::size_t>(cols), 15, 0.1f);
  std::vector<float> want(n);
  cpu::bias_residual_layernorm(x.data(), bias.data(), residual.data(), want.data(), rows, cols,
                               {gamma.data(), beta.data(), 1e-12f});

  DeviceArray<float> d_x(x), d_residual(residual), d_bias(bias), d_gamma(gamma), d_beta(beta), out(n);
  DeviceArray<std::uint16_t> low(n);
  const bool with_low = type != GemmType::F32;
  const cuda::DeviceLayerNorm norm{d_gamma.get(), d_beta.get(), 1e-12f};
  cuda::bias_residual_layernorm(d_x.get(), d_bias.get(), d_residual.get(), out.get(), with_low ? low.get() : nullptr,
                                type, rows, cols, norm, nullptr);
  const double diff = max_abs_diff(out.download(), want);
  std::printf("layernorm %d x %d %s: max |gpu - cpu| %.3g\n", rows, cols, type_name(type).c_str(), diff);
  EXPECT_LT(diff, kFp32Tolerance);
  if (with_low) expect_low_copy_close(low, type, want, "layernorm");

  // In place over x, and over the residual (the encoder layer writes over its input).
  cuda::bias_residual_layernorm(d_x.get(), d_bias.get(), d_residual.get(), d_x.get(), nullptr, type, rows, cols, norm,
                                nullptr);
  EXPECT_LT(max_abs_diff(d_x.download(), want), kFp32Tolerance);
  d_x.upload(x);
  cuda::bias_residual_layernorm(d_x.get(), d_bias.get(), d_residual.get(), d_residual.get(), nullptr, type, rows, cols,
                                norm, nullptr);
  EXPECT_LT(max_abs_diff(d_residual.download(), want), kFp32Tolerance);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormGpu,
                         ::testing::Combine(::testing::Values(1, 3, 512), ::testing::Values(1, 37, 768, 3072),
                                            ::testing::ValuesIn(kTypes)));

// ---- bias + GELU ---------------------------------------------------------------------------------------

class GeluGpu : public ::testing::TestWithParam<std::tuple<int, int, GemmType>> {};

TEST_P(GeluGpu, MatchesCpuKernel) {
  UNINLU_REQUIRE_GPU();
  const auto [rows, cols, type] = GetParam();
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const auto x = random_vector(n, 21, 2.0f);
  const auto bias = random_vector(static_cast<std::size_t>(cols), 22);
  std::vector<float> want = x;
  cpu::bias_gelu(want.data(), bias.data(), rows, cols);

  DeviceArray<float> d_x(x), d_bias(bias);
  if (type == GemmType::F32) {
    DeviceArray<float> out(n);
    cuda::bias_gelu(d_x.get(), d_bias.get(), out.get(), type, rows, cols, nullptr);
    const double diff = max_abs_diff(out.download(), want);
    std::printf("gelu %d x %d fp32: max |gpu - cpu| %.3g\n", rows, cols, diff);
    EXPECT_LT(diff, kFp32Tolerance);
    cuda::bias_gelu(d_x.get(), d_bias.get(), d_x.get(), type, rows, cols, nullptr);  // in place
    EXPECT_LT(max_abs_diff(d_x.download(), want), kFp32Tolerance);
  } else {
    DeviceArray<std::uint16_t> out(n);
    cuda::bias_gelu(d_x.get(), d_bias.get(), out.get(), type, rows, cols, nullptr);
    expect_low_copy_close(out, type, want, "gelu");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GeluGpu,
                         ::testing::Combine(::testing::Values(1, 17, 513), ::testing::Values(5, 64, 3072),
                                            ::testing::ValuesIn(kTypes)));

// ---- attention -----------------------------------------------------------------------------------------

struct AttentionCase {
  int heads;
  int head_dim;
};

class AttentionGpu : public ::testing::TestWithParam<std::tuple<AttentionCase, GemmType>> {};

TEST_P(AttentionGpu, RaggedBatchMatchesCpuKernel) {
  UNINLU_REQUIRE_GPU();
  const auto [shape_case, type] = GetParam();
  const int heads = shape_case.heads, head_dim = shape_case.head_dim, hidden = heads * head_dim;
  // (kv_len, q_len): one token; a short request; the longest cross item (384 text + 128 hint) in full and
  // pruned to its text rows as the last layer runs it; odd lengths around the 16-query and 32-key tiles.
  const std::vector<std::pair<int, int>> lengths = {{1, 1}, {17, 17}, {512, 512}, {512, 384}, {33, 5}, {100, 100}, {2, 1}};
  std::vector<cpu::AttentionSequence> cpu_seqs;
  std::vector<cuda::AttentionSequence> seqs;
  std::vector<cuda::AttentionTile> tiles;
  int rows = 0, out_rows = 0;
  for (const auto& [kv, q] : lengths) {
    cpu_seqs.push_back({rows, kv, q, out_rows});
    seqs.push_back({rows, kv, q, out_rows});
    for (int t = 0; t < q; t += cuda::kAttentionQueryTile) {
      tiles.push_back({static_cast<std::int32_t>(seqs.size() - 1), t});
    }
    rows += kv;
    out_rows += q;
  }
  const std::size_t width = 3 * static_cast<std::size_t>(hidden);
  const auto qkv = random_vector(static_cast<std::size_t>(rows) * width, 31, 1.5f);
  const auto bias = random_vector(width, 32, 0.5f);
  std::vector<float> qkv_biased = qkv;
  for (std::size_t i = 0; i < qkv_biased.size(); ++i) qkv_biased[i] += bias[i % width];
  std::vector<float> want(static_cast<std::size_t>(out_rows) * static_cast<std::size_t>(hidden));
  std::vector<float> scratch(static_cast<std::size_t>(cpu::attention_scratch_floats(cpu_seqs, omp_get_max_threads())));
  cpu::attention(qkv_biased.data(), want.data(), cpu_seqs, {heads, head_dim}, scratch);

  DeviceArray<float> d_qkv(qkv), d_bias(bias);
  DeviceArray<cuda::AttentionSequence> d_seqs(seqs);
  DeviceArray<cuda::AttentionTile> d_tiles(tiles);
  if (type == GemmType::F32) {
    DeviceArray<float> context(want.size());
    cuda::attention(d_qkv.get(), d_bias.get(), d_seqs.get(), d_tiles.get(), static_cast<int>(tiles.size()),
                    {heads, head_dim}, context.get(), type, nullptr);
    const double diff = max_abs_diff(context.download(), want);
    std::printf("attention %d heads x %d fp32: max |gpu - cpu| %.3g\n", heads, head_dim, diff);
    EXPECT_LT(diff, kFp32Tolerance);
  } else {
    DeviceArray<std::uint16_t> context(want.size());
    cuda::attention(d_qkv.get(), d_bias.get(), d_seqs.get(), d_tiles.get(), static_cast<int>(tiles.size()),
                    {heads, head_dim}, context.get(), type, nullptr);
    expect_low_copy_close(context, type, want, "attention");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionGpu,
                         ::testing::Combine(::testing::Values(AttentionCase{4, 8}, AttentionCase{12, 64},
                                                              AttentionCase{2, 128}, AttentionCase{3, 20},
                                                              AttentionCase{1, 33}),
                                            ::testing::ValuesIn(kTypes)));

// ---- GEMM (cuBLASLt) -----------------------------------------------------------------------------------

class GemmGpu : public ::testing::TestWithParam<std::tuple<std::tuple<int, int, int>, GemmType>> {};

// Rounds to the GEMM type and back, as the device sees the values.
std::vector<float> as_gemm_type(const std::vector<float>& v, GemmType type) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = type == GemmType::F32   ? v[i]
             : type == GemmType::F16 ? half_to_float(float_to_half(v[i]))
                                     : bf16_to_float(float_to_bf16(v[i]));
  }
  return out;
}

template <class T>
DeviceArray<T> upload_as(const std::vector<float>& v, GemmType type) {
  std::vector<T> bits(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if constexpr (std::is_same_v<T, float>) {
      bits[i] = v[i];
    } else {
      bits[i] = type == GemmType::F16 ? float_to_half(v[i]) : float_to_bf16(v[i]);
    }
  }
  return DeviceArray<T>(bits);
}

double gemm_error(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& y, int m, int n,
                  int k) {
  double worst = 0;
  for (int r = 0; r < m; ++r) {
    for (int o = 0; o < n; ++o) {
      double s = 0;
      for (int i = 0; i < k; ++i) {
        s += static_cast<double>(x[static_cast<std::size_t>(r) * k + i]) * w[static_cast<std::size_t>(o) * k + i];
      }
      worst = std::max(worst, std::abs(s - y[static_cast<std::size_t>(r) * n + o]));
    }
  }
  return worst;
}

void run_gemm_case(int m, int n, int k, GemmType type, bool tf32, double tolerance) {
  const auto x = as_gemm_type(random_vector(static_cast<std::size_t>(m) * k, 41), type);
  const auto w = as_gemm_type(random_vector(static_cast<std::size_t>(n) * k, 42, 1.0f / std::sqrt(static_cast<float>(k))), type);
  cuda::LtGemm gemm(0, {32u << 20, tf32});
  DeviceArray<float> y(static_cast<std::size_t>(m) * n);
  if (type == GemmType::F32) {
    auto dx = upload_as<float>(x, type);
    auto dw = upload_as<float>(w, type);
    gemm.linear(dx.get(), dw.get(), y.get(), m, n, k, type, nullptr);
    const double err = gemm_error(x, w, y.download(), m, n, k);
    std::printf("gemm %dx%dx%d fp32%s: max |gpu - exact| %.3g\n", m, n, k, tf32 ? " (tf32)" : "", err);
    EXPECT_LT(err, tolerance);
  } else {
    auto dx = upload_as<std::uint16_t>(x, type);
    auto dw = upload_as<std::uint16_t>(w, type);
    gemm.linear(dx.get(), dw.get(), y.get(), m, n, k, type, nullptr);
    const double err = gemm_error(x, w, y.download(), m, n, k);
    std::printf("gemm %dx%dx%d %s: max |gpu - exact| %.3g\n", m, n, k, type_name(type).c_str(), err);
    EXPECT_LT(err, tolerance);
  }
  // The same shape again hits the plan cache and must give the same numbers.
  EXPECT_GE(gemm.cached_plans(), 1u);
}

TEST_P(GemmGpu, MatchesExactProductOfTheSameInputs) {
  UNINLU_REQUIRE_GPU();
  const auto [shape, type] = GetParam();
  const auto [m, n, k] = shape;
  run_gemm_case(m, n, k, type, false, type == GemmType::F32 ? 1e-4 : 1e-3);
}

// m: 1 token, a request, odd row counts, 512; n x k: the model's four GEMMs and the tiny model's.
INSTANTIATE_TEST_SUITE_P(Shapes, GemmGpu,
                         ::testing::Combine(::testing::Values(std::make_tuple(1, 768, 768), std::make_tuple(17, 2304, 768),
                                                              std::make_tuple(333, 3072, 768),
                                                              std::make_tuple(512, 768, 3072), std::make_tuple(7, 96, 32),
                                                              std::make_tuple(5, 32, 64)),
                                            ::testing::ValuesIn(kTypes)));

TEST(GemmGpuOdd, Fp32TakesAnyShape) {
  UNINLU_REQUIRE_GPU();
  run_gemm_case(5, 37, 29, GemmType::F32, false, 1e-4);
  run_gemm_case(1, 1, 1, GemmType::F32, false, 1e-4);
}

// TF32 rounds each fp32 input to a 10-bit mantissa: a relative error of u = 2^-11 with round-to-nearest,
// 2^-10 if the conversion truncates (taken here: a bound must hold for either). A product of two rounded
// inputs is within 2u + u^2 of the exact one, and the fp32 accumulation of k terms adds k * 2^-24, so
// every output satisfies |y - exact| <= (2u + u^2 + k * 2^-24) * sum_i |x_i w_i|. The max-abs 5e-3 this
// replaces was borderline: the expected error over 49152 outputs of k = 3072 is already ~4e-3.
TEST(GemmGpuOdd, Tf32IsCloseButLooser) {
  UNINLU_REQUIRE_GPU();
  const int m = 64, n = 768, k = 3072;
  const auto x = random_vector(static_cast<std::size_t>(m) * k, 41);
  const auto w = random_vector(static_cast<std::size_t>(n) * k, 42, 1.0f / std::sqrt(static_cast<float>(k)));
  cuda::LtGemm gemm(0, {32u << 20, true});
  DeviceArray<float> y(static_cast<std::size_t>(m) * n);
  auto dx = upload_as<float>(x, GemmType::F32);
  auto dw = upload_as<float>(w, GemmType::F32);
  gemm.linear(dx.get(), dw.get(), y.get(), m, n, k, GemmType::F32, nullptr);
  const auto got = y.download();
  const double u = std::ldexp(1.0, -10);
  const double relative = 2 * u + u * u + k * std::ldexp(1.0, -24);
  double worst_ratio = 0;  // max over outputs of |error| / its bound
  for (int r = 0; r < m; ++r) {
    for (int o = 0; o < n; ++o) {
      double exact = 0, magnitude = 0;
      for (int i = 0; i < k; ++i) {
        const double p = static_cast<double>(x[static_cast<std::size_t>(r) * k + i]) * w[static_cast<std::size_t>(o) * k + i];
        exact += p;
        magnitude += std::abs(p);
      }
      const double err = std::abs(exact - got[static_cast<std::size_t>(r) * n + o]);
      worst_ratio = std::max(worst_ratio, err / (relative * magnitude));
    }
  }
  std::printf("gemm %dx%dx%d fp32 (tf32): worst error / bound %.3g\n", m, n, k, worst_ratio);
  EXPECT_LE(worst_ratio, 1.0);
}

TEST(GemmGpuOdd, MisalignedOperandIsABugNotACrash) {
  UNINLU_REQUIRE_GPU();
  cuda::LtGemm gemm(0, {});
  DeviceArray<float> x(64), w(64), y(64);
  EXPECT_THROW(gemm.linear(x.get() + 1, w.get(), y.get(), 1, 8, 8, GemmType::F32, nullptr), Error);
}

// ---- gathers and the span classifiers ------------------------------------------------------------------

TEST(GatherGpu, TakesRowsFromBothSourcesAndWritesTheLowCopy) {
  UNINLU_REQUIRE_GPU();
  const int cols = 37;
  const auto src = random_vector(10 * cols, 51);
  const auto alt = random_vector(5 * cols, 52);
  const std::vector<std::int32_t> rows = {3, -1, 0, -5, 9, 3, -2};  // -1 - s names alt row s
  std::vector<float> want;
  for (std::int32_t r : rows) {
    const float* from = r >= 0 ? &src[static_cast<std::size_t>(r) * cols] : &alt[static_cast<std::size_t>(-1 - r) * cols];
    want.insert(want.end(), from, from + cols);
  }
  DeviceArray<float> d_src(src), d_alt(alt), out(want.size());
  DeviceArray<std::int32_t> d_rows(rows);
  for (GemmType type : kTypes) {
    DeviceArray<std::uint16_t> low(want.size());
    cuda::gather_rows(d_src.get(), d_alt.get(), d_rows.get(), static_cast<int>(rows.size()), cols, out.get(),
                      type == GemmType::F32 ? nullptr : low.get(), type, nullptr);
    EXPECT_EQ(out.download(), want) << type_name(type);
    if (type != GemmType::F32) expect_low_copy_close(low, type, want, "gather");
  }
}

TEST(ClassifierGpu, MatchesDoubleDotProducts) {
  UNINLU_REQUIRE_GPU();
  for (const auto& [rows, cols] : {std::pair{1, 32}, std::pair{17, 768}, std::pair{513, 100}}) {
    const auto hidden = random_vector(static_cast<std::size_t>(rows) * cols, 61);
    const auto weight = random_vector(2 * static_cast<std::size_t>(cols), 62, 1.0f / std::sqrt(static_cast<float>(cols)));
    const std::vector<float> bias = {0.25f, -0.5f};
    std::vector<float> want(2 * static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      for (int j = 0; j < 2; ++j) {
        double s = bias[static_cast<std::size_t>(j)];
        for (int c = 0; c < cols; ++c) {
          s += static_cast<double>(hidden[static_cast<std::size_t>(r) * cols + c]) * weight[static_cast<std::size_t>(j) * cols + c];
        }
        want[2 * static_cast<std::size_t>(r) + j] = static_cast<float>(s);
      }
    }
    DeviceArray<float> d_hidden(hidden), d_weight(weight), d_bias(bias), logits(want.size());
    cuda::span_logits(d_hidden.get(), d_weight.get(), d_bias.get(), logits.get(), rows, cols, nullptr);
    EXPECT_LT(max_abs_diff(logits.download(), want), kFp32Tolerance) << rows << " x " << cols;
  }
}

}  // namespace
}  // namespace uninlu
