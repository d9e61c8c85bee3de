#pragma once
// Reading the server's /metrics (Prometheus text format 0.0.4) to report what the scheduler did during a
// benchmark: batches per second, mean items and tokens per batch, device busy time.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace uninlu::bench {

struct PromSample {
  std::string name;                           // e.g. "uninlu_batch_size_sum"
  std::map<std::string, std::string> labels;  // {"stage": "text"}
  double value = 0;
};

// Parses the sample lines; comments, blank lines and lines that do not parse are skipped.
std::vector<PromSample> parse_prometheus_text(std::string_view text);

// The sum of the samples named `name` whose labels include every pair of `match`.
double prom_sum(const std::vector<PromSample>& samples, std::string_view name,
                const std::map<std::string, std::string>& match = {});

struct StageBatchStats {
  double batches = 0;          // batches run in the window
  double batches_per_second = 0;
  double mean_items = 0;       // text windows or prompts per batch
  double mean_tokens = 0;      // tokens per batch
};

struct BatchStats {
  bool available = false;  // false: no /metrics (or no uninlu metrics in it)
  StageBatchStats text, cross;
  double device_busy_fraction = 0;  // device busy seconds / window seconds, summed over devices
  double requests = 0;              // predictions finished (uninlu_request_duration_seconds_count)
  double mean_queue_ms = 0;         // per prediction: waiting for a device, summed over its steps
  double mean_inference_ms = 0;     // per prediction: in device batches, summed over its steps
};

// What changed between two scrapes taken `seconds` apart.
BatchStats batch_stats_between(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                               double seconds);

nlohmann::ordered_json to_json(const BatchStats& stats);

}  // namespace uninlu::bench
