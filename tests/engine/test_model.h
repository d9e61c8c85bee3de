#pragma once
// Test support: a SiameseWeights with seeded random values (no checkpoint needed), and a naive
// double-precision BERT that the engine is checked against.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/backend.h"
#include "model/model_config.h"
#include "model/siamese_weights.h"

namespace uninlu::test {

// tiny: hidden 32, 4 heads, intermediate 64, 12 layers (6 + 6), the real vocabulary size.
ModelConfig tiny_config();
// Random weights scaled like tools/make_fixture.py's (peaked attention, logits around the threshold).
SiameseWeights random_weights(const ModelConfig& config, unsigned seed);

std::vector<float> random_floats(std::size_t count, unsigned seed, float stddev = 1.0f);

// Row-major [rows, cols] matrices in double.
using Matrix = std::vector<double>;

// The reference model, straight from the definition, one sequence at a time.
class NaiveModel {
 public:
  NaiveModel(const ModelConfig& config, const SiameseWeights& weights) : config_(config), weights_(weights) {}

  // Embeddings + the first L-6 layers.
  Matrix text_states(std::span<const std::int32_t> ids, int position_offset, int token_type) const;
  // [text ; hint] through the last 6 layers, then the head/tail logits of the first text_len rows.
  void cross_logits(const Matrix& text, int text_len, const Matrix& hint, int hint_len, std::vector<double>& head,
                    std::vector<double>& tail) const;

 private:
  Matrix layer(const EncoderLayerWeights& w, const Matrix& x, int rows) const;
  const ModelConfig& config_;
  const SiameseWeights& weights_;
};

double max_abs_diff(std::span<const float> a, std::span<const double> b);

// How far a reduced precision may move the logits from fp32: the rms of (logits - fp32 logits) over
// the rms of the fp32 logits, from the precision's rounding and the model's depth (derivation in
// test_model.cc). Independent of the CPU except through int8_weight_limit().
double reduced_precision_drift_bound(Precision precision, const ModelConfig& config);

// sqrt(mean(v^2)).
double rms(std::span<const double> v);

}  // namespace uninlu::test
