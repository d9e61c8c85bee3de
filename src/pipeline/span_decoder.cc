#include "pipeline/span_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace uninlu {

MergedLogits merge_window_logits(int n_tokens, std::span<const WindowLogits> windows) {
  constexpr double kUncovered = -1.0;
  MergedLogits merged;
  merged.head.assign(static_cast<std::size_t>(n_tokens), kUncovered);
  merged.tail.assign(static_cast<std::size_t>(n_tokens), kUncovered);
  auto put = [](double& slot, float value) {
    slot = slot == kUncovered ? static_cast<double>(value) : (slot + static_cast<double>(value)) / 2;
  };
  for (const auto& w : windows) {
    if (w.head.size() != w.tail.size()) fail(ErrorKind::Internal, "window head/tail logits differ in length");
    for (std::size_t j = 0; j < w.head.size(); ++j) {
      const std::size_t pos = static_cast<std::size_t>(w.shift) + j;
      if (pos >= merged.head.size()) break;
      put(merged.head[pos], w.head[j]);
      put(merged.tail[pos], w.tail[j]);
    }
  }
  return merged;
}

std::vector<DecodedSpan> decode_spans(const MergedLogits& logits,
                                      std::span<const std::pair<std::int32_t, std::int32_t>> offsets,
                                      double threshold) {
  const std::size_t n = logits.head.size();
  if (logits.tail.size() != n || offsets.size() != n) {
    fail(ErrorKind::Internal, "decode_spans: logits and offsets disagree in length");
  }
  std::vector<DecodedSpan> spans;
  // next_tail[i]: the first t >= i with tail > threshold (n when none), so decoding is linear.
  std::vector<std::size_t> next_tail(n + 1, n);
  for (std::size_t i = n; i-- > 0;) next_tail[i] = logits.tail[i] > threshold ? i : next_tail[i + 1];
  for (std::size_t h = 0; h < n; ++h) {
    if (!(logits.head[h] > threshold)) continue;
    const std::size_t t = next_tail[h];
    if (t == n) continue;
    spans.push_back({offsets[h].first, offsets[t].second});
  }
  std::stable_sort(spans.begin(), spans.end(), [](const DecodedSpan& a, const DecodedSpan& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  return spans;
}

double threshold_margin(const MergedLogits& logits, double threshold) {
  double margin = std::numeric_limits<double>::infinity();
  for (double v : logits.head) margin = std::min(margin, std::fabs(v - threshold));
  for (double v : logits.tail) margin = std::min(margin, std::fabs(v - threshold));
  return margin;
}

}  // namespace uninlu
