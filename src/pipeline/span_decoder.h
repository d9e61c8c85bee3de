#pragma once
// Window merging and span decoding, exactly as the reference pipeline does them. Device-free: these
// functions see only logits and token offsets, so they are tested from given logits.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace uninlu {

inline constexpr double kSpanThreshold = 0.5;  // applied to raw logits, not to a sigmoid

struct WindowLogits {
  int shift = 0;                 // first token of the window in the whole sequence
  std::span<const float> head;   // one logit per real token of the window
  std::span<const float> tail;
};

struct MergedLogits {
  std::vector<double> head;  // one per token of the whole sequence
  std::vector<double> tail;
};

// Puts window logits back on the whole sequence. A position covered by one window takes its value; by
// two, the mean. Like the reference, "not yet covered" is the value -1 (a logit of exactly -1 counts as
// uncovered), and the arithmetic is in double (Python floats).
MergedLogits merge_window_logits(int n_tokens, std::span<const WindowLogits> windows);

struct DecodedSpan {
  std::int32_t begin = 0;  // code points, [begin, end); end < begin happens (a tail on [SEP]) and gives ""
  std::int32_t end = 0;
};

// For each token h with head > threshold, in order, the first t >= h with tail > threshold closes the span
// [offset(h).begin, offset(t).end). Special tokens ([CLS]/[SEP], offsets (0,0)) take part as the reference
// lets them. Result sorted by (begin, end), stable; duplicates are kept.
std::vector<DecodedSpan> decode_spans(const MergedLogits& logits,
                                      std::span<const std::pair<std::int32_t, std::int32_t>> offsets,
                                      double threshold = kSpanThreshold);

// The smallest |logit - threshold| over all merged logits: how close this prediction is to flipping.
double threshold_margin(const MergedLogits& logits, double threshold = kSpanThreshold);

}  // namespace uninlu
