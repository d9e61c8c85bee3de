#include "test_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/cpu/gemm.h"

namespace uninlu::test {
namespace {

HostTensor tensor(std::vector<std::int64_t> shape, std::mt19937& rng, float stddev, float mean = 0.0f) {
  HostTensor t = HostTensor::zeros(DType::F32, shape);
  std::normal_distribution<float> dist(mean, stddev);
  float* p = t.mutable_data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

LinearWeights linear(std::mt19937& rng, int out, int in) {
  return {tensor({out, in}, rng, 1.0f / std::sqrt(static_cast<float>(in))), tensor({out}, rng, 0.1f)};
}

LayerNormWeights norm(std::mt19937& rng, int hidden) {
  return {tensor({hidden}, rng, 0.1f, 1.0f), tensor({hidden}, rng, 0.1f)};
}

EncoderLayerWeights layer_weights(std::mt19937& rng, int h, int inter) {
  EncoderLayerWeights w;
  w.query = linear(rng, h, h);
  w.key = linear(rng, h, h);
  w.value = linear(rng, h, h);
  w.attention_output = linear(rng, h, h);
  w.attention_norm = norm(rng, h);
  w.intermediate = linear(rng, inter, h);
  w.output = linear(rng, h, inter);
  w.output_norm = norm(rng, h);
  return w;
}

const float* f(const HostTensor& t) { return t.data<float>(); }

// y[r, o] = sum_i x[r, i] w[o, i] + b[o]
Matrix dense(const Matrix& x, int rows, const LinearWeights& w) {
  const auto out = static_cast<int>(w.weight.dim(0));
  const auto in = static_cast<int>(w.weight.dim(1));
  Matrix y(static_cast<std::size_t>(rows) * static_cast<std::size_t>(out));
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double s = f(w.bias)[o];
      for (int i = 0; i < in; ++i) s += x[static_cast<std::size_t>(r * in + i)] * f(w.weight)[o * in + i];
      y[static_cast<std::size_t>(r * out + o)] = s;
    }
  }
  return y;
}

void layer_norm(Matrix& x, int rows, const LayerNormWeights& w, double eps) {
  const auto h = static_cast<int>(w.gamma.dim(0));
  for (int r = 0; r < rows; ++r) {
    double* row = x.data() + static_cast<std::ptrdiff_t>(r) * h;
    double mean = 0;
    for (int c = 0; c < h; ++c) mean += row[c];
    mean /= h;
    double var = 0;
    for (int c = 0; c < h; ++c) var += (row[c] - mean) * (row[c] - mean);
    var /= h;
    for (int c = 0; c < h; ++c) row[c] = (row[c] - mean) / std::sqrt(var + eps) * f(w.gamma)[c] + f(w.beta)[c];
  }
}

}  // namespace

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 32;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.num_hidden_layers = 12;
  c.vocab_size = 21128;
  return c;
}

std::vector<float> random_floats(std::size_t count, unsigned seed, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(count);
  for (auto& x : v) x = dist(rng);
  return v;
}

SiameseWeights random_weights(const ModelConfig& c, unsigned seed) {
  std::mt19937 rng(seed);
  const int h = c.hidden_size;
  SiameseWeights w;
  w.embeddings.word = tensor({c.vocab_size, h}, rng, 1.0f);
  w.embeddings.position = tensor({c.max_position_embeddings, h}, rng, 0.5f);
  w.embeddings.token_type = tensor({c.type_vocab_size, h}, rng, 0.5f);
  w.embeddings.norm = norm(rng, h);
  for (int i = 0; i < c.text_layers(); ++i) w.text_layers.push_back(layer_weights(rng, h, c.intermediate_size));
  for (int i = 0; i < c.cross_layers; ++i) w.cross_layers.push_back(layer_weights(rng, h, c.intermediate_size));
  const float head_std = 1.5f / std::sqrt(static_cast<float>(h));
  w.head = {tensor({1, h}, rng, head_std), tensor({1}, rng, 0.0f, -1.5f)};
  w.tail = {tensor({1, h}, rng, head_std), tensor({1}, rng, 0.0f, -1.5f)};
  return w;
}

Matrix NaiveModel::layer(const EncoderLayerWeights& w, const Matrix& x, int rows) const {
  const int h = config_.hidden_size;
  const int heads = config_.num_attention_heads;
  const int d = h / heads;
  const Matrix q = dense(x, rows, w.query), k = dense(x, rows, w.key), v = dense(x, rows, w.value);
  Matrix ctx(x.size(), 0.0);
  std::vector<double> p(static_cast<std::size_t>(rows));
  for (int hd = 0; hd < heads; ++hd) {
    for (int i = 0; i < rows; ++i) {
      double mx = -1e300;
      for (int j = 0; j < rows; ++j) {
        double s = 0;
        for (int c = 0; c < d; ++c)
          s += q[static_cast<std::size_t>(i * h + hd * d + c)] * k[static_cast<std::size_t>(j * h + hd * d + c)];
        p[static_cast<std::size_t>(j)] = s / std::sqrt(static_cast<double>(d));
        mx = std::max(mx, p[static_cast<std::size_t>(j)]);
      }
      double sum = 0;
      for (auto& e : p) sum += (e = std::exp(e - mx));
      for (int c = 0; c < d; ++c) {
        double s = 0;
        for (int j = 0; j < rows; ++j)
          s += p[static_cast<std::size_t>(j)] / sum * v[static_cast<std::size_t>(j * h + hd * d + c)];
        ctx[static_cast<std::size_t>(i * h + hd * d + c)] = s;
      }
    }
  }
  Matrix a = dense(ctx, rows, w.attention_output);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += x[i];
  layer_norm(a, rows, w.attention_norm, config_.layer_norm_eps);
  Matrix mid = dense(a, rows, w.intermediate);
  for (auto& e : mid) e = 0.5 * e * (1.0 + std::erf(e / std::sqrt(2.0)));
  Matrix y = dense(mid, rows, w.output);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += a[i];
  layer_norm(y, rows, w.output_norm, config_.layer_norm_eps);
  return y;
}

Matrix NaiveModel::text_states(std::span<const std::int32_t> ids, int position_offset, int token_type) const {
  const int h = config_.hidden_size;
  const int n = static_cast<int>(ids.size());
  Matrix x(static_cast<std::size_t>(n) * static_cast<std::size_t>(h));
  const auto& e = weights_.embeddings;
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < h; ++c) {
      x[static_cast<std::size_t>(r * h + c)] =
          static_cast<double>(f(e.word)[ids[static_cast<std::size_t>(r)] * h + c]) +
          f(e.position)[(position_offset + r) * h + c] + f(e.token_type)[token_type * h + c];
    }
  }
  layer_norm(x, n, e.norm, config_.layer_norm_eps);
  for (const auto& w : weights_.text_layers) x = layer(w, x, n);
  return x;
}

void NaiveModel::cross_logits(const Matrix& text, int text_len, const Matrix& hint, int hint_len,
                              std::vector<double>& head, std::vector<double>& tail) const {
  const int h = config_.hidden_size;
  Matrix x = text;
  x.insert(x.end(), hint.begin(), hint.end());
  const int rows = text_len + hint_len;
  for (const auto& w : weights_.cross_layers) x = layer(w, x, rows);
  head.assign(static_cast<std::size_t>(text_len), 0.0);
  tail.assign(static_cast<std::size_t>(text_len), 0.0);
  for (int r = 0; r < text_len; ++r) {
    double hs = f(weights_.head.bias)[0], ts = f(weights_.tail.bias)[0];
    for (int c = 0; c < h; ++c) {
      hs += x[static_cast<std::size_t>(r * h + c)] * f(weights_.head.weight)[c];
      ts += x[static_cast<std::size_t>(r * h + c)] * f(weights_.tail.weight)[c];
    }
    head[static_cast<std::size_t>(r)] = hs;
    tail[static_cast<std::size_t>(r)] = ts;
  }
}

// A first-order error model, worst case in how the errors add:
//  - one GEMM in a reduced precision perturbs its output by a relative rms error delta from rounding its
//    two operands (errors uniform over a rounding interval: rms = half-interval / sqrt 3):
//      bf16: each operand within u = 2^-8 relative, delta = sqrt(2) u / sqrt(3);
//      int8: activations to +-127 steps of max|row| and weights to +-limit steps of max|column|
//            (limit = int8_weight_limit(): 127, or 63 without VNNI), so relative to the operands' rms
//            delta = crest * sqrt((1 / (2 * 127))^2 + (1 / (2 * limit))^2) / sqrt(3), where crest =
//            max / rms of a row, sqrt(2 ln 2k) for k Gaussian values (k the longest inner dimension);
//  - the 4 GEMMs of each of the L encoder layers add their errors to the residual stream, which
//    LayerNorm keeps at unit scale, so at most 4 L delta relative at the last layer (errors that add
//    linearly: independent ones would give sqrt(4 L) delta, about 7 times less for L = 12);
//  - the fp32 classifier maps that linearly onto the logits.
// A bound on the rms drift, not on the largest one: a logit near a decision can move further.
// Saturation or a wrong layout in one GEMM is not a rounding error; the kernel tests check those exactly.
double reduced_precision_drift_bound(Precision precision, const ModelConfig& config) {
  const double gemms_in_series = 4.0 * config.num_hidden_layers;
  const double sqrt3 = std::sqrt(3.0);
  switch (precision) {
    case Precision::F32:
      return 0.0;
    case Precision::BF16:
    case Precision::F16: {
      const double u = precision == Precision::BF16 ? 1.0 / 256 : 1.0 / 2048;
      return gemms_in_series * std::sqrt(2.0) * u / sqrt3;
    }
    case Precision::Int8: {
      const double k = std::max(config.hidden_size, config.intermediate_size);
      const double crest = std::sqrt(2.0 * std::log(2.0 * k));
      const double activation = 1.0 / (2.0 * 127), weight = 1.0 / (2.0 * cpu::int8_weight_limit());
      return gemms_in_series * crest * std::sqrt(activation * activation + weight * weight) / sqrt3;
    }
  }
  return 0.0;
}

double rms(std::span<const double> v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  return v.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(v.size()));
}

double max_abs_diff(std::span<const float> a, std::span<const double> b) {
  if (a.size() != b.size()) throw std::runtime_error("max_abs_diff: sizes differ");
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace uninlu::test
