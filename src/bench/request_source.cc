#include "bench/request_source.h"

#include <fstream>

#include "core/error.h"

namespace uninlu::bench {
namespace {

void add(RequestBodies& out, nlohmann::ordered_json item) {
  out.bodies.push_back(item.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  out.items.push_back(std::move(item));
}

}  // namespace

RequestBodies bodies_from_text(const std::string& text, const std::string& schema) {
  RequestBodies out;
  add(out, {{"text", text}, {"schema", schema}});
  out.origin = text == kSeedText && schema == kSeedSchema ? "seed request" : "--text/--schema";
  return out;
}

RequestBodies bodies_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Usage, "cannot open --input " + path);
  RequestBodies out;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + " line " + std::to_string(line_no);
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      fail(ErrorKind::InvalidInput, where + " is not JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string() || !j.contains("schema")) {
      fail(ErrorKind::InvalidInput, where + ": expected an object with a string \"text\" and a \"schema\"");
    }
    nlohmann::ordered_json item{{"text", j["text"]}, {"schema", j["schema"]}};
    if (j.contains("output_all_prefix")) item["output_all_prefix"] = j["output_all_prefix"];
    add(out, std::move(item));
  }
  if (out.items.empty()) fail(ErrorKind::Usage, "--input " + path + " holds no request");
  out.origin = path + " (" + std::to_string(out.items.size()) + " requests)";
  return out;
}

}  // namespace uninlu::bench
