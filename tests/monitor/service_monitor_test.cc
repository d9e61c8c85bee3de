// The service's GPU monitoring end to end, without a GPU: with the fake NVML (UNINLU_NVML_LIBRARY) the
// service samples two GPUs, exports them to /metrics, writes gpu.log; without NVML it says why in /health.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "serving/inference_service.h"
#include "serving/metrics.h"

namespace uninlu {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

ServiceOptions cpu_service(const std::string& log) {
  ServiceOptions options;
  options.model_path = UNINLU_FIXTURES_DIR "/models/tiny";
  options.device = "cpu";
  options.cpu_threads = 1;
  options.gpu_log_path = log;
  options.gpu_log_interval_s = 1;
  return options;
}

TEST(ServiceGpuMonitor, FakeNvmlFeedsMetricsAndTheGpuLog) {
  const std::string log = ::testing::TempDir() + "/service_monitor_test_gpu.log";
  std::remove(log.c_str());
  setenv("UNINLU_NVML_LIBRARY", FAKE_NVML_LIBRARY, 1);
  {
    auto service = make_inference_service(cpu_service(log));
    const auto health = service->health();
    EXPECT_TRUE(health["gpu_monitor"]["active"].get<bool>()) << health.dump();
    EXPECT_EQ(health["gpu_monitor"]["log"], log);
    // The GPUs are not ours (the service runs on the CPU): the original app's fields stay zero.
    EXPECT_EQ(health["gpu_utilization"].get<double>(), 0.0);
    EXPECT_EQ(health["gpu_memory_total"].get<double>(), 0.0);
    const std::string metrics = service->metrics().serialize();
    EXPECT_NE(metrics.find("uninlu_gpu_utilization_percent{device=\"nvml:0\"} 87"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("uninlu_device_memory_total_bytes{device=\"nvml:1\"}"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // one more round
  }
  unsetenv("UNINLU_NVML_LIBRARY");
  const auto lines = read_lines(log);
  ASSERT_GE(lines.size(), 4u);  // two rounds of two GPUs
  EXPECT_NE(lines[0].find(" gpu=0 name=\"Fake GPU \\\"A\\\"\" util=87% mem=12288/81920MiB temp=54C ecc=0 "
                          "device=- state=- batches=-"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(" gpu=1 name=\"Fake GPU B\" util=3% mem=1024/16384MiB temp=n/a ecc=n/a"), std::string::npos)
      << lines[1];
  std::remove(log.c_str());
}

TEST(ServiceGpuMonitor, WithoutNvmlHealthSaysWhy) {
  const std::string log = ::testing::TempDir() + "/service_monitor_test_none.log";
  setenv("UNINLU_NVML_LIBRARY", "libnvidia-ml-absent-for-this-test.so.1", 1);
  auto service = make_inference_service(cpu_service(log));
  unsetenv("UNINLU_NVML_LIBRARY");
  const auto health = service->health();
  EXPECT_FALSE(health["gpu_monitor"]["active"].get<bool>());
  EXPECT_NE(health["gpu_monitor"]["reason"].get<std::string>().find("absent-for-this-test"), std::string::npos)
      << health.dump();
  EXPECT_EQ(health["gpu_utilization"].get<double>(), 0.0);
  service.reset();
  EXPECT_TRUE(read_lines(log).empty());
  std::remove(log.c_str());
}

TEST(ServiceGpuMonitor, NoGpuAndNoLogMeansNoMonitor) {
  auto options = cpu_service("");
  auto service = make_inference_service(options);
  const auto health = service->health();
  EXPECT_FALSE(health["gpu_monitor"]["active"].get<bool>());
  EXPECT_EQ(health["gpu_monitor"]["reason"], "no GPU device and no gpu log");
}

}  // namespace
}  // namespace uninlu
