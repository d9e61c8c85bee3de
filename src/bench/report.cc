#include "bench/report.h"

#include <cstdio>
#include <sstream>

namespace uninlu::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// A cell of `width` characters; a value that fills it still gets one space before it (right-aligned) or
// after it (left-aligned), so neighbouring columns never run together.
std::string pad(const std::string& s, std::size_t width, bool left = false) {
  const std::size_t fill = s.size() < width ? width - s.size() : 1;
  return left ? s + std::string(fill, ' ') : std::string(fill, ' ') + s;
}

double per_request_ms(double seconds, std::size_t requests) {
  return requests > 0 ? seconds * 1e3 / static_cast<double>(requests) : 0;
}

}  // namespace

std::string phase_label(const PhaseSpec& spec) {
  if (!spec.open_loop) return "closed c=" + std::to_string(spec.connections);
  std::ostringstream out;
  out << "open " << spec.rate << "/s " << arrival_kind_name(spec.arrivals) << " (c<=" << spec.connections << ")";
  return out.str();
}

nlohmann::ordered_json phase_json(const PhaseResult& r) {
  nlohmann::ordered_json j;
  j["label"] = phase_label(r.spec);
  j["mode"] = r.spec.open_loop ? "open" : "closed";
  j["connections"] = r.spec.connections;
  if (r.spec.open_loop) {
    j["rate"] = r.spec.rate;
    j["arrivals"] = arrival_kind_name(r.spec.arrivals);
  }
  j["duration_s"] = r.spec.duration_s;
  j["warmup_s"] = r.spec.warmup_s;
  j["window_s"] = r.window_s;
  j["requests_ok"] = r.ok;
  j["requests_failed"] = r.failed;
  if (r.spec.open_loop) {
    j["unsent"] = r.unsent;
    j["max_send_lag_ms"] = r.max_send_lag_ms;
  }
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : r.errors) errors[kind] = count;
  j["errors"] = std::move(errors);
  j["qps"] = r.qps;
  const auto& l = r.latency;
  j["latency_ms"] = {{"mean", l.mean_ms}, {"p50", l.p50_ms}, {"p90", l.p90_ms}, {"p95", l.p95_ms},
                     {"p99", l.p99_ms},   {"max", l.max_ms},  {"min", l.min_ms}};
  const std::size_t answered = r.ok + r.failed;
  j["client_cpu"] = {{"seconds", r.client_cpu_s},
                     {"ms_per_request", per_request_ms(r.client_cpu_s, answered)},
                     {"core_fraction", r.phase_wall_s > 0 ? r.client_cpu_s / r.phase_wall_s : 0}};
  if (r.server_cpu_s >= 0) {
    j["server_cpu"] = {{"seconds", r.server_cpu_s},
                       {"ms_per_request", per_request_ms(r.server_cpu_s, r.ok)},
                       {"cores", r.window_s > 0 ? r.server_cpu_s / r.window_s : 0}};
  } else {
    j["server_cpu"] = nullptr;
  }
  j["batches"] = to_json(r.batches);
  return j;
}

nlohmann::ordered_json report_json(const BenchContext& c, const std::vector<PhaseResult>& phases) {
  nlohmann::ordered_json j;
  j["target"] = c.target;
  j["transport"] = c.transport;
  j["requests"] = c.requests;
  j["server"] = c.server;
  j["machine"] = {{"cpu_model", c.machine.cpu_model},
                  {"online_cpus", c.machine.online_cpus},
                  {"amx", c.machine.amx},
                  {"vector_flags", c.machine.vector_flags},
                  {"load_average_1m_at_start", c.machine.load_average_1m}};
  if (c.server_memory) {
    j["server_memory"] = {{"peak_rss_mib", c.server_memory->peak_rss_bytes / kMiB},
                          {"rss_mib", c.server_memory->rss_bytes / kMiB},
                          {"source", c.memory_source}};
  } else {
    j["server_memory"] = nullptr;
  }
  j["phases"] = nlohmann::ordered_json::array();
  for (const auto& p : phases) j["phases"].push_back(phase_json(p));
  return j;
}

std::string report_table(const BenchContext& c, const std::vector<PhaseResult>& phases) {
  std::ostringstream out;
  out << "target: " << c.target << " (" << c.transport << "); requests: " << c.requests << "\n";
  if (!c.server.empty()) out << "server: " << c.server << "\n";
  out << "machine: " << c.machine.cpu_model << ", " << c.machine.online_cpus << " CPUs, "
      << (c.machine.amx ? "AMX" : "no AMX") << ", load average " << format("%.2f", c.machine.load_average_1m)
      << " at start\n\n";
  out << pad("phase", 30, true) << pad("qps", 9) << pad("p50 ms", 9) << pad("p95 ms", 9) << pad("p99 ms", 9)
      << pad("max ms", 9) << pad("ok", 8) << pad("errors", 8) << pad("client cpu", 14) << pad("server cpu", 14)
      << "\n";
  for (const auto& r : phases) {
    const std::size_t answered = r.ok + r.failed;
    out << pad(phase_label(r.spec), 30, true) << pad(format("%.1f", r.qps), 9)
        << pad(format("%.1f", r.latency.p50_ms), 9) << pad(format("%.1f", r.latency.p95_ms), 9)
        << pad(format("%.1f", r.latency.p99_ms), 9) << pad(format("%.1f", r.latency.max_ms), 9)
        << pad(std::to_string(r.ok), 8) << pad(std::to_string(r.failed + r.unsent), 8)
        << pad(format("%.2f ms/req", per_request_ms(r.client_cpu_s, answered)), 14)
        << pad(r.server_cpu_s >= 0 ? format("%.1f ms/req", per_request_ms(r.server_cpu_s, r.ok)) : "-", 14) << "\n";
  }
  out << "\n(client cpu: the load generator's own CPU per request; server cpu: the server's CPU per request over"
         " the window;\n queue/infer ms: per request, waiting for the device and in device batches, summed over its"
         " steps)\n";
  bool any_errors = false;
  for (const auto& r : phases) {
    for (const auto& [kind, count] : r.errors) {
      if (!any_errors) out << "\nerrors:\n";
      any_errors = true;
      out << "  " << phase_label(r.spec) << ": " << kind << " x" << count << "\n";
    }
    if (r.unsent > 0) {
      if (!any_errors) out << "\nerrors:\n";
      any_errors = true;
      out << "  " << phase_label(r.spec) << ": never sent (client backlog at the end) x" << r.unsent << "\n";
    }
  }
  bool header = false;
  for (const auto& r : phases) {
    if (!r.batches.available) continue;
    if (!header) {
      out << "\nbatches (from /metrics)" << pad("text/s", 10) << pad("items", 8) << pad("tokens", 8)
          << pad("cross/s", 10) << pad("items", 8) << pad("tokens", 8) << pad("device busy", 13)
          << pad("queue ms", 10) << pad("infer ms", 10) << "\n";
      header = true;
    }
    const auto& b = r.batches;
    out << pad(phase_label(r.spec), 23, true) << pad(format("%.1f", b.text.batches_per_second), 10)
        << pad(format("%.1f", b.text.mean_items), 8) << pad(format("%.0f", b.text.mean_tokens), 8)
        << pad(format("%.1f", b.cross.batches_per_second), 10) << pad(format("%.1f", b.cross.mean_items), 8)
        << pad(format("%.0f", b.cross.mean_tokens), 8) << pad(format("%.0f%%", 100 * b.device_busy_fraction), 13)
        << pad(format("%.1f", b.mean_queue_ms), 10) << pad(format("%.1f", b.mean_inference_ms), 10) << "\n";
  }
  if (c.server_memory) {
    out << "\nserver peak RSS " << format("%.0f", c.server_memory->peak_rss_bytes / kMiB) << " MiB (now "
        << format("%.0f", c.server_memory->rss_bytes / kMiB) << " MiB; " << c.memory_source << ")\n";
  }
  return out.str();
}

}  // namespace uninlu::bench
