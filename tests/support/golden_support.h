#pragma once
// Reading the goldens that tools/make_goldens.py writes (docs/reference.md describes the files).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
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
// first case of each kind (task, nested, nested to depth 3, windowed, output_all_prefix), so every stage
// of the pipeline (windows and their merging, each level of nesting, each task's decoding) still runs
// once. Otherwise every case.
inline bool golden_sample_requested() {
  const char* sample = std::getenv("UNINLU_GOLDEN_SAMPLE");
  return sample != nullptr && std::string(sample) == "1";
}

// The shape of a case's work: nested, nested to depth 3, windowed, output_all_prefix ("" for none).
template <class Json>
std::string golden_case_shape(const Json& c) {
  const auto& tags = c["tags"];
  const auto has = [&](const char* tag) { return std::find(tags.begin(), tags.end(), tag) != tags.end(); };
  return std::string(has("nested") ? "/nested" : "") + (has("depth3") ? "/depth3" : "") +
         (c["n_windows"].template get<int>() > 1 ? "/windows" : "") +
         (c["output_all_prefix"].template get<bool>() ? "/all_prefix" : "");
}

template <class Json>
std::string golden_case_kind(const Json& c) {
  return c["task"].template get<std::string>() + golden_case_shape(c);
}

inline std::vector<nlohmann::ordered_json> sample_cases(std::vector<nlohmann::ordered_json> cases) {
  if (!golden_sample_requested()) return cases;
  std::set<std::string> seen;
  std::vector<nlohmann::ordered_json> kept;
  for (auto& c : cases) {
    if (seen.insert(golden_case_kind(c)).second) kept.push_back(std::move(c));
  }
  return kept;
}

// The per-stage records (stages.jsonl) to run: every one, or under UNINLU_GOLDEN_SAMPLE=1 the first
// record of each shape of work (windowed or not, nested, nested to depth 3): the stage tests run every
// stage in every precision, and under QEMU each record costs seconds, so the task does not count here.
class StageSample {
 public:
  StageSample() {
    if (!golden_sample_requested()) return;
    for (const auto& c : read_jsonl(goldens_dir() + "/cases.jsonl")) {
      shape_of_[c["id"].get<std::string>()] = golden_case_shape(c);
    }
  }
  bool keep(const std::string& id) {
    if (!golden_sample_requested()) return true;
    const auto it = shape_of_.find(id);
    return it != shape_of_.end() && seen_.insert(it->second).second;
  }

 private:
  std::map<std::string, std::string> shape_of_;
  std::set<std::string> seen_;
};

}  // namespace uninlu::testing
