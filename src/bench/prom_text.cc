#include "bench/prom_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace uninlu::bench {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

// Labels between '{' and '}', values as quoted strings with \\, \" and \n escapes. Returns the position
// after '}', or npos when malformed.
std::size_t parse_labels(std::string_view line, std::size_t at, std::map<std::string, std::string>& labels) {
  ++at;  // '{'
  while (at < line.size()) {
    while (at < line.size() && (line[at] == ' ' || line[at] == ',')) ++at;
    if (at < line.size() && line[at] == '}') return at + 1;
    const std::size_t name_begin = at;
    while (at < line.size() && is_name_char(line[at])) ++at;
    const std::string name(line.substr(name_begin, at - name_begin));
    if (name.empty() || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"') return std::string_view::npos;
    at += 2;
    std::string value;
    while (at < line.size() && line[at] != '"') {
      if (line[at] == '\\' && at + 1 < line.size()) {
        ++at;
        value += line[at] == 'n' ? '\n' : line[at];
      } else {
        value += line[at];
      }
      ++at;
    }
    if (at >= line.size()) return std::string_view::npos;
    ++at;  // closing quote
    labels.emplace(name, std::move(value));
  }
  return std::string_view::npos;
}

bool parse_value(std::string_view text, double& out) {
  const std::string s(text);
  if (s == "NaN") {
    out = std::nan("");
    return true;
  }
  if (s == "+Inf" || s == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-Inf") {
    out = -HUGE_VAL;
    return true;
  }
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

}  // namespace

std::vector<PromSample> parse_prometheus_text(std::string_view text) {
  std::vector<PromSample> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    PromSample sample;
    std::size_t at = 0;
    while (at < line.size() && is_name_char(line[at])) ++at;
    sample.name = std::string(line.substr(0, at));
    if (sample.name.empty()) continue;
    if (at < line.size() && line[at] == '{') {
      at = parse_labels(line, at, sample.labels);
      if (at == std::string_view::npos) continue;
    }
    while (at < line.size() && line[at] == ' ') ++at;
    std::size_t value_end = line.find(' ', at);  // an optional timestamp follows
    if (value_end == std::string_view::npos) value_end = line.size();
    if (!parse_value(line.substr(at, value_end - at), sample.value)) continue;
    out.push_back(std::move(sample));
  }
  return out;
}

double prom_sum(const std::vector<PromSample>& samples, std::string_view name,
                const std::map<std::string, std::string>& match) {
  double sum = 0;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [key, value] : match) {
      const auto it = s.labels.find(key);
      if (it == s.labels.end() || it->second != value) {
        ok = false;
        break;
      }
    }
    if (ok) sum += s.value;
  }
  return sum;
}

BatchStats batch_stats_between(const std::vector<PromSample>& before, const std::vector<PromSample>& after,
                               double seconds) {
  BatchStats stats;
  const auto delta = [&](std::string_view name, const std::map<std::string, std::string>& match = {}) {
    return prom_sum(after, name, match) - prom_sum(before, name, match);
  };
  bool any = false;
  for (const auto& s : after) any = any || s.name.rfind("uninlu_", 0) == 0;
  stats.available = any;
  if (!any) return stats;
  const auto stage = [&](const char* name) {
    StageBatchStats st;
    const std::map<std::string, std::string> match{{"stage", name}};
    st.batches = delta("uninlu_batch_size_count", match);
    st.batches_per_second = seconds > 0 ? st.batches / seconds : 0;
    if (st.batches > 0) {
      st.mean_items = delta("uninlu_batch_size_sum", match) / st.batches;
      st.mean_tokens = delta("uninlu_batch_tokens_sum", match) / st.batches;
    }
    return st;
  };
  stats.text = stage("text");
  stats.cross = stage("cross");
  stats.device_busy_fraction = seconds > 0 ? delta("uninlu_device_busy_seconds_total") / seconds : 0;
  stats.requests = delta("uninlu_request_duration_seconds_count");
  const double queued = delta("uninlu_queue_duration_seconds_count");
  if (queued > 0) {
    stats.mean_queue_ms = 1e3 * delta("uninlu_queue_duration_seconds_sum") / queued;
    stats.mean_inference_ms = 1e3 * delta("uninlu_inference_duration_seconds_sum") / queued;
  }
  return stats;
}

nlohmann::ordered_json to_json(const BatchStats& stats) {
  if (!stats.available) return nullptr;
  const auto stage = [](const StageBatchStats& s) {
    return nlohmann::ordered_json{{"batches", s.batches},
                                  {"batches_per_second", s.batches_per_second},
                                  {"mean_items", s.mean_items},
                                  {"mean_tokens", s.mean_tokens}};
  };
  return {{"text", stage(stats.text)},
          {"cross", stage(stats.cross)},
          {"device_busy_fraction", stats.device_busy_fraction},
          {"requests", stats.requests},
          {"mean_queue_ms", stats.mean_queue_ms},
          {"mean_inference_ms", stats.mean_inference_ms}};
}

}  // namespace uninlu::bench
