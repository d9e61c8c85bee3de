// The NVML loader and the GPU monitor without a GPU: the absent-library path (what every machine without
// the NVIDIA driver sees) and, through a fake libnvidia-ml built with the tests, the sampling itself.
#include "monitor/nvml.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "monitor/gpu_monitor.h"

namespace uninlu {
namespace {

TEST(Nvml, AbsentLibraryGivesNoMonitorAndSaysWhy) {
  std::string why;
  auto nvml = Nvml::open(&why, "libnvidia-ml-absent-for-this-test.so.1");
  EXPECT_EQ(nvml, nullptr);
  EXPECT_NE(why.find("libnvidia-ml-absent-for-this-test.so.1"), std::string::npos) << why;
}

TEST(Nvml, AbsentLibraryWithoutReasonPointerIsFine) {
  EXPECT_EQ(Nvml::open(nullptr, "libnvidia-ml-absent-for-this-test.so.1"), nullptr);
}

TEST(Nvml, SamplesEveryGpuOfTheFakeLibrary) {
  std::string why;
  auto nvml = Nvml::open(&why, FAKE_NVML_LIBRARY);
  ASSERT_NE(nvml, nullptr) << why;
  ASSERT_EQ(nvml->device_count(), 2u);
  const auto samples = nvml->sample_all();
  ASSERT_EQ(samples.size(), 2u);

  const GpuSample& a = samples[0];
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.index, 0u);
  EXPECT_EQ(a.name, "Fake GPU \"A\"");
  EXPECT_EQ(a.uuid, "GPU-00000000-1111-2222-3333-444444444444");
  EXPECT_EQ(a.utilization_percent, 87);
  EXPECT_EQ(a.memory_total_bytes, static_cast<double>(80ull << 30));
  EXPECT_EQ(a.memory_used_bytes, static_cast<double>(12ull << 30));
  EXPECT_EQ(a.temperature_c, 54);
  ASSERT_TRUE(a.ecc_uncorrected.has_value());
  EXPECT_EQ(*a.ecc_uncorrected, 0u);
  EXPECT_TRUE(a.error.empty()) << a.error;

  // ECC "not supported" is not an error: it is simply absent. A failing sensor is reported.
  const GpuSample& b = samples[1];
  EXPECT_TRUE(b.ok);
  EXPECT_FALSE(b.ecc_uncorrected.has_value());
  EXPECT_LT(b.temperature_c, 0);
  EXPECT_NE(b.error.find("temperature"), std::string::npos) << b.error;
}

TEST(Nvml, InitFailureGivesNoMonitor) {
  setenv("FAKE_NVML_INIT_FAIL", "1", 1);
  std::string why;
  auto nvml = Nvml::open(&why, FAKE_NVML_LIBRARY);
  unsetenv("FAKE_NVML_INIT_FAIL");
  EXPECT_EQ(nvml, nullptr);
  EXPECT_NE(why.find("Driver Not Loaded"), std::string::npos) << why;
}

TEST(GpuMonitor, WithoutNvmlIsInactiveAndNeverCallsBack) {
  std::atomic<int> calls{0};
  GpuMonitorOptions options;
  options.library = "libnvidia-ml-absent-for-this-test.so.1";
  options.interval = std::chrono::milliseconds(10);
  GpuMonitor monitor(options, [&](const std::vector<GpuSample>&) { ++calls; });
  EXPECT_FALSE(monitor.active());
  EXPECT_FALSE(monitor.why_inactive().empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_TRUE(monitor.latest().empty());
  monitor.stop();
  monitor.stop();  // idempotent
}

TEST(GpuMonitor, NoGpuIsInactive) {
  setenv("FAKE_NVML_COUNT", "0", 1);
  GpuMonitorOptions options;
  options.library = FAKE_NVML_LIBRARY;
  GpuMonitor monitor(options, [](const std::vector<GpuSample>&) {});
  unsetenv("FAKE_NVML_COUNT");
  EXPECT_FALSE(monitor.active());
  EXPECT_EQ(monitor.why_inactive(), "NVML sees no GPU");
}

TEST(GpuMonitor, SamplesAtOnceThenPeriodicallyUntilStopped) {
  std::atomic<int> calls{0};
  GpuMonitorOptions options;
  options.library = FAKE_NVML_LIBRARY;
  options.interval = std::chrono::milliseconds(20);
  GpuMonitor monitor(options, [&](const std::vector<GpuSample>& samples) {
    EXPECT_EQ(samples.size(), 2u);
    ++calls;
  });
  ASSERT_TRUE(monitor.active()) << monitor.why_inactive();
  EXPECT_EQ(calls.load(), 1);  // the first sample is taken before the constructor returns
  EXPECT_EQ(monitor.latest().size(), 2u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (calls.load() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(calls.load(), 3);
  monitor.stop();
  const int after_stop = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(calls.load(), after_stop);
}

TEST(GpuMonitor, StopsPromptlyWithALongInterval) {
  GpuMonitorOptions options;
  options.library = FAKE_NVML_LIBRARY;
  options.interval = std::chrono::hours(1);
  const auto start = std::chrono::steady_clock::now();
  {
    GpuMonitor monitor(options, [](const std::vector<GpuSample>&) {});
    ASSERT_TRUE(monitor.active());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace uninlu
