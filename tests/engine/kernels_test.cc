// Each CPU kernel against a naive scalar loop in double precision, on random data of several shapes
// (one row, odd sizes, sizes that are not multiples of any vector width).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/layernorm.h"
#include "kernels/cpu/simd.h"
#include "test_model.h"

namespace uninlu::cpu {
namespace {

using test::random_floats;

double max_abs(const std::vector<float>& got, const std::vector<double>& want) { return test::max_abs_diff(got, want); }

TEST(SimdMath, ExpApproxIsAccurate) {
  double worst = 0;
  for (float x = -80.0f; x <= 80.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(exp_approx(x) - want) / want);
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(exp_approx(0.0f), 1.0f);
}

TEST(SimdMath, ErfApproxIsAccurate) {
  double worst = 0;
  for (float x = -6.0f; x <= 6.0f; x += 0.00071f)
    worst = std::max(worst, std::abs(erf_approx(x) - std::erf(static_cast<double>(x))));
  EXPECT_LT(worst, 1e-6);
}

class GemmTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

TEST_P(GemmTest, MatchesNaiveLoop) {
  const auto [rows, in, out, with_bias] = GetParam();
  const auto x = random_floats(static_cast<std::size_t>(rows * in), 1);
  const auto w = random_floats(static_cast<std::size_t>(out * in), 2, 0.2f);
  const auto b = random_floats(static_cast<std::size_t>(out), 3);
  std::vector<double> want(static_cast<std::size_t>(rows * out));
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double s = with_bias ? b[static_cast<std::size_t>(o)] : 0.0;
      for (int i = 0; i < in; ++i)
        s += static_cast<double>(x[static_cast<std::size_t>(r * in + i)]) * w[static_cast<std::size_t>(o * in + i)];
      want[static_cast<std::size_t>(r * out + o)] = s;
    }
  }
  auto context = make_gemm_context();
  const LinearWeightsView view{w.data(), with_bias ? b.data() : nullptr, out, in};
  const double tolerance = 1e-5 * std::sqrt(static_cast<double>(in)) * 4;
  for (auto library : {GemmLibrary::OneDnn, GemmLibrary::OpenBlas}) {
    auto linear = make_linear(view, library, GemmPrecision::F32, context);
    std::vector<float> y(static_cast<std::size_t>(rows * out), 123.0f);
    linear->forward(x.data(), rows, y.data());
    EXPECT_LT(max_abs(y, want), tolerance) << linear->describe();
    // Twice: the cached primitive must give the same answer.
    std::vector<float> again(y.size(), -1.0f);
    linear->forward(x.data(), rows, again.data());
    EXPECT_EQ(y, again) << linear->describe();
  }
  // bf16 inputs and weights: 8 significant bits, so about 2^-8 relative per product. int8: 127 levels
  // per row of x and per row of W, so about 1/127 of each operand's range per product.
  for (auto [precision, relative] : {std::pair{GemmPrecision::BF16, 0.02}, std::pair{GemmPrecision::Int8, 0.05}}) {
    std::unique_ptr<Linear> linear;
    try {
      linear = make_linear(view, GemmLibrary::OneDnn, precision, context);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Usage) throw;
      continue;  // this CPU has no such matmul
    }
    std::vector<float> y(static_cast<std::size_t>(rows * out));
    linear->forward(x.data(), rows, y.data());
    EXPECT_LT(max_abs(y, want), relative * std::sqrt(static_cast<double>(in))) << linear->describe();
    std::vector<float> again(y.size());
    linear->forward(x.data(), rows, again.data());
    EXPECT_EQ(y, again) << linear->describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GemmTest,
                         ::testing::Values(std::make_tuple(1, 32, 96, true), std::make_tuple(7, 33, 17, true),
                                           std::make_tuple(17, 768, 768, false), std::make_tuple(64, 64, 2, true),
                                           std::make_tuple(300, 96, 40, true)));

TEST(Gemm, UnsupportedCombinationsAreUsageErrors) {
  const std::vector<float> w(16, 0.5f);
  auto context = make_gemm_context();
  const LinearWeightsView view{w.data(), nullptr, 4, 4};
  for (auto precision : {GemmPrecision::BF16, GemmPrecision::Int8}) {
    try {
      make_linear(view, GemmLibrary::OpenBlas, precision, context);
      FAIL() << "OpenBLAS is fp32 only";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage);
    }
  }
}

class RowsTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(RowsTest, BiasGeluMatchesErfForm) {
  const auto [rows, cols] = GetParam();
  auto x = random_floats(static_cast<std::size_t>(rows * cols), 4, 3.0f);
  const auto bias = random_floats(static_cast<std::size_t>(cols), 5);
  std::vector<double> want(x.size());
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const double v =
          static_cast<double>(x[static_cast<std::size_t>(r * cols + c)]) + bias[static_cast<std::size_t>(c)];
      want[static_cast<std::size_t>(r * cols + c)] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    }
  }
  bias_gelu(x.data(), bias.data(), rows, cols);
  EXPECT_LT(max_abs(x, want), 5e-6);
}

TEST_P(RowsTest, BiasResidualLayerNormMatchesNaive) {
  const auto [rows, cols] = GetParam();
  const auto x = random_floats(static_cast<std::size_t>(rows * cols), 6);
  const auto residual = random_floats(static_cast<std::size_t>(rows * cols), 7, 2.0f);
  const auto bias = random_floats(static_cast<std::size_t>(cols), 8);
  auto gamma = random_floats(static_cast<std::size_t>(cols), 9, 0.1f);
  for (auto& g : gamma) g += 1.0f;
  const auto beta = random_floats(static_cast<std::size_t>(cols), 10, 0.1f);
  std::vector<double> want(x.size());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    std::vector<double> v(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      v[static_cast<std::size_t>(c)] = static_cast<double>(x[i]) + bias[static_cast<std::size_t>(c)] + residual[i];
      mean += v[static_cast<std::size_t>(c)];
    }
    mean /= cols;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= cols;
    for (int c = 0; c < cols; ++c) {
      want[static_cast<std::size_t>(r * cols + c)] =
          (v[static_cast<std::size_t>(c)] - mean) / std::sqrt(var + 1e-12) * gamma[static_cast<std::size_t>(c)] +
          beta[static_cast<std::size_t>(c)];
    }
  }
  const LayerNormParams params{gamma.data(), beta.data(), 1e-12f};
  std::vector<float> out(x.size());
  bias_residual_layernorm(x.data(), bias.data(), residual.data(), out.data(), rows, cols, params);
  EXPECT_LT(max_abs(out, want), 2e-5);
  // In place over the residual, as the engine uses it.
  auto in_place = residual;
  bias_residual_layernorm(x.data(), bias.data(), in_place.data(), in_place.data(), rows, cols, params);
  EXPECT_EQ(in_place, out);
}

TEST_P(RowsTest, SoftmaxRowsSumToOne) {
  const auto [rows, cols] = GetParam();
  auto x = random_floats(static_cast<std::size_t>(rows * cols), 11, 4.0f);
  std::vector<double> want(x.size());
  for (int r = 0; r < rows; ++r) {
    double mx = -1e300, sum = 0;
    for (int c = 0; c < cols; ++c) mx = std::max(mx, static_cast<double>(x[static_cast<std::size_t>(r * cols + c)]));
    for (int c = 0; c < cols; ++c) sum += std::exp(x[static_cast<std::size_t>(r * cols + c)] - mx);
    for (int c = 0; c < cols; ++c)
      want[static_cast<std::size_t>(r * cols + c)] = std::exp(x[static_cast<std::size_t>(r * cols + c)] - mx) / sum;
  }
  softmax_rows(x.data(), rows, cols);
  EXPECT_LT(max_abs(x, want), 1e-6);
}

TEST_P(RowsTest, EmbeddingGathersSumsAndNormalises) {
  const auto [rows, cols] = GetParam();
  const int vocab = 50, positions = 40, types = 2;
  const auto word = random_floats(static_cast<std::size_t>(vocab * cols), 12);
  const auto position = random_floats(static_cast<std::size_t>(positions * cols), 13);
  const auto type = random_floats(static_cast<std::size_t>(types * cols), 14);
  const std::vector<float> gamma(static_cast<std::size_t>(cols), 1.5f), beta(static_cast<std::size_t>(cols), 0.25f);
  std::vector<std::int32_t> ids, pos, tt;
  for (int r = 0; r < rows; ++r) {
    ids.push_back((r * 7 + 3) % vocab);
    pos.push_back(r % positions);
    tt.push_back(r % 2);
  }
  std::vector<double> want(static_cast<std::size_t>(rows * cols));
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    std::vector<double> v(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      v[static_cast<std::size_t>(c)] =
          static_cast<double>(word[static_cast<std::size_t>(ids[static_cast<std::size_t>(r)] * cols + c)]) +
          position[static_cast<std::size_t>(pos[static_cast<std::size_t>(r)] * cols + c)] +
          type[static_cast<std::size_t>(tt[static_cast<std::size_t>(r)] * cols + c)];
      mean += v[static_cast<std::size_t>(c)];
    }
    mean /= cols;
    for (double e : v) var += (e - mean) * (e - mean);
    var /= cols;
    for (int c = 0; c < cols; ++c)
      want[static_cast<std::size_t>(r * cols + c)] =
          (v[static_cast<std::size_t>(c)] - mean) / std::sqrt(var + 1e-12) * 1.5 + 0.25;
  }
  const EmbeddingTables tables{word.data(), position.data(), type.data(), {gamma.data(), beta.data(), 1e-12f}, cols};
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  embed_tokens(tables, ids, pos, tt, out.data());
  EXPECT_LT(max_abs(out, want), 2e-5);
}

// 1 row, odd widths, the real widths, and enough rows to take the parallel path.
INSTANTIATE_TEST_SUITE_P(Shapes, RowsTest,
                         ::testing::Values(std::make_tuple(1, 1), std::make_tuple(1, 32), std::make_tuple(3, 37),
                                           std::make_tuple(17, 768), std::make_tuple(5, 3072),
                                           std::make_tuple(129, 301)));

TEST(Attention, RaggedBatchMatchesNaivePerSequence) {
  const AttentionShape shape{3, 8};
  const int hidden = shape.hidden();
  // Ragged: lengths 1, 5, 17 and 2; one sequence keeps only its first queries, as a pruned last layer does.
  const std::vector<int> lengths = {1, 5, 17, 2};
  const std::vector<int> queries = {1, 5, 9, 2};
  std::vector<AttentionSequence> seqs;
  int rows = 0, out_rows = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    seqs.push_back({rows, lengths[i], queries[i], out_rows});
    rows += lengths[i];
    out_rows += queries[i];
  }
  const auto qkv = random_floats(static_cast<std::size_t>(rows * 3 * hidden), 15, 1.5f);
  std::vector<double> want(static_cast<std::size_t>(out_rows * hidden));
  for (const auto& s : seqs) {
    for (int h = 0; h < shape.heads; ++h) {
      for (int i = 0; i < s.q_len; ++i) {
        std::vector<double> p(static_cast<std::size_t>(s.kv_len));
        double mx = -1e300, sum = 0;
        for (int j = 0; j < s.kv_len; ++j) {
          double dot = 0;
          for (int c = 0; c < shape.head_dim; ++c) {
            dot += static_cast<double>(
                       qkv[static_cast<std::size_t>((s.kv_begin + i) * 3 * hidden + h * shape.head_dim + c)]) *
                   qkv[static_cast<std::size_t>((s.kv_begin + j) * 3 * hidden + hidden + h * shape.head_dim + c)];
          }
          p[static_cast<std::size_t>(j)] = dot / std::sqrt(static_cast<double>(shape.head_dim));
          mx = std::max(mx, p[static_cast<std::size_t>(j)]);
        }
        for (auto& e : p) sum += (e = std::exp(e - mx));
        for (int c = 0; c < shape.head_dim; ++c) {
          double acc = 0;
          for (int j = 0; j < s.kv_len; ++j) {
            acc += p[static_cast<std::size_t>(j)] / sum *
                   qkv[static_cast<std::size_t>((s.kv_begin + j) * 3 * hidden + 2 * hidden + h * shape.head_dim + c)];
          }
          want[static_cast<std::size_t>((s.out_begin + i) * hidden + h * shape.head_dim + c)] = acc;
        }
      }
    }
  }
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    std::vector<float> scratch(static_cast<std::size_t>(attention_scratch_floats(seqs, threads)));
    std::vector<float> context(static_cast<std::size_t>(out_rows * hidden), 99.0f);
    attention(qkv.data(), context.data(), seqs, shape, scratch);
    EXPECT_LT(max_abs(context, want), 1e-5) << threads << " threads";
  }
  omp_set_num_threads(omp_get_num_procs());
}

TEST(Convert, Int8QuantisationRoundTrips) {
  const int rows = 5, cols = 77;
  auto x = random_floats(static_cast<std::size_t>(rows * cols), 17, 3.0f);
  for (int c = 0; c < cols; ++c) x[static_cast<std::size_t>(2 * cols + c)] = 0.0f;  // an all-zero row
  std::vector<std::int8_t> q(x.size());
  std::vector<float> scales(static_cast<std::size_t>(rows));
  quantize_rows_s8(x.data(), rows, cols, q.data(), scales.data());
  EXPECT_EQ(scales[2], 1.0f);
  for (int r = 0; r < rows; ++r) {
    int largest = 0;
    for (int c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      EXPECT_NEAR(q[i] * scales[static_cast<std::size_t>(r)], x[i], 0.5f * scales[static_cast<std::size_t>(r)] + 1e-6f);
      largest = std::max(largest, std::abs(static_cast<int>(q[i])));
    }
    if (r != 2) {
      EXPECT_EQ(largest, 127);
    }
  }
  // Dequantisation: acc * row scale * column scale + bias.
  const std::vector<std::int32_t> acc = {1, -2, 3, 4, 5, -6};
  const std::vector<float> row_scales = {0.5f, 2.0f}, col_scales = {1.0f, 10.0f, 100.0f}, bias = {1.0f, 2.0f, 3.0f};
  std::vector<float> y(6);
  dequantize_rows_s32(acc.data(), 2, 3, row_scales.data(), col_scales.data(), bias.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{1.5f, -8.0f, 153.0f, 9.0f, 102.0f, -1197.0f}));
}

TEST(Convert, Bf16RoundsToNearestEven) {
  const auto x = random_floats(1000, 16, 100.0f);
  std::vector<std::uint16_t> got(x.size());
  float_to_bf16(x.data(), got.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], uninlu::float_to_bf16(x[i])) << x[i];
}

}  // namespace
}  // namespace uninlu::cpu
