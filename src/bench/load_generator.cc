#include "bench/load_generator.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/error.h"

namespace uninlu::bench {
namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void pin_this_thread(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct WorkerLog {
  std::vector<double> latencies_ms;
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t unsent = 0;
  std::map<std::string, std::size_t> errors;
  double cpu_s = 0;
  double max_lag_ms = 0;

  void record(const Outcome& outcome, double latency_ms) {
    if (outcome.ok()) {
      ++ok;
      latencies_ms.push_back(latency_ms);
    } else {
      ++failed;
      ++errors[outcome.error];
    }
  }
};

// The open loop's shared arrival schedule: each free worker claims the next arrival time.
class SharedSchedule {
 public:
  SharedSchedule(const PhaseSpec& spec, Clock::time_point start)
      : schedule_(spec.rate, spec.arrivals, spec.seed), next_(start) {}

  Clock::time_point claim() {
    std::lock_guard lock(mutex_);
    const auto t = next_;
    next_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(schedule_.next_gap_seconds()));
    return t;
  }

 private:
  std::mutex mutex_;
  ArrivalSchedule schedule_;
  Clock::time_point next_;
};

}  // namespace

PhaseResult run_phase(const PhaseSpec& spec, const TransportFactory& make_transport, const PhaseHooks& hooks) {
  if (spec.connections < 1) fail(ErrorKind::Usage, "a phase needs at least one connection");
  if (!(spec.duration_s > 0)) fail(ErrorKind::Usage, "the measurement window must be longer than 0 s");
  const int workers = spec.connections;
  const auto start = Clock::now() + std::chrono::milliseconds(50);  // every worker has its transport by then
  const auto window_begin = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.warmup_s));
  const auto window_end =
      window_begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.duration_s));
  const auto hard_stop =
      window_end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(spec.drain_s));

  std::atomic<bool> stop{false};
  std::atomic<std::size_t> next_index{0};
  PhaseSpec schedule_spec = spec;  // the closed loop never claims from it, but it needs a valid rate
  if (!spec.open_loop) schedule_spec.rate = 1;
  SharedSchedule schedule(schedule_spec, start);
  std::vector<WorkerLog> logs(static_cast<std::size_t>(workers));
  std::vector<std::thread> threads;
  std::mutex setup_error_mutex;
  std::string setup_error;

  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      pin_this_thread(spec.client_cpus);
      WorkerLog& log = logs[static_cast<std::size_t>(w)];
      const double cpu_begin = thread_cpu_seconds();
      std::unique_ptr<Transport> transport;
      try {
        transport = make_transport();
      } catch (const std::exception& e) {
        std::lock_guard lock(setup_error_mutex);
        setup_error = e.what();
        return;
      }
      std::this_thread::sleep_until(start);
      if (!spec.open_loop) {
        while (!stop.load(std::memory_order_relaxed)) {
          const auto sent = Clock::now();
          const Outcome outcome = transport->send(next_index.fetch_add(1, std::memory_order_relaxed));
          const auto done = Clock::now();
          if (done >= window_begin && done < window_end) log.record(outcome, ms_between(sent, done));
        }
      } else {
        for (;;) {
          const auto scheduled = schedule.claim();
          if (scheduled >= window_end) break;
          const bool measured = scheduled >= window_begin;
          std::this_thread::sleep_until(scheduled);
          const auto sent = Clock::now();
          if (sent >= hard_stop) {
            if (measured) ++log.unsent;
            continue;
          }
          const Outcome outcome = transport->send(next_index.fetch_add(1, std::memory_order_relaxed));
          const auto done = Clock::now();
          if (measured) {
            log.record(outcome, ms_between(scheduled, done));
            log.max_lag_ms = std::max(log.max_lag_ms, ms_between(scheduled, sent));
          }
        }
      }
      transport.reset();
      log.cpu_s = thread_cpu_seconds() - cpu_begin;
    });
  }

  PhaseResult result;
  result.spec = spec;
  std::this_thread::sleep_until(window_begin);
  const std::string before = hooks.scrape_metrics ? hooks.scrape_metrics() : std::string();
  const double server_cpu_before = hooks.server_cpu_seconds ? hooks.server_cpu_seconds() : -1;
  const auto measured_begin = Clock::now();
  std::this_thread::sleep_until(window_end);
  const auto measured_end = Clock::now();
  const std::string after = hooks.scrape_metrics ? hooks.scrape_metrics() : std::string();
  const double server_cpu_after = hooks.server_cpu_seconds ? hooks.server_cpu_seconds() : -1;
  stop = true;
  for (auto& t : threads) t.join();
  if (!setup_error.empty()) fail(ErrorKind::Io, "a benchmark worker could not start: " + setup_error);

  result.window_s = std::chrono::duration<double>(measured_end - measured_begin).count();
  result.phase_wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> latencies;
  for (auto& log : logs) {
    result.ok += log.ok;
    result.failed += log.failed;
    result.unsent += log.unsent;
    result.client_cpu_s += log.cpu_s;
    result.max_send_lag_ms = std::max(result.max_send_lag_ms, log.max_lag_ms);
    for (const auto& [kind, count] : log.errors) result.errors[kind] += count;
    latencies.insert(latencies.end(), log.latencies_ms.begin(), log.latencies_ms.end());
  }
  result.latency = summarize(std::move(latencies));
  result.qps = result.window_s > 0 ? static_cast<double>(result.ok) / result.window_s : 0;
  if (hooks.scrape_metrics) {
    result.batches = batch_stats_between(parse_prometheus_text(before), parse_prometheus_text(after), result.window_s);
  }
  if (server_cpu_before >= 0 && server_cpu_after >= 0) {
    result.server_cpu_s = server_cpu_after - server_cpu_before;
    if (hooks.server_cpu_includes_client && result.phase_wall_s > 0) {
      result.server_cpu_s = std::max(0.0, result.server_cpu_s - result.client_cpu_s * result.window_s / result.phase_wall_s);
    }
  }
  return result;
}

}  // namespace uninlu::bench
