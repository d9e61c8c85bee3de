#include "bench/load_generator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "bench/process_stats.h"
#include "bench/request_source.h"
#include "core/error.h"

namespace uninlu::bench {
namespace {

// Answers after a fixed service time; every `fail_every`-th request fails with 503.
class SleepyTransport final : public Transport {
 public:
  SleepyTransport(std::chrono::milliseconds service, int fail_every, std::atomic<int>& sent)
      : service_(service), fail_every_(fail_every), sent_(sent) {}
  Outcome send(std::size_t) override {
    const int n = ++sent_;
    std::this_thread::sleep_for(service_);
    if (fail_every_ > 0 && n % fail_every_ == 0) return {503, "http 503"};
    return {200, {}};
  }

 private:
  std::chrono::milliseconds service_;
  int fail_every_;
  std::atomic<int>& sent_;
};

TransportFactory sleepy(std::chrono::milliseconds service, std::atomic<int>& sent, int fail_every = 0) {
  return [=, &sent] { return std::make_unique<SleepyTransport>(service, fail_every, sent); };
}

TEST(LoadGenerator, ClosedLoopThroughputIsConnectionsOverServiceTime) {
  std::atomic<int> sent{0};
  PhaseSpec spec;
  spec.connections = 4;
  spec.duration_s = 1.0;
  spec.warmup_s = 0.2;
  const PhaseResult r = run_phase(spec, sleepy(std::chrono::milliseconds(20), sent), {});
  EXPECT_EQ(r.failed, 0u);
  // 4 connections x 50/s; sleeping overshoots a little.
  EXPECT_GT(r.qps, 120);
  EXPECT_LT(r.qps, 210);
  EXPECT_GE(r.latency.p50_ms, 19.5);
  EXPECT_LT(r.latency.p50_ms, 40);
  EXPECT_NEAR(r.window_s, 1.0, 0.05);
  EXPECT_GE(r.client_cpu_s, 0);
}

TEST(LoadGenerator, ErrorsAreCountedByKind) {
  std::atomic<int> sent{0};
  PhaseSpec spec;
  spec.connections = 1;
  spec.duration_s = 0.5;
  spec.warmup_s = 0;
  const PhaseResult r = run_phase(spec, sleepy(std::chrono::milliseconds(5), sent, 2), {});
  EXPECT_GT(r.failed, 10u);
  EXPECT_EQ(r.errors.at("http 503"), r.failed);
  EXPECT_NEAR(static_cast<double>(r.failed), static_cast<double>(r.ok), 2.0);
  EXPECT_EQ(r.latency.count, r.ok);
}

TEST(LoadGenerator, OpenLoopBelowCapacityKeepsTheRateAndServiceLatency) {
  std::atomic<int> sent{0};
  PhaseSpec spec;
  spec.open_loop = true;
  spec.rate = 100;
  spec.arrivals = ArrivalKind::Uniform;
  spec.connections = 8;
  spec.duration_s = 1.0;
  spec.warmup_s = 0.1;
  const PhaseResult r = run_phase(spec, sleepy(std::chrono::milliseconds(5), sent), {});
  EXPECT_EQ(r.failed + r.unsent, 0u);
  EXPECT_NEAR(static_cast<double>(r.ok), 100.0, 3.0);
  EXPECT_LT(r.latency.p50_ms, 15);
}

TEST(LoadGenerator, OpenLoopOverloadCountsTheQueueingDelay) {
  // One connection, 20 ms per request, 100 arrivals/s: capacity is 50/s, so the backlog (and each
  // request's latency from its scheduled time) keeps growing. A closed-loop client would report 20 ms.
  std::atomic<int> sent{0};
  PhaseSpec spec;
  spec.open_loop = true;
  spec.rate = 100;
  spec.arrivals = ArrivalKind::Uniform;
  spec.connections = 1;
  spec.duration_s = 1.0;
  spec.warmup_s = 0;
  spec.drain_s = 0.5;
  const PhaseResult r = run_phase(spec, sleepy(std::chrono::milliseconds(20), sent), {});
  EXPECT_GT(r.latency.max_ms, 300);
  EXPECT_GT(r.latency.p50_ms, 100);
  EXPECT_GT(r.unsent, 0u);  // what was still queued when the drain time ran out
  EXPECT_GT(r.max_send_lag_ms, 300);
}

TEST(LoadGenerator, HooksScrapeBeforeAndAfterTheWindow) {
  std::atomic<int> sent{0};
  std::atomic<int> scrapes{0};
  PhaseHooks hooks;
  hooks.scrape_metrics = [&] {
    const int n = scrapes++;
    return n == 0 ? std::string("uninlu_batch_size_count{stage=\"text\"} 0\n")
                  : std::string("uninlu_batch_size_count{stage=\"text\"} 10\n");
  };
  std::atomic<int> cpu_reads{0};
  hooks.server_cpu_seconds = [&] { return cpu_reads++ == 0 ? 1.0 : 1.5; };
  PhaseSpec spec;
  spec.duration_s = 0.5;
  spec.warmup_s = 0;
  const PhaseResult r = run_phase(spec, sleepy(std::chrono::milliseconds(5), sent), hooks);
  EXPECT_EQ(scrapes.load(), 2);
  ASSERT_TRUE(r.batches.available);
  EXPECT_DOUBLE_EQ(r.batches.text.batches, 10);
  EXPECT_NEAR(r.batches.text.batches_per_second, 20, 1);
  EXPECT_DOUBLE_EQ(r.server_cpu_s, 0.5);
}

TEST(LoadGenerator, AWorkerThatCannotStartFailsThePhase) {
  PhaseSpec spec;
  spec.duration_s = 0.2;
  spec.warmup_s = 0;
  EXPECT_THROW(run_phase(spec, []() -> std::unique_ptr<Transport> { throw Error(ErrorKind::Io, "no"); }, {}), Error);
}

TEST(BenchInputs, UrlsAndCpuLists) {
  const HttpTarget t = parse_url("http://127.0.0.1:7861");
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 7861);
  EXPECT_EQ(t.path_prefix, "");
  const HttpTarget p = parse_url("http://example.com/uninlu/");
  EXPECT_EQ(p.port, 80);
  EXPECT_EQ(p.path_prefix, "/uninlu");
  const HttpTarget v6 = parse_url("http://[::1]:9000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 9000);
  EXPECT_FALSE(t.tls);
  const HttpTarget s = parse_url("https://uninlu.example/api-prefix");
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(s.port, 443);
  EXPECT_EQ(s.host, "uninlu.example");
  EXPECT_EQ(parse_url("https://127.0.0.1:8443").port, 8443);
  EXPECT_THROW(parse_url("ftp://x:1"), Error);
  EXPECT_THROW(parse_url("http://x:port"), Error);
  EXPECT_THROW(parse_url("http://x:70000"), Error);
  EXPECT_EQ(parse_cpu_list("1"), std::vector<int>{1});
  EXPECT_EQ(parse_cpu_list("0-2,5"), (std::vector<int>{0, 1, 2, 5}));
  EXPECT_THROW(parse_cpu_list("a"), Error);
  EXPECT_THROW(parse_cpu_list("3-1"), Error);
}

TEST(BenchInputs, RequestBodies) {
  const RequestBodies seed = bodies_from_text(kSeedText, kSeedSchema);
  EXPECT_EQ(seed.origin, "seed request");
  ASSERT_EQ(seed.bodies.size(), 1u);
  EXPECT_EQ(seed.bodies[0],
            "{\"text\":\"华为在东莞松山湖建设了研发基地\",\"schema\":\"{\\\"公司\\\":null,\\\"地理位置\\\":null}\"}");
  const std::string path = testing::TempDir() + "bench_inputs.jsonl";
  {
    std::ofstream out(path);
    out << "{\"text\": \"a\", \"schema\": {\"x\": null}, \"id\": 3}\n\n{\"text\": \"b\", \"schema\": \"{}\", "
           "\"output_all_prefix\": true}\n";
  }
  const RequestBodies file = bodies_from_file(path);
  ASSERT_EQ(file.items.size(), 2u);
  EXPECT_FALSE(file.items[0].contains("id"));
  EXPECT_TRUE(file.items[1]["output_all_prefix"].get<bool>());
  {
    std::ofstream out(path);
    out << "{\"text\": \"a\", \"schema\": {}}\n{\"text\": 5, \"schema\": {}}\n";
  }
  try {
    bodies_from_file(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
  }
  EXPECT_THROW(bodies_from_file(path + ".missing"), Error);
}

TEST(BenchInputs, MachineInfoAndOwnMemory) {
  const MachineInfo m = machine_info();
  EXPECT_GT(m.online_cpus, 0);
  const auto mem = read_proc_memory(0);
  ASSERT_TRUE(mem.has_value());
  EXPECT_GT(mem->peak_rss_bytes, 0);
  EXPECT_GE(mem->peak_rss_bytes, mem->rss_bytes);
  EXPECT_GE(process_cpu_seconds(0), 0);
  EXPECT_EQ(find_listening_pid(1), 0);  // nothing listens on port 1 here
}

}  // namespace
}  // namespace uninlu::bench
