// gpu.log lines: fixed fields, "n/a" for what NVML cannot give, our device state when the GPU is ours.
#include "monitor/gpu_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace uninlu {
namespace {

std::chrono::system_clock::time_point at(long long epoch_ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(epoch_ms));
}

GpuSample h100() {
  GpuSample s;
  s.index = 0;
  s.name = "NVIDIA H100 80GB HBM3";
  s.ok = true;
  s.utilization_percent = 87;
  s.memory_used_bytes = 12345.0 * 1024 * 1024;
  s.memory_total_bytes = 81559.0 * 1024 * 1024;
  s.temperature_c = 54;
  s.ecc_uncorrected = 0;
  return s;
}

TEST(GpuLog, TimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(format_utc_timestamp(at(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_timestamp(at(1764032523123)), "2025-11-25T01:02:03.123Z");
}

TEST(GpuLog, LineOfOurGpu) {
  const std::string line = format_gpu_log_line(at(1764032523123), h100(), GpuLogDevice{"cuda:0", "healthy", 1234});
  EXPECT_EQ(line,
            "2025-11-25T01:02:03.123Z gpu=0 name=\"NVIDIA H100 80GB HBM3\" util=87% mem=12345/81559MiB temp=54C ecc=0 "
            "device=cuda:0 state=healthy batches=1234");
}

TEST(GpuLog, LineOfAnotherGpuWithMissingReadings) {
  GpuSample s = h100();
  s.index = 3;
  s.utilization_percent = -1;
  s.temperature_c = -1;
  s.ecc_uncorrected.reset();
  s.memory_total_bytes = -1;
  const std::string line = format_gpu_log_line(at(0), s, std::nullopt);
  EXPECT_EQ(line,
            "1970-01-01T00:00:00.000Z gpu=3 name=\"NVIDIA H100 80GB HBM3\" util=n/a mem=n/a temp=n/a ecc=n/a "
            "device=- state=- batches=-");
}

TEST(GpuLog, ErrorsAndOddNamesStayOnOneLine) {
  GpuSample s;
  s.index = 1;
  s.name = "odd \"name\"\nwith newline";
  s.ok = false;
  s.error = "nvmlDeviceGetHandleByIndex: GPU is lost (15)";
  const std::string line = format_gpu_log_line(at(0), s, std::nullopt);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"(name="odd \"name\"with newline")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"x(error="nvmlDeviceGetHandleByIndex: GPU is lost (15)")x"), std::string::npos) << line;
}

TEST(GpuLog, WriterAppendsLines) {
  const std::string path = ::testing::TempDir() + "/gpu_log_test.log";
  std::remove(path.c_str());
  {
    GpuLogWriter writer(path);
    ASSERT_TRUE(writer.ok()) << writer.error();
    writer.write({"first", "second"});
  }
  {
    GpuLogWriter writer(path);  // a restart appends
    writer.write({"third"});
  }
  std::ifstream in(path);
  std::string a, b, c, d;
  std::getline(in, a);
  std::getline(in, b);
  std::getline(in, c);
  EXPECT_EQ(a, "first");
  EXPECT_EQ(b, "second");
  EXPECT_EQ(c, "third");
  EXPECT_FALSE(std::getline(in, d));
  std::remove(path.c_str());
}

TEST(GpuLog, UnwritablePathIsReportedNotThrown) {
  GpuLogWriter writer("/nonexistent-directory-for-this-test/gpu.log");
  EXPECT_FALSE(writer.ok());
  EXPECT_NE(writer.error().find("cannot open"), std::string::npos);
  writer.write({"ignored"});  // no crash, no exception
}

}  // namespace
}  // namespace uninlu
