#pragma once
// A benchmark's results as a human table and as JSON (--json).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/load_generator.h"
#include "bench/process_stats.h"

namespace uninlu::bench {

struct BenchContext {
  std::string target;     // "http://127.0.0.1:7860" or "in-process http (model DIR)"
  std::string transport;  // "http" | "direct"
  std::string requests;   // RequestBodies::origin
  std::string server;     // precision, threads, batching: what the server was configured with, if known
  MachineInfo machine;
  std::optional<ProcMemory> server_memory;
  std::string memory_source;  // "/proc/PID/status", "this process (in-process)", "/health (current RSS)"
};

std::string phase_label(const PhaseSpec& spec);  // "closed c=64", "open 50/s poisson (c<=64)"

nlohmann::ordered_json phase_json(const PhaseResult& r);
nlohmann::ordered_json report_json(const BenchContext& context, const std::vector<PhaseResult>& phases);
std::string report_table(const BenchContext& context, const std::vector<PhaseResult>& phases);

}  // namespace uninlu::bench
