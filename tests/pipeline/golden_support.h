#pragma once
// Reading the goldens that tools/make_goldens.py writes (docs/reference.md describes the files).
#include <fstream>
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

}  // namespace uninlu::testing
