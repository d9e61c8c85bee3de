#pragma once
// What a benchmark reports about the processes and the machine: peak and current RSS, CPU time, the
// process listening on a local port, the CPU model and its vector extensions, the load average.
#include <optional>
#include <string>
#include <vector>

namespace uninlu::bench {

struct ProcMemory {
  double peak_rss_bytes = 0;  // VmHWM
  double rss_bytes = 0;       // VmRSS
};

std::optional<ProcMemory> read_proc_memory(int pid);  // pid 0: this process
double process_cpu_seconds(int pid);                  // user + system; pid 0: this process; < 0 when unknown

// The process with a TCP socket listening on `port` (IPv4 or IPv6), or 0 when none can be found (not
// local, or not ours to inspect).
int find_listening_pid(int port);

struct MachineInfo {
  std::string cpu_model;
  int online_cpus = 0;
  std::vector<std::string> vector_flags;  // the avx512*, amx* and vnni flags of /proc/cpuinfo
  bool amx = false;
  double load_average_1m = -1;
};
MachineInfo machine_info();

// "0,1" or "0-3,6" -> CPU numbers; Error(Usage) for anything else.
std::vector<int> parse_cpu_list(const std::string& text);

}  // namespace uninlu::bench
