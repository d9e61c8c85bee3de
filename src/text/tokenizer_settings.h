#pragma once
// The tokenizer settings a model directory may carry next to vocab.txt, read the way transformers'
// AutoTokenizer.from_pretrained builds a BertTokenizerFast from them: tokenizer_config.json
// (do_lower_case, tokenize_chinese_chars, strip_accents, model_max_length, tokenizer_class, the special
// token names, additional_special_tokens, added_tokens_decoder), special_tokens_map.json and
// added_tokens.json. Absent files mean BERT's defaults. docs/tokenizer.md lists what is read and refused.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace uninlu {

// A token matched in the text before WordPiece (Hugging Face's AddedToken). lstrip, rstrip and
// single_word are refused when true, so they do not appear here.
struct AddedTokenSpec {
  std::string content;
  std::optional<std::int32_t> id{};  // as the file gives it; checked against the vocabulary by the tokenizer
  bool special = false;
  bool normalized = false;  // true: matched in the normalized text (lowercased...), false: in the raw text
  bool operator==(const AddedTokenSpec&) const = default;
};

struct TokenizerSettings {
  bool do_lower_case = true;
  bool tokenize_chinese_chars = true;
  std::optional<bool> strip_accents{};             // unset (null): follows do_lower_case, as in BertNormalizer
  std::optional<std::int64_t> model_max_length{};  // unset, or transformers' "very large" placeholder: no limit
  std::string tokenizer_class{};                   // empty: not named

  std::string unk_token = "[UNK]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string cls_token = "[CLS]";
  std::string mask_token = "[MASK]";
  bool mask_token_configured = false;  // named by a file: then the vocabulary must hold it

  // additional_special_tokens, added_tokens.json and added_tokens_decoder, in the order transformers
  // adds them. The five special tokens above are added by the tokenizer itself.
  std::vector<AddedTokenSpec> added_tokens{};

  std::vector<std::string> files_read{};  // names of the files that were present
  std::vector<std::string> warnings{};

  bool effective_strip_accents() const noexcept { return strip_accents.value_or(do_lower_case); }
  // For `uninlu info --json` and GET /info: every setting as applied, and the files it came from.
  nlohmann::ordered_json to_json() const;
};

// The JSON documents of the three files (null where a file is absent) and names for messages.
struct TokenizerFiles {
  nlohmann::json tokenizer_config;
  nlohmann::json special_tokens_map;
  nlohmann::json added_tokens;
  std::string directory = "model directory";
};

// Throws Error(ModelLoad) naming the file and key on anything it cannot read faithfully: a value of the
// wrong type, lstrip/rstrip/single_word set, a tokenizer_class other than BertTokenizer(Fast).
TokenizerSettings tokenizer_settings_from_json(const TokenizerFiles& files);
// Reads the files from `directory` (absent files: defaults); malformed JSON is an Error(ModelLoad) naming
// the file and where parsing stopped.
TokenizerSettings load_tokenizer_settings(const std::string& directory);

// Error(ModelLoad) unless `name` is BertTokenizer or BertTokenizerFast; `source` says where it was named.
void check_tokenizer_class(const std::string& name, const std::string& source);

}  // namespace uninlu
