#pragma once
// The WordPiece vocabulary (vocab.txt): one token per line, id = line number. The file is split on '\n'
// only: two bert-base-chinese entries contain U+2028, which a "universal newline" reader would split.
// A line may end in "\r\n" (the '\r' is not part of the token), as Python's text-mode reader, which
// transformers' load_vocab uses, strips it; docs/tokenizer.md explains the choice.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uninlu {

// Hash for heterogeneous lookup: unordered maps keyed by std::string can then be probed with a
// std::string_view without building a std::string per probe. operator() is deliberately not noexcept:
// libstdc++ then stores each node's hash, so a probe walking a bucket compares stored hashes instead of
// rehashing every key it passes (that rehashing was a third of the tokenizer's time).
struct StringViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringViewHash, std::equal_to<>>;

class Vocab {
 public:
  // Throws Error(ModelLoad) naming the file when it is missing, empty, not UTF-8 or holds a duplicate
  // token. The special tokens are the tokenizer's business (their names are configurable).
  static Vocab load(const std::string& path);
  static Vocab from_string(std::string_view contents, const std::string& source_name);

  std::optional<std::int32_t> find(std::string_view token) const;
  const std::string& token(std::int32_t id) const { return tokens_.at(static_cast<std::size_t>(id)); }
  const std::vector<std::string>& tokens() const noexcept { return tokens_; }
  std::size_t size() const noexcept { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
  StringMap<std::int32_t> ids_;
};

}  // namespace uninlu
