#include "eval/cluener_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/utf8.h"

namespace uninlu::eval {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

[[noreturn]] void bad_line(std::size_t line_no, const std::string& what) {
  fail(ErrorKind::InvalidInput, "line " + std::to_string(line_no) + ": " + what);
}

std::string type_list(const std::vector<EntityType>& types) {
  std::string out;
  for (const auto& t : types) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

bool is_index(const nlohmann::json& v) { return v.is_number_integer() && v.get<std::int64_t>() >= 0; }

}  // namespace

std::vector<EntityType> cluener_types() {
  return {{"address", "地址"},  {"book", "书名"},         {"company", "公司"},  {"game", "游戏"},
          {"government", "政府"}, {"movie", "电影"},        {"name", "姓名"},     {"organization", "组织机构"},
          {"position", "职位"},   {"scene", "景点"}};
}

std::vector<EntityType> parse_type_spec(std::string_view spec) {
  std::vector<EntityType> out;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', pos), spec.size());
    const std::string item(spec.substr(pos, comma - pos));
    pos = comma + 1;
    const auto eq = item.find('=');
    if (eq == std::string::npos) fail(ErrorKind::Usage, "--types: '" + item + "' is not TYPE=PROMPT");
    EntityType t{trim(std::string_view(item).substr(0, eq)), trim(std::string_view(item).substr(eq + 1))};
    if (t.name.empty() || t.prompt.empty()) fail(ErrorKind::Usage, "--types: '" + item + "' has an empty type or prompt");
    for (const auto& o : out) {
      if (o.name == t.name) fail(ErrorKind::Usage, "--types: type '" + t.name + "' is given twice");
      if (o.prompt == t.prompt) fail(ErrorKind::Usage, "--types: prompt '" + t.prompt + "' is given twice");
    }
    out.push_back(std::move(t));
  }
  return out;
}

CluenerExample parse_cluener_line(std::string_view line, std::size_t line_no, const std::vector<EntityType>& types) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    bad_line(line_no, std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) bad_line(line_no, "not a JSON object");
  if (!j.contains("text") || !j["text"].is_string()) bad_line(line_no, "\"text\" must be a string");
  CluenerExample ex;
  ex.line = line_no;
  ex.text = j["text"].get<std::string>();
  const std::u32string cps = decode_utf8(ex.text, "line " + std::to_string(line_no) + " text");
  if (!j.contains("label") || !j["label"].is_object()) {
    bad_line(line_no, "no \"label\" object (gold entities are needed; CLUENER's test split has none)");
  }
  for (const auto& [type, mentions] : j["label"].items()) {
    const bool known = std::any_of(types.begin(), types.end(), [&](const EntityType& t) { return t.name == type; });
    if (!known) bad_line(line_no, "label type '" + type + "' is not one of the types evaluated (" + type_list(types) + ")");
    if (!mentions.is_object()) bad_line(line_no, "label '" + type + "' must map mentions to span lists");
    for (const auto& [mention, spans] : mentions.items()) {
      if (!spans.is_array()) bad_line(line_no, "spans of '" + mention + "' must be a list of [start, end]");
      for (const auto& s : spans) {
        if (!s.is_array() || s.size() != 2 || !is_index(s[0]) || !is_index(s[1])) {
          bad_line(line_no, "span " + s.dump() + " of '" + mention + "' is not [start, end_inclusive]");
        }
        const auto b = s[0].get<std::int64_t>();
        const auto e = s[1].get<std::int64_t>();
        if (b > e || e >= static_cast<std::int64_t>(cps.size())) {
          bad_line(line_no, "span " + s.dump() + " of '" + mention + "' is outside the text (" +
                                std::to_string(cps.size()) + " characters)");
        }
        const std::string at = encode_utf8(std::u32string_view(cps).substr(static_cast<std::size_t>(b),
                                                                           static_cast<std::size_t>(e - b + 1)));
        if (at != mention) bad_line(line_no, "span " + s.dump() + " is '" + at + "', not the mention '" + mention + "'");
        ex.gold.insert({type, b, e});
      }
    }
  }
  return ex;
}

std::vector<CluenerExample> read_cluener_file(const std::string& path, const std::vector<EntityType>& types,
                                              std::size_t limit) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(ErrorKind::Usage, "data file '" + path + "' does not exist");
  if (std::filesystem::is_directory(path, ec)) fail(ErrorKind::Usage, "data file '" + path + "' is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Usage, "cannot open data file '" + path + "'");
  std::vector<CluenerExample> out;
  std::string line;
  std::size_t line_no = 0;
  while ((limit == 0 || out.size() < limit) && std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    out.push_back(parse_cluener_line(line, line_no, types));
  }
  if (in.bad()) fail(ErrorKind::Io, "error reading '" + path + "'");
  return out;
}

}  // namespace uninlu::eval
