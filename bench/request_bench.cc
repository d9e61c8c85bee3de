// The load-test request on the full-size model (random weights, hidden 768, 12 layers, intermediate
// 3072): text "华为在东莞松山湖建设了研发基地" (17 tokens) with schema {"公司": null, "地理位置": null},
// i.e. one run_text of the window and one run_cross of two prompts ([CLS] 公司: [SEP], 5 tokens, and
// [CLS] 地理位置: [SEP], 7 tokens, both at position_offset 17). `requests` such requests go through
// each call together, as the serving scheduler batches them.
//
// Counters: s/request ("41.2m" = 41.2 ms), requests/s, and FLOP/s counted on the nominal work of a
// request (6.4 GFLOP: every hint run once per prompt, no pruning), so hint deduplication, the hint
// cache and last-layer pruning show up as speed.
// Run: build-engine/bench/request_bench          (UNINLU_PROFILE=1 adds a per-operator breakdown)
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/cpu/cpu_backend.h"

namespace {

using namespace uninlu;

// Uniform values with the given standard deviation: cheaper to draw than normals for 100M weights and
// as good for timing.
class Filler {
 public:
  explicit Filler(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  HostTensor tensor(std::vector<std::int64_t> shape, float stddev, float mean = 0.0f) {
    HostTensor t = HostTensor::zeros(DType::F32, std::move(shape));
    float* p = t.mutable_data<float>();
    const float scale = stddev * 3.4641016f;  // uniform [-0.5, 0.5) has std 1/sqrt(12)
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = mean + scale * (next() - 0.5f);
    return t;
  }

 private:
  float next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<float>(state_ >> 40) * (1.0f / 16777216.0f);
  }
  std::uint64_t state_;
};

const ModelConfig& full_config() {
  static const ModelConfig config;  // the defaults are BERT-base / SiameseUniNLU
  return config;
}

const SiameseWeights& full_weights() {
  static const SiameseWeights weights = [] {
    const ModelConfig& c = full_config();
    Filler f(7);
    const int h = c.hidden_size, inter = c.intermediate_size;
    auto linear = [&](int out, int in) {
      return LinearWeights{f.tensor({out, in}, 1.0f / std::sqrt(float(in))), f.tensor({out}, 0.1f)};
    };
    auto norm = [&] { return LayerNormWeights{f.tensor({h}, 0.1f, 1.0f), f.tensor({h}, 0.1f)}; };
    auto layer = [&] {
      EncoderLayerWeights w;
      w.query = linear(h, h);
      w.key = linear(h, h);
      w.value = linear(h, h);
      w.attention_output = linear(h, h);
      w.attention_norm = norm();
      w.intermediate = linear(inter, h);
      w.output = linear(h, inter);
      w.output_norm = norm();
      return w;
    };
    SiameseWeights w;
    w.embeddings = {f.tensor({c.vocab_size, h}, 1.0f), f.tensor({c.max_position_embeddings, h}, 0.5f),
                    f.tensor({c.type_vocab_size, h}, 0.5f), norm()};
    for (int i = 0; i < c.text_layers(); ++i) w.text_layers.push_back(layer());
    for (int i = 0; i < c.cross_layers; ++i) w.cross_layers.push_back(layer());
    w.head = linear(1, h);
    w.tail = linear(1, h);
    return w;
  }();
  return weights;
}

CpuBackend& backend(Precision precision, int threads, bool hint_cache) {
  static std::map<std::tuple<Precision, int, bool>, std::unique_ptr<CpuBackend>> backends;
  auto& slot = backends[{precision, threads, hint_cache}];
  if (!slot) {
    CpuBackendOptions options{precision, threads};
    if (!hint_cache) options.hint_cache_bytes = 0;
    slot = std::make_unique<CpuBackend>(full_config(), full_weights(), options);
  }
  return *slot;
}

const std::vector<std::int32_t> kText = {101,  1290, 711, 1762, 691,  5806, 3351, 2255, 3959,
                                         2456, 6392, 749, 4777, 1355, 1825, 1765, 102};
const std::vector<std::int32_t> kCompany = {101, 1062, 1385, 131, 102};
const std::vector<std::int32_t> kPlace = {101, 1765, 4415, 855, 5390, 131, 102};

// Multiply-adds of the nominal request, times two: linear layers per token per layer, plus attention.
double request_flops() {
  const ModelConfig& c = full_config();
  const double h = c.hidden_size, inter = c.intermediate_size;
  const double per_token_layer = 2.0 * (4.0 * h * h + 2.0 * h * inter);
  auto attention = [&](double n) { return 4.0 * n * n * h; };
  const double n = static_cast<double>(kText.size());
  double flops = c.text_layers() * (n * per_token_layer + attention(n));
  for (const auto* hint : {&kCompany, &kPlace}) {
    const double m = static_cast<double>(hint->size());
    flops += c.text_layers() * (m * per_token_layer + attention(m));
    flops += c.cross_layers * ((n + m) * per_token_layer + attention(n + m));
  }
  return flops;
}

void run_requests(benchmark::State& state, Precision precision, int threads, int requests, bool hint_cache) {
  CpuBackend& cpu = backend(precision, threads, hint_cache);
  std::vector<TextInput> texts(static_cast<std::size_t>(requests), TextInput{kText});
  std::vector<CrossInput> cross;
  auto one_round = [&] {
    const auto states = cpu.run_text(texts);
    cross.clear();
    for (const auto& s : states) {
      cross.push_back({s, {kCompany, static_cast<int>(kText.size())}});
      cross.push_back({s, {kPlace, static_cast<int>(kText.size())}});
    }
    auto logits = cpu.run_cross(cross);
    benchmark::DoNotOptimize(logits.data());
  };
  one_round();  // primitives for these row counts, workspace growth
  cpu.reset_profile();
  for (auto _ : state) one_round();
  const double per_iteration = static_cast<double>(requests);
  // Printed with an SI prefix: "41.2m" is 41.2 ms per request.
  state.counters["s/request"] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["requests/s"] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["FLOP/s"] =
      benchmark::Counter(per_iteration * request_flops(), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(cpu.describe());
  const std::string profile = cpu.profile_report();
  if (!profile.empty()) {
    std::fprintf(stderr, "--- %s, %d threads, %d requests per call, %lld iterations\n%s", precision_name(precision),
                 threads, requests, static_cast<long long>(state.iterations()), profile.c_str());
  }
  cpu.reset_profile();
}

}  // namespace

int main(int argc, char** argv) {
  std::fprintf(stderr, "nominal request: %.2f GFLOP\n", request_flops() * 1e-9);
  // Side by side per thread count and batch size: fp32 without and with the hint cache, bf16, int8.
  for (int threads : {1, 2}) {
    for (int requests : {1, 8, 32}) {
      for (auto [precision, hint_cache] : {std::pair{Precision::F32, false}, std::pair{Precision::F32, true},
                                           std::pair{Precision::BF16, true}, std::pair{Precision::Int8, true}}) {
        const std::string name = std::string("request/") + precision_name(precision) + (hint_cache ? "" : "_nocache") +
                                 "/threads:" + std::to_string(threads) +
                                 "/requests_per_call:" + std::to_string(requests);
        benchmark::RegisterBenchmark(
            name.c_str(), [=](benchmark::State& st) { run_requests(st, precision, threads, requests, hint_cache); })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(1.0);
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
