#include "bench/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace uninlu::bench {
namespace {

std::string proc_path(int pid, const char* file) {
  return pid == 0 ? std::string("/proc/self/") + file : "/proc/" + std::to_string(pid) + "/" + file;
}

// Local ports in LISTEN state (st 0A) -> socket inodes, from /proc/net/tcp and tcp6.
std::set<std::string> listening_inodes(int port) {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      const auto colon = local.rfind(':');
      if (colon == std::string::npos || state != "0A") continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) inodes.insert(inode);
    }
  }
  return inodes;
}

}  // namespace

std::optional<ProcMemory> read_proc_memory(int pid) {
  std::ifstream in(proc_path(pid, "status"));
  if (!in) return std::nullopt;
  ProcMemory m;
  bool found = false;
  std::string key;
  while (in >> key) {
    double kib = 0;
    if (key == "VmHWM:" && in >> kib) {
      m.peak_rss_bytes = kib * 1024;
      found = true;
    } else if (key == "VmRSS:" && in >> kib) {
      m.rss_bytes = kib * 1024;
    }
    in.ignore(1 << 12, '\n');
  }
  if (!found) return std::nullopt;
  return m;
}

double process_cpu_seconds(int pid) {
  if (pid == 0) {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  std::ifstream in(proc_path(pid, "stat"));
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // field 3 is the state; 14 utime, 15 stime
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ticks > 0 ? (utime + stime) / ticks : -1;
}

int find_listening_pid(int port) {
  const auto inodes = listening_inodes(port);
  if (inodes.empty()) return 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::error_code fd_ec;
    for (const auto& fd : std::filesystem::directory_iterator(entry.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      const std::string target = std::filesystem::read_symlink(fd.path(), link_ec).string();
      if (link_ec || target.rfind("socket:[", 0) != 0) continue;
      if (inodes.contains(target.substr(8, target.size() - 9))) return std::stoi(name);
    }
  }
  return 0;
}

MachineInfo machine_info() {
  MachineInfo info;
  info.online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  bool have_flags = false;
  while (std::getline(cpuinfo, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && info.cpu_model.empty()) info.cpu_model = value;
    if (key == "flags" && !have_flags) {
      have_flags = true;
      std::istringstream flags(value);
      std::string flag;
      while (flags >> flag) {
        if (flag.rfind("avx512", 0) == 0 || flag.rfind("amx", 0) == 0 || flag.find("vnni") != std::string::npos) {
          info.vector_flags.push_back(flag);
        }
        if (flag.rfind("amx", 0) == 0) info.amx = true;
      }
    }
  }
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> info.load_average_1m;
  return info;
}

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> cpus;
  std::istringstream in(text);
  std::string part;
  const auto number = [&](const std::string& s) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(s, &used);
      if (used != s.size() || v < 0) throw std::invalid_argument("cpu");
      return v;
    } catch (const std::exception&) {
      fail(ErrorKind::Usage, "invalid CPU list \"" + text + "\": expected numbers like 0,1 or 0-3");
    }
  };
  while (std::getline(in, part, ',')) {
    if (part.empty()) continue;
    const auto dash = part.find('-');
    if (dash == std::string::npos) {
      cpus.push_back(number(part));
    } else {
      const int a = number(part.substr(0, dash));
      const int b = number(part.substr(dash + 1));
      if (b < a) fail(ErrorKind::Usage, "invalid CPU list \"" + text + "\": range " + part + " runs backwards");
      for (int c = a; c <= b; ++c) cpus.push_back(c);
    }
  }
  if (cpus.empty()) fail(ErrorKind::Usage, "invalid CPU list \"" + text + "\": no CPU named");
  return cpus;
}

}  // namespace uninlu::bench
