#pragma once
// One benchmark phase: workers send requests through a Transport for warmup + duration seconds.
//   closed loop: `connections` workers, each sending its next request as soon as the last is answered;
//                throughput and latency of the answers that complete inside the measurement window.
//   open loop:   arrivals at `rate` per second (Poisson or uniform) taken by up to `connections`
//                workers; latency runs from the arrival's *scheduled* time, so a request that waited
//                for a free connection counts its wait (no coordinated omission). Arrivals scheduled
//                inside the window are measured even when they finish after it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/arrivals.h"
#include "bench/latency_stats.h"
#include "bench/prom_text.h"
#include "bench/transport.h"

namespace uninlu::bench {

struct PhaseSpec {
  bool open_loop = false;
  int connections = 1;        // closed: concurrency; open: the most requests in flight at once
  double rate = 0;            // open loop: requests per second
  ArrivalKind arrivals = ArrivalKind::Poisson;
  double duration_s = 10;     // measurement window
  double warmup_s = 2;        // before the window, not measured
  double drain_s = 30;        // open loop: how long past the window measured arrivals may still finish
  std::uint64_t seed = 1;
  std::vector<int> client_cpus;  // pin the workers to these CPUs (empty: no pinning)
};

struct PhaseResult {
  PhaseSpec spec;
  double window_s = 0;
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::size_t unsent = 0;                   // open loop: measured arrivals never sent (backlog at the end)
  std::map<std::string, std::size_t> errors;  // by kind: "http 503", "io: ...", ...
  LatencySummary latency;                   // successful requests
  double qps = 0;                           // successful requests per second of the window
  double client_cpu_s = 0;                  // the workers' own CPU time over the whole phase
  double phase_wall_s = 0;                  // warmup + window (+ drain)
  double server_cpu_s = -1;                 // over the window; < 0: unknown
  BatchStats batches;
  double max_send_lag_ms = 0;               // open loop: the latest a measured arrival was sent
};

struct PhaseHooks {
  std::function<std::string()> scrape_metrics;  // /metrics text, or empty (no batch statistics)
  std::function<double()> server_cpu_seconds;   // the server's CPU time so far, or empty
  // In process, server_cpu_seconds is the whole process's: the workers' share of the window (their
  // CPU time scaled to the window) is taken off it.
  bool server_cpu_includes_client = false;
};

// Runs one phase. `make_transport` is called once per worker, on the worker's thread.
PhaseResult run_phase(const PhaseSpec& spec, const TransportFactory& make_transport, const PhaseHooks& hooks);

}  // namespace uninlu::bench
