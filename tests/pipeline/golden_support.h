#pragma once
// Reading the goldens that tools/make_goldens.py writes (docs/reference.md describes the files).
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace uninlu::testing {

inline std::string goldens_dir() { return UNINLU_FIXTURES_DIR "/goldens"; }
inline std::string tiny_model_dir() { return UNINLU_FIXTURES_DIR "/models/tiny"; }

inline std::vector<nlohmann::ordered_json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::ordered_json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::ordered_json::parse(line));
  }
  return out;
}

// With UNINLU_GOLDEN_SAMPLE=1 (the CPU matrix under QEMU, where every case would take too long): the
// first case of each kind (task, tags, windowed or not, output_all_prefix), so every stage of the
// pipeline (windows, nesting to depth 3, each task's decoding) still runs once. Otherwise all cases.
inline std::vector<nlohmann::ordered_json> sample_cases(std::vector<nlohmann::ordered_json> cases) {
  const char* sample = std::getenv("UNINLU_GOLDEN_SAMPLE");
  if (sample == nullptr || std::string(sample) != "1") return cases;
  std::set<std::string> seen;
  std::vector<nlohmann::ordered_json> kept;
  for (auto& c : cases) {
    const std::string kind = c["task"].dump() + c["tags"].dump() + (c["n_windows"].get<int>() > 1 ? "w" : "") +
                             (c["output_all_prefix"].get<bool>() ? "p" : "");
    if (seen.insert(kind).second) kept.push_back(std::move(c));
  }
  return kept;
}

}  // namespace uninlu::testing
