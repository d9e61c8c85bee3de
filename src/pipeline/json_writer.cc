#include "pipeline/json_writer.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "pipeline/prediction.h"

namespace uninlu {

void append_json_string(std::string& out, std::string_view s) {
  if (!is_valid_utf8(s)) {  // rare (an echoed client header): let nlohmann do its replacement
    out += nlohmann::ordered_json(std::string(s)).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return;
  }
  append_valid_json_string(out, s);
}

void append_valid_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default: {
        const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_json_int(std::string& out, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_chain_json(std::string& out, const ResultChain& chain) {
  out.push_back('[');
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"type\":";
    append_valid_json_string(out, chain[i].type);
    out += ",\"span\":";
    append_valid_json_string(out, chain[i].span);
    out += ",\"offset\":[";
    append_json_int(out, chain[i].begin);
    out.push_back(',');
    append_json_int(out, chain[i].end);
    out += "]}";
  }
  out.push_back(']');
}

void append_results_json(std::string& out, const std::vector<ResultChain>& results) {
  out += "{\"output\":[";
  for (std::size_t c = 0; c < results.size(); ++c) {
    if (c > 0) out.push_back(',');
    append_chain_json(out, results[c]);
  }
  out += "]}";
}

}  // namespace uninlu
