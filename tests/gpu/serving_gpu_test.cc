// Serving on a GPU: the acceptance test "a forced OOM or error on a device loses no request" (the
// scheduler with a faulting GPU device and the CPU device), the GPU devices' batch budgets, and NVML on
// a real GPU.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "engine/cpu/cpu_backend.h"
#include "golden_support.h"
#include "gpu_test_support.h"
#include "engine/cuda/cuda_backend.h"
#include "model/model_dir.h"
#include "monitor/gpu_monitor.h"
#include "serving/cuda_devices.h"
#include "serving/metrics.h"
#include "serving/scheduler.h"

namespace uninlu {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcomes {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t finished = 0;
  std::vector<PredictOutcome> results;
};

void run_through_scheduler(const std::string& faults, std::size_t budget) {
  const auto cases = testing::read_jsonl(testing::goldens_dir() + "/cases.jsonl");
  ASSERT_GE(cases.size(), 100u) << "goldens missing";
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  const BertTokenizer tokenizer(model.vocab);

  // Both devices in fp32: the GPU then gives exactly the reference's outputs, so wherever a batch ends up
  // running, every answer must equal the golden one.
  CudaBackendOptions gpu_options;
  gpu_options.precision = Precision::F32;
  gpu_options.fault_injection = faults;
  auto gpu = std::make_unique<Device>();
  gpu->backend = std::make_unique<CudaBackend>(model.config, model.weights, gpu_options);
  gpu->name = gpu->backend->name();
  gpu->is_gpu = true;
  gpu->max_batch_tokens = budget;
  auto cpu = std::make_unique<Device>();
  cpu->name = "cpu";
  cpu->backend = make_cpu_backend(model.config, model.weights, {Precision::F32, 0});
  cpu->max_batch_tokens = budget;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(gpu));
  devices.push_back(std::move(cpu));

  ServerMetrics metrics;
  SchedulerOptions options;
  options.max_batch_tokens = budget;
  options.max_in_flight = 4096;
  Scheduler scheduler(std::move(devices), options, metrics);

  PipelineLimits limits;
  limits.max_prompts = 1 << 20;
  const std::size_t n = std::min<std::size_t>(cases.size(), 200);
  Outcomes out;
  out.results.resize(n);
  const auto deadline = Clock::now() + std::chrono::minutes(5);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = cases[i];
    const nlohmann::ordered_json schema = c.contains("schema_text") ? nlohmann::ordered_json(c["schema_text"]) : c["schema"];
    auto task = std::make_unique<PredictionTask>(tokenizer, c["text"].get<std::string>(),
                                                 Schema::from_json(schema, limits), c["output_all_prefix"].get<bool>(),
                                                 limits);
    scheduler.submit(std::move(task), deadline, [&out, i](PredictOutcome o) {
      std::lock_guard lock(out.mutex);
      out.results[i] = std::move(o);
      ++out.finished;
      out.done.notify_all();
    });
  }
  {
    std::unique_lock lock(out.mutex);
    ASSERT_TRUE(out.done.wait_until(lock, deadline, [&] { return out.finished == n; }))
        << out.finished << " of " << n << " requests finished";
  }
  std::size_t correct = 0;
  std::size_t gpu_served = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& o = out.results[i];
    ASSERT_TRUE(o.result.has_value()) << cases[i]["id"] << " failed: " << (o.error ? o.error->what() : "?");
    if (nlohmann::ordered_json::parse(o.result->output_json) == cases[i]["expected"]) {
      ++correct;
    } else {
      ADD_FAILURE() << cases[i]["id"] << ": got " << o.result->output_json << ", expected " << cases[i]["expected"].dump();
    }
    for (const auto& d : o.result->devices) gpu_served += d.rfind("cuda:", 0) == 0 ? 1 : 0;
  }
  std::size_t faults_seen = 0;
  for (const auto& d : scheduler.devices()) {
    std::printf("%s: %zu batches, %zu faults, state %s\n", d.name.c_str(), d.batches, d.faults,
                device_state_name(d.state));
    if (d.is_gpu) faults_seen += d.faults;
  }
  std::printf("%zu/%zu requests correct; %zu requests had a step on the GPU\n", correct, n, gpu_served);
  EXPECT_EQ(correct, n);
  if (!faults.empty()) {
    EXPECT_GT(faults_seen, 0u) << "the fault injection never fired";
  }
  EXPECT_GT(gpu_served, 0u);
}

TEST(SchedulerGpu, NoFaultsEveryAnswerRight) {
  UNINLU_REQUIRE_GPU();
  run_through_scheduler("", 4096);
}

TEST(SchedulerGpu, ForcedOutOfMemoryLosesNoRequest) {
  UNINLU_REQUIRE_GPU();
  run_through_scheduler("cuda:0:oom:every=3", 2048);
}

TEST(SchedulerGpu, ForcedErrorsAndADeviceResetLoseNoRequest) {
  UNINLU_REQUIRE_GPU();
  run_through_scheduler("cuda:0:error:every=4;cuda:0:sticky:at=7", 2048);
}

TEST(CudaDevicesGpu, BudgetFromFreeMemoryAndExplicitSettingWins) {
  UNINLU_REQUIRE_GPU();
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  ServiceOptions options;
  options.gpu_precision = Precision::F16;
  auto devices = make_cuda_devices({0}, options, model);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]->name, "cuda:0");
  EXPECT_TRUE(devices[0]->is_gpu);
  EXPECT_GE(devices[0]->max_batch_tokens, 512u);
  EXPECT_LE(devices[0]->max_batch_tokens, 16384u);
  std::printf("cuda:0 budget: %zu tokens\n", devices[0]->max_batch_tokens);
  devices.clear();

  options.scheduler.max_batch_tokens = 1000;
  devices = make_cuda_devices({0}, options, model);
  EXPECT_EQ(devices[0]->max_batch_tokens, 1000u);
  devices.clear();

  options.layer_split = true;
  try {
    make_cuda_devices({0}, options, model);
    FAIL() << "a layer split needs GPUs in pairs";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
}

TEST(CudaDevicesGpu, LayerSplitPairIsOneDevice) {
  UNINLU_REQUIRE_GPUS(2);
  const ModelDir model = load_model_dir(testing::tiny_model_dir());
  ServiceOptions options;
  options.layer_split = true;
  const auto devices = make_cuda_devices({0, 1}, options, model);
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]->name, "cuda:0+1");
}

TEST(NvmlGpu, SamplesTheGpusWeRunOn) {
  UNINLU_REQUIRE_GPU();
  GpuMonitor monitor({}, [](const std::vector<GpuSample>&) {});
  if (!monitor.active()) GTEST_SKIP() << "NVML is not usable here: " << monitor.why_inactive();
  const auto samples = monitor.latest();
  ASSERT_FALSE(samples.empty());
  const std::string uuid = cuda::device_uuid(0);
  bool matched = false;
  for (const auto& s : samples) {
    std::printf("gpu %u %s %s: util %.0f%%, memory %.0f/%.0f MiB, %.0f C, ecc %s%s\n", s.index, s.name.c_str(),
                s.uuid.c_str(), s.utilization_percent, s.memory_used_bytes / 1048576.0,
                s.memory_total_bytes / 1048576.0, s.temperature_c,
                s.ecc_uncorrected ? std::to_string(*s.ecc_uncorrected).c_str() : "n/a",
                s.error.empty() ? "" : (" (" + s.error + ")").c_str());
    EXPECT_TRUE(s.ok) << s.error;
    EXPECT_GT(s.memory_total_bytes, 0);
    matched = matched || s.uuid == uuid;
  }
  EXPECT_TRUE(matched) << "no NVML GPU has cuda:0's UUID " << uuid;
}

}  // namespace
}  // namespace uninlu
