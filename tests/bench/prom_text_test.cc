#include "bench/prom_text.h"

#include <gtest/gtest.h>

namespace uninlu::bench {
namespace {

constexpr const char* kBefore = R"(# HELP uninlu_batch_size Items (text windows or prompts) per device batch
# TYPE uninlu_batch_size histogram
uninlu_batch_size_count{stage="text"} 10
uninlu_batch_size_sum{stage="text"} 20
uninlu_batch_size_bucket{stage="text",le="+Inf"} 10
uninlu_batch_size_count{stage="cross"} 10
uninlu_batch_size_sum{stage="cross"} 40
uninlu_batch_tokens_count{stage="text"} 10
uninlu_batch_tokens_sum{stage="text"} 340
uninlu_batch_tokens_count{stage="cross"} 10
uninlu_batch_tokens_sum{stage="cross"} 960
uninlu_device_busy_seconds_total{device="cpu"} 1.5
uninlu_request_duration_seconds_count 20
uninlu_queue_duration_seconds_count 20
uninlu_queue_duration_seconds_sum 1.0
uninlu_inference_duration_seconds_sum 2.0
)";

constexpr const char* kAfter = R"(uninlu_batch_size_count{stage="text"} 30
uninlu_batch_size_sum{stage="text"} 100
uninlu_batch_size_count{stage="cross"} 20
uninlu_batch_size_sum{stage="cross"} 200
uninlu_batch_tokens_count{stage="text"} 30
uninlu_batch_tokens_sum{stage="text"} 1700
uninlu_batch_tokens_count{stage="cross"} 20
uninlu_batch_tokens_sum{stage="cross"} 4800
uninlu_device_busy_seconds_total{device="cpu"} 9.5
uninlu_request_duration_seconds_count 100
uninlu_queue_duration_seconds_count 100
uninlu_queue_duration_seconds_sum 1.4
uninlu_inference_duration_seconds_sum 4.4
)";

TEST(PromText, ParsesNamesLabelsAndValues) {
  const auto samples = parse_prometheus_text(
      "# comment\n\nfoo 1\nbar{a=\"x\",b=\"y \\\"q\\\" \\\\ z\"} 2.5e3 1700000000\nbaz{} +Inf\nnot a sample\n");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].name, "foo");
  EXPECT_DOUBLE_EQ(samples[0].value, 1);
  EXPECT_EQ(samples[1].name, "bar");
  EXPECT_EQ(samples[1].labels.at("a"), "x");
  EXPECT_EQ(samples[1].labels.at("b"), "y \"q\" \\ z");
  EXPECT_DOUBLE_EQ(samples[1].value, 2500);
  EXPECT_TRUE(std::isinf(samples[2].value));
}

TEST(PromText, SumsMatchingLabels) {
  const auto samples = parse_prometheus_text(kBefore);
  EXPECT_DOUBLE_EQ(prom_sum(samples, "uninlu_batch_size_count"), 20);
  EXPECT_DOUBLE_EQ(prom_sum(samples, "uninlu_batch_size_count", {{"stage", "text"}}), 10);
  EXPECT_DOUBLE_EQ(prom_sum(samples, "uninlu_batch_size_count", {{"stage", "none"}}), 0);
  EXPECT_DOUBLE_EQ(prom_sum(samples, "missing"), 0);
}

TEST(PromText, BatchStatisticsAreDifferencesOverTheWindow) {
  const BatchStats s = batch_stats_between(parse_prometheus_text(kBefore), parse_prometheus_text(kAfter), 4.0);
  ASSERT_TRUE(s.available);
  EXPECT_DOUBLE_EQ(s.text.batches, 20);
  EXPECT_DOUBLE_EQ(s.text.batches_per_second, 5);
  EXPECT_DOUBLE_EQ(s.text.mean_items, 4);     // (100 - 20) / 20
  EXPECT_DOUBLE_EQ(s.text.mean_tokens, 68);   // (1700 - 340) / 20
  EXPECT_DOUBLE_EQ(s.cross.batches, 10);
  EXPECT_DOUBLE_EQ(s.cross.mean_items, 16);   // (200 - 40) / 10
  EXPECT_DOUBLE_EQ(s.cross.mean_tokens, 384);
  EXPECT_DOUBLE_EQ(s.device_busy_fraction, 2);  // 8 busy seconds in 4
  EXPECT_DOUBLE_EQ(s.requests, 80);
  EXPECT_NEAR(s.mean_queue_ms, 5, 1e-9);       // 0.4 s over 80 predictions
  EXPECT_NEAR(s.mean_inference_ms, 30, 1e-9);  // 2.4 s over 80
}

TEST(PromText, NoUninluMetricsMeansUnavailable) {
  const BatchStats s = batch_stats_between({}, parse_prometheus_text("other_metric 1\n"), 1.0);
  EXPECT_FALSE(s.available);
  EXPECT_TRUE(to_json(s).is_null());
}

TEST(PromText, NoBatchesGiveZeroMeansNotNaN) {
  const auto same = parse_prometheus_text(kBefore);
  const BatchStats s = batch_stats_between(same, same, 1.0);
  EXPECT_DOUBLE_EQ(s.text.mean_items, 0);
  EXPECT_DOUBLE_EQ(s.cross.mean_tokens, 0);
}

}  // namespace
}  // namespace uninlu::bench
