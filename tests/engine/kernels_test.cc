// Each CPU kernel against a naive scalar loop in double precision, on random data of several shapes
// (one row, odd sizes, sizes that are not multiples of any vector width).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
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
#include "kernels/cpu/cpu_isa.h"
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

// Rounding bound of an fp32 sum of n terms whose magnitudes add up to `magnitude`: recursive summation
// errs by at most (n - 1) u sum|terms| with u = FLT_EPSILON / 2 (Higham, Accuracy and Stability, 3.1),
// and blocked, pairwise or FMA orders (whatever a library or vector width picks) by no more. n *
// FLT_EPSILON leaves room for the final rounding of the result and the operations around the sum.
double fp32_sum_bound(std::int64_t n, double magnitude) {
  return static_cast<double>(n) * static_cast<double>(FLT_EPSILON) * magnitude;
}

// The largest |got - want| / bound over the elements: at most 1 when every element is within its bound.
double worst_ratio(const std::vector<float>& got, const std::vector<double>& want, const std::vector<double>& bound) {
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]) / bound[i]);
  }
  return worst;
}

struct GemmProblem {
  int rows, in, out;
  std::vector<float> x, w, b;  // x [rows, in], w [out, in], b [out] (empty: no bias)
  const float* bias() const { return b.empty() ? nullptr : b.data(); }
};

// The exact product in double, and per element the magnitude sum_k |x_k w_k| + |b| of its terms.
void exact_product(const GemmProblem& p, std::vector<double>& want, std::vector<double>& magnitude) {
  want.assign(static_cast<std::size_t>(p.rows * p.out), 0.0);
  magnitude.assign(want.size(), 0.0);
  for (int r = 0; r < p.rows; ++r) {
    for (int o = 0; o < p.out; ++o) {
      double s = p.b.empty() ? 0.0 : p.b[static_cast<std::size_t>(o)], m = std::abs(s);
      for (int i = 0; i < p.in; ++i) {
        const double t = static_cast<double>(p.x[static_cast<std::size_t>(r * p.in + i)]) *
                         p.w[static_cast<std::size_t>(o * p.in + i)];
        s += t;
        m += std::abs(t);
      }
      want[static_cast<std::size_t>(r * p.out + o)] = s;
      magnitude[static_cast<std::size_t>(r * p.out + o)] = m;
    }
  }
}

// An int8 layer against the integers and the quantisation bound:
//  - the s32 accumulator of forward_int8 must equal a naive integer loop over the same quantised values
//    exactly (no saturation, whatever instructions the CPU has: see int8_weight_limit);
//  - the float output may differ from the exact product by the quantisation error. With x = sx qx + dx,
//    |dx| <= sx / 2, and w = sw qw + dw, |dw| <= sw / 2 (round to nearest), per output element
//      |x.w - sx sw qx.qw| <= sum_k (|x_k| sw / 2 + |w_k| sx / 2 + sx sw / 4),
//    plus the fp32 dequantisation (acc to float, two products, the bias: 4 roundings of the result).
void check_int8_layer(Linear& linear, const GemmProblem& p) {
  ASSERT_TRUE(linear.is_int8()) << linear.describe();
  const int limit = int8_weight_limit();
  std::vector<std::int8_t> qx(p.x.size()), qw(p.w.size());
  std::vector<float> sx(static_cast<std::size_t>(p.rows)), sw(static_cast<std::size_t>(p.out));
  quantize_rows_s8(p.x.data(), p.rows, p.in, qx.data(), sx.data());
  quantize_rows_s8(p.w.data(), p.out, p.in, qw.data(), sw.data(), limit);
  for (int o = 0; o < p.out; ++o) {
    ASSERT_EQ(linear.column_scales()[o], sw[static_cast<std::size_t>(o)]) << "column " << o;
  }
  for (std::int8_t q : qw) ASSERT_LE(std::abs(static_cast<int>(q)), limit);

  std::vector<std::int32_t> acc(static_cast<std::size_t>(p.rows * p.out), 123);
  linear.forward_int8(qx.data(), p.rows, acc.data());
  long mismatches = 0;
  std::int64_t first_got = 0, first_want = 0;
  for (int r = 0; r < p.rows; ++r) {
    for (int o = 0; o < p.out; ++o) {
      std::int64_t s = 0;
      for (int i = 0; i < p.in; ++i) {
        s += static_cast<std::int64_t>(qx[static_cast<std::size_t>(r * p.in + i)]) *
             qw[static_cast<std::size_t>(o * p.in + i)];
      }
      const std::int64_t got = acc[static_cast<std::size_t>(r * p.out + o)];
      if (got != s && mismatches++ == 0) {
        first_got = got;
        first_want = s;
      }
    }
  }
  EXPECT_EQ(mismatches, 0) << "s32 accumulators differ from the integer sum (saturation?), e.g. " << first_got
                           << " for " << first_want << ": " << linear.describe();

  std::vector<double> want, magnitude, bound(static_cast<std::size_t>(p.rows * p.out));
  exact_product(p, want, magnitude);
  for (int r = 0; r < p.rows; ++r) {
    for (int o = 0; o < p.out; ++o) {
      const double xs = sx[static_cast<std::size_t>(r)], ws = sw[static_cast<std::size_t>(o)];
      double quantisation = 0;
      for (int i = 0; i < p.in; ++i) {
        quantisation += std::abs(p.x[static_cast<std::size_t>(r * p.in + i)]) * ws / 2 +
                        std::abs(p.w[static_cast<std::size_t>(o * p.in + i)]) * xs / 2 + xs * ws / 4;
      }
      const auto e = static_cast<std::size_t>(r * p.out + o);
      bound[e] = quantisation + 4 * FLT_EPSILON * (magnitude[e] + quantisation);
    }
  }
  std::vector<float> y(want.size());
  linear.forward(p.x.data(), p.rows, y.data());
  EXPECT_LE(worst_ratio(y, want, bound), 1.0) << linear.describe();
  ::testing::Test::RecordProperty("int8_max_abs_err", std::to_string(max_abs(y, want)));
  std::printf("%s %dx%dx%d: max abs error %.4g (%.2f of the bound)\n", linear.describe().c_str(), p.rows, p.in,
              p.out, max_abs(y, want), worst_ratio(y, want, bound));
  std::vector<float> again(y.size());
  linear.forward(p.x.data(), p.rows, again.data());
  EXPECT_EQ(y, again) << linear.describe();
}

class GemmTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

TEST_P(GemmTest, MatchesNaiveLoop) {
  const auto [rows, in, out, with_bias] = GetParam();
  GemmProblem p{rows, in, out, random_floats(static_cast<std::size_t>(rows * in), 1),
                random_floats(static_cast<std::size_t>(out * in), 2, 0.2f), {}};
  if (with_bias) p.b = random_floats(static_cast<std::size_t>(out), 3);
  std::vector<double> want, magnitude;
  exact_product(p, want, magnitude);
  auto context = make_gemm_context();
  const LinearWeightsView view{p.w.data(), p.bias(), out, in};

  // fp32: the rounding bound of a k-term dot product (plus the bias).
  std::vector<double> fp32_bound(want.size());
  for (std::size_t e = 0; e < want.size(); ++e) fp32_bound[e] = fp32_sum_bound(in + 1, magnitude[e]);
  for (auto library : {GemmLibrary::OneDnn, GemmLibrary::OpenBlas}) {
    auto linear = make_linear(view, library, GemmPrecision::F32, context);
    std::vector<float> y(static_cast<std::size_t>(rows * out), 123.0f);
    linear->forward(p.x.data(), rows, y.data());
    EXPECT_LE(worst_ratio(y, want, fp32_bound), 1.0) << linear->describe();
    // Twice: the cached primitive must give the same answer.
    std::vector<float> again(y.size(), -1.0f);
    linear->forward(p.x.data(), rows, again.data());
    EXPECT_EQ(y, again) << linear->describe();
  }

  // bf16 (native or emulated): each operand rounded to 8 significant bits, |relative error| <= u = 2^-8,
  // so each product is off by at most (2u + u^2) |x w|; then the fp32 sum as above.
  {
    auto linear = make_linear(view, GemmLibrary::OneDnn, GemmPrecision::BF16, context);
    const double per_product = 2.0 / 256 + 1.0 / (256.0 * 256.0);
    std::vector<double> bound(want.size());
    for (std::size_t e = 0; e < want.size(); ++e) {
      bound[e] = per_product * magnitude[e] + fp32_sum_bound(in + 1, magnitude[e] * (1 + per_product));
    }
    std::vector<float> y(want.size());
    linear->forward(p.x.data(), rows, y.data());
    EXPECT_LE(worst_ratio(y, want, bound), 1.0) << linear->describe();
    std::vector<float> again(y.size());
    linear->forward(p.x.data(), rows, again.data());
    EXPECT_EQ(y, again) << linear->describe();
  }

  auto int8 = make_linear(view, GemmLibrary::OneDnn, GemmPrecision::Int8, context);
  check_int8_layer(*int8, p);
}

// The inputs that make vpmaddubsw saturate when 8-bit weights meet a CPU without VNNI: every quantised
// activation at +-127 (u8 255 or 1 after oneDNN's shift) against weights at the top of their range.
TEST(Int8Gemm, ExtremeValuesDoNotSaturate) {
  const int rows = 4, in = 64, out = 32;
  GemmProblem p{rows, in, out, std::vector<float>(static_cast<std::size_t>(rows * in)),
                std::vector<float>(static_cast<std::size_t>(out * in)), {}};
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < in; ++i) p.x[static_cast<std::size_t>(r * in + i)] = (r % 2 == 0 || i % 3 != 0) ? 3.0f : -3.0f;
  }
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) p.w[static_cast<std::size_t>(o * in + i)] = (o % 2 == 0 || i % 5 != 0) ? 0.5f : -0.5f;
  }
  auto context = make_gemm_context();
  auto linear = make_linear({p.w.data(), nullptr, out, in}, GemmLibrary::OneDnn, GemmPrecision::Int8, context);
  check_int8_layer(*linear, p);
}

TEST(Int8Gemm, WeightRangeFollowsTheCpu) {
  EXPECT_EQ(int8_weight_limit(), onednn_has_vnni() ? 127 : 63);
  const std::string description = gemm_precision_description(GemmPrecision::Int8);
  EXPECT_EQ(description.find("7-bit") != std::string::npos, !onednn_has_vnni()) << description;
  std::printf("oneDNN ISA %s, kernels %s: %s, %s\n", onednn_isa_name(), kernel_isa_name(), description.c_str(),
              gemm_precision_description(GemmPrecision::BF16).c_str());
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
  const double eps = FLT_EPSILON;
  std::vector<double> want(x.size()), bound(x.size());
  for (int r = 0; r < rows; ++r) {
    // v = x + bias + residual, rounded twice in fp32: |dv_c| <= eps (|x| + |b| + |res|).
    std::vector<double> v(static_cast<std::size_t>(cols)), dv(v.size());
    double mean = 0, var = 0, sum_abs = 0;
    for (int c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      const auto k = static_cast<std::size_t>(c);
      v[k] = static_cast<double>(x[i]) + bias[k] + residual[i];
      dv[k] = eps * (std::abs(x[i]) + std::abs(bias[k]) + std::abs(residual[i]));
      mean += v[k];
      sum_abs += std::abs(v[k]);
    }
    mean /= cols;
    double sum_dv = 0, squares_abs = 0;
    for (int c = 0; c < cols; ++c) {
      var += (v[static_cast<std::size_t>(c)] - mean) * (v[static_cast<std::size_t>(c)] - mean);
      sum_dv += dv[static_cast<std::size_t>(c)];
    }
    squares_abs = var;
    var /= cols;
    const double inv_std = 1.0 / std::sqrt(var + 1e-12);
    // The mean: its inputs' errors plus the rounding of a cols-term sum. The variance: each deviation
    // is off by dv_c + d_mean, which moves the sum of squares by 2 |d_c| (dv_c + d_mean), plus the
    // rounding of its own sum; 1/sqrt halves the relative error and adds two roundings.
    const double d_mean = (sum_dv + fp32_sum_bound(cols, sum_abs)) / cols;
    double d_squares = fp32_sum_bound(cols, squares_abs);
    for (int c = 0; c < cols; ++c) {
      const auto k = static_cast<std::size_t>(c);
      d_squares += 2 * std::abs(v[k] - mean) * (dv[k] + d_mean);
    }
    const double rel_inv_std = d_squares / squares_abs / 2 + 3 * eps;
    for (int c = 0; c < cols; ++c) {
      const auto k = static_cast<std::size_t>(c);
      const auto i = static_cast<std::size_t>(r * cols + c);
      const double normalised = (v[k] - mean) * inv_std;
      want[i] = normalised * gamma[k] + beta[k];
      bound[i] = std::abs(gamma[k]) * ((dv[k] + d_mean) * inv_std + std::abs(normalised) * rel_inv_std) +
                 4 * eps * (std::abs(normalised * gamma[k]) + std::abs(beta[k]));
    }
  }
  const LayerNormParams params{gamma.data(), beta.data(), 1e-12f};
  std::vector<float> out(x.size());
  bias_residual_layernorm(x.data(), bias.data(), residual.data(), out.data(), rows, cols, params);
  EXPECT_LE(worst_ratio(out, want, bound), 1.0);
  // In place over the residual, as the engine uses it.
  auto in_place = residual;
  bias_residual_layernorm(x.data(), bias.data(), in_place.data(), in_place.data(), rows, cols, params);
  EXPECT_EQ(in_place, out);
}

TEST_P(RowsTest, SoftmaxRowsSumToOne) {
  const auto [rows, cols] = GetParam();
  auto x = random_floats(static_cast<std::size_t>(rows * cols), 11, 4.0f);
  // Relative error of each p_c = e_c / sum: exp_approx's own error (kExpRelError, SimdMath above) on
  // e_c and on the sum, the rounding of x - max (|x - max| eps / 2, so sum_c p_c |x_c - max| eps / 2 on
  // the sum), the fp32 sum of cols positive terms, and the reciprocal and the product.
  constexpr double kExpRelError = 3e-7;
  std::vector<double> want(x.size()), bound(x.size());
  for (int r = 0; r < rows; ++r) {
    double mx = -1e300, sum = 0, spread = 0;
    const auto at = [&, r](int c) { return static_cast<double>(x[static_cast<std::size_t>(r * cols + c)]); };
    for (int c = 0; c < cols; ++c) mx = std::max(mx, at(c));
    for (int c = 0; c < cols; ++c) sum += std::exp(at(c) - mx);
    for (int c = 0; c < cols; ++c) spread += std::exp(at(c) - mx) / sum * (mx - at(c));
    for (int c = 0; c < cols; ++c) {
      const auto i = static_cast<std::size_t>(r * cols + c);
      want[i] = std::exp(at(c) - mx) / sum;
      const double relative = 2 * kExpRelError + (mx - at(c) + spread) * FLT_EPSILON / 2 +
                              fp32_sum_bound(cols, 1.0) + 2 * FLT_EPSILON;
      bound[i] = want[i] * relative + FLT_MIN;
    }
  }
  softmax_rows(x.data(), rows, cols);
  EXPECT_LE(worst_ratio(x, want, bound), 1.0);
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
