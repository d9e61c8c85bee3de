// The fused int8 epilogues (kernels/cpu/int8_epilogue.h) against the separate kernels they replace:
// the results must be bit-identical, so that fusing changes the speed of the int8 path and nothing else.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/convert.h"
#include "kernels/cpu/int8_epilogue.h"
#include "kernels/cpu/layernorm.h"
#include "test_model.h"

namespace uninlu::cpu {
namespace {

using test::random_floats;

std::vector<std::int32_t> random_accumulators(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int32_t> dist(-400000, 400000);  // |s8 x s8| sums over 768..3072 terms
  std::vector<std::int32_t> out(n);
  for (auto& v : out) v = dist(gen);
  return out;
}

std::vector<float> positive_scales(std::size_t n, std::uint64_t seed, float base) {
  std::vector<float> s = random_floats(n, seed, 1.0f);
  for (auto& v : s) v = base * (1.5f + 0.5f * v);
  return s;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

class Int8EpilogueTest : public testing::TestWithParam<std::tuple<int, int, int>> {};

TEST_P(Int8EpilogueTest, GeluQuantizeEqualsTheSeparateKernels) {
  const auto [rows, cols, threads] = GetParam();
  omp_set_num_threads(threads);
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const auto acc = random_accumulators(n, 1);
  const auto row_scales = positive_scales(static_cast<std::size_t>(rows), 2, 1e-3f);
  const auto col_scales = positive_scales(static_cast<std::size_t>(cols), 3, 1e-3f);
  const auto bias = random_floats(static_cast<std::size_t>(cols), 4, 0.5f);

  // Separate: dequantise, bias + GELU, quantise.
  std::vector<float> y(n);
  dequantize_rows_s32(acc.data(), rows, cols, row_scales.data(), col_scales.data(), nullptr, y.data());
  bias_gelu(y.data(), bias.data(), rows, cols);
  std::vector<std::int8_t> want_q(n);
  std::vector<float> want_s(static_cast<std::size_t>(rows));
  quantize_rows_s8(y.data(), rows, cols, want_q.data(), want_s.data());

  std::vector<float> scratch(n);
  std::vector<std::int8_t> got_q(n);
  std::vector<float> got_s(static_cast<std::size_t>(rows));
  dequantize_bias_gelu_quantize({acc.data(), row_scales.data(), col_scales.data()}, bias.data(), rows, cols,
                                scratch.data(), {got_q.data(), got_s.data()});
  EXPECT_TRUE(same_bits(got_q, want_q));
  EXPECT_TRUE(same_bits(got_s, want_s));
  omp_set_num_threads(omp_get_num_procs());
}

TEST_P(Int8EpilogueTest, ResidualLayerNormQuantizeEqualsTheSeparateKernels) {
  const auto [rows, cols, threads] = GetParam();
  omp_set_num_threads(threads);
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const auto acc = random_accumulators(n, 5);
  const auto row_scales = positive_scales(static_cast<std::size_t>(rows), 6, 1e-4f);
  const auto col_scales = positive_scales(static_cast<std::size_t>(cols), 7, 1e-4f);
  const auto bias = random_floats(static_cast<std::size_t>(cols), 8, 0.2f);
  const auto residual = random_floats(n, 9, 1.0f);
  const auto gamma = positive_scales(static_cast<std::size_t>(cols), 10, 1.0f);
  const auto beta = random_floats(static_cast<std::size_t>(cols), 11, 0.1f);
  const LayerNormParams params{gamma.data(), beta.data(), 1e-12f};

  std::vector<float> y(n), want(n);
  dequantize_rows_s32(acc.data(), rows, cols, row_scales.data(), col_scales.data(), nullptr, y.data());
  bias_residual_layernorm(y.data(), bias.data(), residual.data(), want.data(), rows, cols, params);
  std::vector<std::int8_t> want_q(n);
  std::vector<float> want_s(static_cast<std::size_t>(rows));
  quantize_rows_s8(want.data(), rows, cols, want_q.data(), want_s.data());

  std::vector<float> scratch(n), got(n);
  std::vector<std::int8_t> got_q(n);
  std::vector<float> got_s(static_cast<std::size_t>(rows));
  dequantize_bias_residual_layernorm({acc.data(), row_scales.data(), col_scales.data()}, bias.data(), residual.data(),
                                     got.data(), rows, cols, scratch.data(), params, {got_q.data(), got_s.data()});
  EXPECT_TRUE(same_bits(got, want));
  EXPECT_TRUE(same_bits(got_q, want_q));
  EXPECT_TRUE(same_bits(got_s, want_s));

  // In place over the residual (as the layer's last LayerNorm writes over its input rows), unquantised.
  std::vector<float> in_place = residual;
  dequantize_bias_residual_layernorm({acc.data(), row_scales.data(), col_scales.data()}, bias.data(), in_place.data(),
                                     in_place.data(), rows, cols, scratch.data(), params);
  EXPECT_TRUE(same_bits(in_place, want));
  omp_set_num_threads(omp_get_num_procs());
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8EpilogueTest,
                         testing::Values(std::make_tuple(1, 768, 1), std::make_tuple(3, 37, 1),
                                         std::make_tuple(17, 3072, 2), std::make_tuple(64, 768, 2),
                                         std::make_tuple(130, 3072, 2)));

}  // namespace
}  // namespace uninlu::cpu
