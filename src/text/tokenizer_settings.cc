#include "text/tokenizer_settings.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>

#include "core/error.h"
#include "core/mapped_file.h"

namespace uninlu {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kTokenizerConfig = "tokenizer_config.json";
constexpr const char* kSpecialTokensMap = "special_tokens_map.json";
constexpr const char* kAddedTokens = "added_tokens.json";
constexpr const char* kTokenizerJson = "tokenizer.json";

[[noreturn]] void bad(const std::string& file, const std::string& what) {
  fail(ErrorKind::ModelLoad, file + ": " + what);
}

std::optional<bool> optional_bool(const json& object, const char* key, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) bad(file, std::string(key) + " must be true, false or null (it is " + it->dump() + ")");
  return it->get<bool>();
}

// transformers writes "no limit" as int(1e30), which JSON readers see as a float or an integer past int64.
std::optional<std::int64_t> max_length_of(const json& object, const std::string& file) {
  const auto it = object.find("model_max_length");
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()}) {
    return std::nullopt;
  }
  if (it->is_number_integer()) {
    const auto value = it->get<std::int64_t>();
    if (value <= 0) bad(file, "model_max_length must be positive (it is " + it->dump() + ")");
    return value;
  }
  if (it->is_number_float() && it->get<double>() >= 1e18) return std::nullopt;
  bad(file, "model_max_length must be an integer (it is " + it->dump() + ")");
}

// A token written as a string or as an AddedToken dict ({"content": ..., "lstrip": ..., ...}).
// `special` is the default of the "special" and "normalized" keys (normalized defaults to !special).
AddedTokenSpec token_of(const json& value, bool special, const std::string& file, const std::string& where) {
  if (value.is_string()) return {value.get<std::string>(), std::nullopt, special, !special};
  if (!value.is_object()) bad(file, where + " must be a string or an AddedToken object (it is " + value.dump() + ")");
  const auto content = value.find("content");
  if (content == value.end() || !content->is_string()) bad(file, where + " has no string \"content\"");
  AddedTokenSpec token{content->get<std::string>(), std::nullopt, special, !special};
  if (const auto s = optional_bool(value, "special", file)) token.special = *s;
  token.normalized = !token.special;
  if (const auto n = optional_bool(value, "normalized", file)) token.normalized = *n;
  for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
    if (optional_bool(value, flag, file).value_or(false)) {
      bad(file, where + " (\"" + token.content + "\") sets " + flag +
                    ", which uninlu does not implement (BERT tokenizers do not use it)");
    }
  }
  if (token.content.empty()) bad(file, where + " is an empty token");
  return token;
}

const json* object_or_null(const json& document, const std::string& file) {
  if (document.is_null()) return nullptr;
  if (!document.is_object()) bad(file, "must hold a JSON object (it holds " + std::string(document.type_name()) + ")");
  return &document;
}

struct NamedToken {
  const char* key;
  std::string TokenizerSettings::*field;
};
constexpr NamedToken kNamedTokens[] = {
    {"unk_token", &TokenizerSettings::unk_token}, {"sep_token", &TokenizerSettings::sep_token},
    {"pad_token", &TokenizerSettings::pad_token}, {"cls_token", &TokenizerSettings::cls_token},
    {"mask_token", &TokenizerSettings::mask_token},
};

// The five special token names and additional_special_tokens of one file, into `settings`.
// `configured` collects the names the file gives (the defaults are not "special" for added_tokens.json).
void read_special_tokens(const json& object, const std::string& file, TokenizerSettings& settings,
                         std::vector<AddedTokenSpec>& additional, std::vector<std::string>& configured) {
  for (const auto& named : kNamedTokens) {
    const auto it = object.find(named.key);
    if (it == object.end()) continue;
    if (it->is_null()) {
      if (std::string(named.key) == "mask_token") continue;  // no mask token: nothing to match
      bad(file, std::string(named.key) + " is null; uninlu needs it");
    }
    const AddedTokenSpec token = token_of(*it, true, file, named.key);
    if (token.normalized) {
      bad(file, std::string(named.key) + " (\"" + token.content +
                    "\") sets normalized: true; uninlu matches special tokens in the raw text only");
    }
    settings.*named.field = token.content;
    configured.push_back(token.content);
    if (std::string(named.key) == "mask_token") settings.mask_token_configured = true;
  }
  const auto extra = object.find("additional_special_tokens");
  if (extra == object.end() || extra->is_null()) return;
  if (!extra->is_array()) bad(file, "additional_special_tokens must be a list (it is " + extra->dump() + ")");
  for (std::size_t i = 0; i < extra->size(); ++i) {
    AddedTokenSpec token = token_of((*extra)[i], true, file, "additional_special_tokens[" + std::to_string(i) + "]");
    token.special = true;
    const bool seen = std::any_of(additional.begin(), additional.end(),
                                  [&](const AddedTokenSpec& t) { return t.content == token.content; });
    if (!seen) additional.push_back(std::move(token));
  }
}

std::int32_t token_id_of(const std::string& text, const std::string& file, const std::string& where) {
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < 0 || value > std::numeric_limits<std::int32_t>::max()) {
    bad(file, where + ": \"" + text + "\" is not a token id");
  }
  return static_cast<std::int32_t>(value);
}

// added_tokens_decoder: {"id": AddedToken dict}, in id order.
std::vector<AddedTokenSpec> read_added_tokens_decoder(const json& decoder, const std::string& file) {
  if (!decoder.is_object()) bad(file, "added_tokens_decoder must be an object of id: token");
  std::map<std::int32_t, AddedTokenSpec> by_id;
  for (const auto& [key, value] : decoder.items()) {
    const std::string where = "added_tokens_decoder[\"" + key + "\"]";
    if (!value.is_object()) bad(file, where + " must be an AddedToken object");
    AddedTokenSpec token = token_of(value, optional_bool(value, "special", file).value_or(false), file, where);
    token.id = token_id_of(key, file, "added_tokens_decoder");
    by_id[*token.id] = std::move(token);
  }
  std::vector<AddedTokenSpec> out;
  for (auto& [id, token] : by_id) out.push_back(std::move(token));
  return out;
}

// added_tokens.json: {"token": id}. A token the files name as a special token is special (matched raw);
// the others are matched in the normalized text, as transformers' legacy loader registers them.
std::vector<AddedTokenSpec> read_added_tokens_json(const json& object, const std::string& file,
                                                   std::vector<std::string> special_names,
                                                   const std::vector<AddedTokenSpec>& additional) {
  for (const auto& token : additional) special_names.push_back(token.content);
  std::map<std::int32_t, AddedTokenSpec> by_id;
  for (const auto& [content, id] : object.items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
        id.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
      bad(file, "the id of \"" + content + "\" must be a non-negative integer (it is " + id.dump() + ")");
    }
    if (content.empty()) bad(file, "holds an empty token");
    const bool special = std::find(special_names.begin(), special_names.end(), content) != special_names.end();
    const auto value = static_cast<std::int32_t>(id.get<std::int64_t>());
    if (by_id.contains(value)) bad(file, "gives id " + std::to_string(value) + " to two tokens");
    by_id[value] = AddedTokenSpec{content, value, special, !special};
  }
  std::vector<AddedTokenSpec> out;
  for (auto& [id, token] : by_id) out.push_back(std::move(token));
  return out;
}

json read_json_file(const fs::path& path) {
  try {
    return json::parse(read_text_file(path.string()));
  } catch (const json::exception& e) {
    bad(path.string(), std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace

void check_tokenizer_class(const std::string& name, const std::string& source) {
  if (name.empty() || name == "BertTokenizer" || name == "BertTokenizerFast") return;
  fail(ErrorKind::ModelLoad, source + " names tokenizer_class \"" + name +
                                 "\"; uninlu implements only BERT's WordPiece tokenizer (BertTokenizer / "
                                 "BertTokenizerFast)");
}

TokenizerSettings tokenizer_settings_from_json(const TokenizerFiles& files) {
  const std::string config_file = files.directory + "/" + kTokenizerConfig;
  const std::string map_file = files.directory + "/" + kSpecialTokensMap;
  const std::string added_file = files.directory + "/" + kAddedTokens;
  const json* config = object_or_null(files.tokenizer_config, config_file);
  const json* map = object_or_null(files.special_tokens_map, map_file);
  const json* added = object_or_null(files.added_tokens, added_file);

  TokenizerSettings settings;
  std::vector<AddedTokenSpec> additional;
  std::vector<std::string> configured;
  bool has_decoder = false;
  if (config) {
    settings.files_read.push_back(kTokenizerConfig);
    if (const auto v = optional_bool(*config, "do_lower_case", config_file)) settings.do_lower_case = *v;
    if (const auto v = optional_bool(*config, "tokenize_chinese_chars", config_file)) settings.tokenize_chinese_chars = *v;
    settings.strip_accents = optional_bool(*config, "strip_accents", config_file);
    settings.model_max_length = max_length_of(*config, config_file);
    if (const auto it = config->find("tokenizer_class"); it != config->end() && !it->is_null()) {
      if (!it->is_string()) bad(config_file, "tokenizer_class must be a string (it is " + it->dump() + ")");
      settings.tokenizer_class = it->get<std::string>();
      check_tokenizer_class(settings.tokenizer_class, config_file);
    }
    read_special_tokens(*config, config_file, settings, additional, configured);
    if (const auto it = config->find("added_tokens_decoder"); it != config->end() && !it->is_null()) {
      settings.added_tokens = read_added_tokens_decoder(*it, config_file);
      has_decoder = true;
    }
  }
  if (map) settings.files_read.push_back(kSpecialTokensMap);
  if (added) settings.files_read.push_back(kAddedTokens);
  // transformers reads special_tokens_map.json and added_tokens.json only when tokenizer_config.json has
  // no added_tokens_decoder (its "legacy" branch); otherwise it ignores them, and so does uninlu.
  if (has_decoder) {
    for (const auto* file : {map ? kSpecialTokensMap : nullptr, added ? kAddedTokens : nullptr}) {
      if (file) {
        settings.warnings.push_back(std::string(file) + " is ignored: " + kTokenizerConfig +
                                    " has added_tokens_decoder (as transformers does)");
      }
    }
  } else {
    if (map) read_special_tokens(*map, map_file, settings, additional, configured);
    if (added) settings.added_tokens = read_added_tokens_json(*added, added_file, configured, additional);
  }
  // transformers adds the special tokens after the listed ones; those already listed keep their entry.
  for (auto& token : additional) {
    const bool listed = std::any_of(settings.added_tokens.begin(), settings.added_tokens.end(),
                                    [&](const AddedTokenSpec& t) { return t.content == token.content; });
    if (!listed) settings.added_tokens.push_back(std::move(token));
  }
  return settings;
}

TokenizerSettings load_tokenizer_settings(const std::string& directory) {
  const fs::path dir(directory);
  const auto read_if_present = [&](const char* name) -> json {
    std::error_code ec;
    return fs::is_regular_file(dir / name, ec) ? read_json_file(dir / name) : json(nullptr);
  };
  TokenizerFiles files{read_if_present(kTokenizerConfig), read_if_present(kSpecialTokensMap),
                       read_if_present(kAddedTokens), directory};
  TokenizerSettings settings = tokenizer_settings_from_json(files);
  std::error_code ec;
  if (fs::is_regular_file(dir / kTokenizerJson, ec)) {
    settings.warnings.push_back(std::string(kTokenizerJson) +
                                " is not read: uninlu builds the tokenizer from vocab.txt and the files above, as "
                                "transformers does without it; check that it describes the same tokenizer");
  }
  return settings;
}

nlohmann::ordered_json TokenizerSettings::to_json() const {
  using ojson = nlohmann::ordered_json;
  ojson added = ojson::array();
  for (const auto& token : added_tokens) {
    added.push_back({{"content", token.content},
                     {"id", token.id ? ojson(*token.id) : ojson(nullptr)},
                     {"special", token.special},
                     {"normalized", token.normalized}});
  }
  ojson out;
  out["files"] = files_read;
  out["tokenizer_class"] = tokenizer_class.empty() ? ojson(nullptr) : ojson(tokenizer_class);
  out["do_lower_case"] = do_lower_case;
  out["strip_accents"] = strip_accents ? ojson(*strip_accents) : ojson(nullptr);
  out["strip_accents_effective"] = effective_strip_accents();
  out["tokenize_chinese_chars"] = tokenize_chinese_chars;
  out["model_max_length"] = model_max_length ? ojson(*model_max_length) : ojson(nullptr);
  out["special_tokens"] = {{"unk_token", unk_token}, {"sep_token", sep_token}, {"pad_token", pad_token},
                           {"cls_token", cls_token}, {"mask_token", mask_token}};
  out["added_tokens"] = std::move(added);
  return out;
}

}  // namespace uninlu
