#pragma once
// Latency samples -> summary (nearest-rank percentiles, as wrk and locust report them).
#include <cstddef>
#include <vector>

namespace uninlu::bench {

struct LatencySummary {
  std::size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double min_ms = 0;
};

// The nearest-rank percentile of sorted samples: the smallest sample with at least p% of the samples
// at or below it. p in [0, 100]; 0 for no samples.
double percentile_sorted(const std::vector<double>& sorted, double p);

// Sorts a copy. An empty input gives an all-zero summary.
LatencySummary summarize(std::vector<double> samples_ms);

}  // namespace uninlu::bench
