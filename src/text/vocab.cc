#include "text/vocab.h"

#include <string>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/utf8.h"

namespace uninlu {

namespace {

[[noreturn]] void vocab_error(const std::string& source, const std::string& what) {
  fail(ErrorKind::ModelLoad, "vocabulary " + source + ": " + what);
}

std::string line_label(std::size_t index) { return "line " + std::to_string(index + 1); }

}  // namespace

Vocab Vocab::load(const std::string& path) { return from_string(read_text_file(path), path); }

Vocab Vocab::from_string(std::string_view contents, const std::string& source_name) {
  if (contents.empty()) vocab_error(source_name, "the file is empty");
  if (contents.starts_with("\xEF\xBB\xBF")) {
    vocab_error(source_name, "starts with a UTF-8 byte-order mark, which would become part of the first token");
  }
  // A final '\n' ends the last line; it does not start an empty one.
  if (contents.back() == '\n') contents.remove_suffix(1);

  Vocab vocab;
  std::size_t pos = 0;
  while (pos <= contents.size()) {
    const std::size_t newline = contents.find('\n', pos);
    const std::size_t end = newline == std::string_view::npos ? contents.size() : newline;
    std::string_view line = contents.substr(pos, end - pos);
    const std::size_t index = vocab.tokens_.size();
    if (line.ends_with('\r')) line.remove_suffix(1);  // CRLF line ending
    if (line.find('\r') != std::string_view::npos) {
      // Python's text-mode reader (transformers' load_vocab) would end the line here and shift every
      // later id; refusing is safer than guessing.
      vocab_error(source_name, line_label(index) + " contains a carriage return inside a token");
    }
    if (!is_valid_utf8(line)) vocab_error(source_name, line_label(index) + " is not valid UTF-8");
    const auto [it, inserted] = vocab.ids_.emplace(std::string(line), static_cast<std::int32_t>(index));
    if (!inserted) {
      vocab_error(source_name, line_label(index) + " repeats the token \"" + std::string(line) + "\" of " +
                                   line_label(static_cast<std::size_t>(it->second)));
    }
    vocab.tokens_.emplace_back(line);
    if (newline == std::string_view::npos) break;
    pos = newline + 1;
  }

  return vocab;
}

std::optional<std::int32_t> Vocab::find(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace uninlu
