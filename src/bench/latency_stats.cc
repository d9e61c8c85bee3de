#include "bench/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace uninlu::bench {

double percentile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double clamped = std::clamp(p, 0.0, 100.0);
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(clamped / 100.0 * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

LatencySummary summarize(std::vector<double> samples_ms) {
  LatencySummary s;
  if (samples_ms.empty()) return s;
  std::sort(samples_ms.begin(), samples_ms.end());
  s.count = samples_ms.size();
  s.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) / static_cast<double>(s.count);
  s.min_ms = samples_ms.front();
  s.max_ms = samples_ms.back();
  s.p50_ms = percentile_sorted(samples_ms, 50);
  s.p90_ms = percentile_sorted(samples_ms, 90);
  s.p95_ms = percentile_sorted(samples_ms, 95);
  s.p99_ms = percentile_sorted(samples_ms, 99);
  return s;
}

}  // namespace uninlu::bench
