// `uninlu tokenize`: token ids and code-point offsets, one JSON line per input, for checking the
// tokenizer against Hugging Face's (tools/oracle/run_parity.sh) and for debugging prompts.
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "core/utf8.h"
#include "text/bert_tokenizer.h"
#include "text/tokenizer_settings.h"

namespace uninlu::cli {

namespace {

struct TokenizeOptions {
  std::string vocab_path;
  std::string model_dir;  // vocab.txt and the tokenizer files of a model directory (no weights read)
  std::optional<std::string> text;
  bool jsonl = false;
  std::size_t max_length = 0;  // 0: no truncation
};

void append_int(std::string& out, std::int32_t value) {
  char buffer[16];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_encoding(std::string& out, const Encoding& enc) {
  out += "{\"ids\": [";
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (i) out += ", ";
    append_int(out, enc.ids[i]);
  }
  out += "], \"offsets\": [";
  for (std::size_t i = 0; i < enc.size(); ++i) {
    out += i ? ", [" : "[";
    append_int(out, enc.offsets[i].first);
    out += ", ";
    append_int(out, enc.offsets[i].second);
    out += ']';
  }
  out += "]}\n";
}

std::string line_label(std::size_t line_number) { return "input line " + std::to_string(line_number); }

// With --jsonl a line is a JSON string literal, so an input can hold \n, \r or U+2028.
std::string decode_input_line(const std::string& line, bool jsonl, std::size_t line_number) {
  if (!jsonl) {
    if (!is_valid_utf8(line)) fail(ErrorKind::InvalidInput, line_label(line_number) + " is not valid UTF-8");
    return line;
  }
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
    fail(ErrorKind::InvalidInput, line_label(line_number) + " is not a JSON string literal: " + e.what());
  }
  if (!value.is_string()) {
    fail(ErrorKind::InvalidInput, line_label(line_number) + " is JSON " + value.type_name() + ", not a string");
  }
  return value.get<std::string>();
}

BertTokenizer make_tokenizer(const TokenizeOptions& options) {
  if (options.vocab_path.empty() && options.model_dir.empty()) fail(ErrorKind::Usage, "tokenize needs --vocab or --model");
  if (options.model_dir.empty()) return BertTokenizer(std::make_shared<const Vocab>(Vocab::load(options.vocab_path)));
  const std::string vocab_path = options.vocab_path.empty() ? options.model_dir + "/vocab.txt" : options.vocab_path;
  return BertTokenizer(std::make_shared<const Vocab>(Vocab::load(vocab_path)), load_tokenizer_settings(options.model_dir));
}

int run_tokenize(const TokenizeOptions& options) {
  const BertTokenizer tokenizer = make_tokenizer(options);
  const auto encode = [&](const std::string& text) {
    return options.max_length ? tokenizer.encode_truncated(text, options.max_length) : tokenizer.encode(text);
  };

  std::string out;
  const auto flush = [&] {
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  };
  if (options.text) {
    const std::string text = decode_input_line(*options.text, options.jsonl, 1);
    append_encoding(out, encode(text));
    flush();
    return 0;
  }

  std::ios::sync_with_stdio(false);
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    try {
      append_encoding(out, encode(decode_input_line(line, options.jsonl, line_number)));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::InvalidInput) throw;
      flush();  // the lines before the bad one stay usable
      const std::string message = e.what();
      fail(ErrorKind::InvalidInput, message.starts_with("input line") ? message : line_label(line_number) + ": " + message);
    }
    if (out.size() > (1u << 16)) flush();
  }
  flush();
  return 0;
}

const RegisterCommand kRegisterTokenize{
    "tokenize", "Print token ids and code-point offsets (JSON lines) for each input line",
    [](CLI::App& sub) -> CommandRun {
      auto options = std::make_shared<TokenizeOptions>();
      sub.add_option("--vocab", options->vocab_path, "WordPiece vocabulary (vocab.txt)");
      sub.add_option("--model", options->model_dir,
                                   "model directory: its vocab.txt (unless --vocab) and tokenizer files "
                                   "(tokenizer_config.json, special_tokens_map.json, added_tokens.json)");
      sub.add_option("--text", options->text, "Tokenize this text instead of reading lines from stdin");
      sub.add_flag("--jsonl", options->jsonl, "Each input line (or --text) is a JSON string literal");
      sub.add_option("--max-length", options->max_length,
                     "Truncate to this many tokens including [CLS] and [SEP] (0: no truncation)");
      return [options] { return run_tokenize(*options); };
    }};

}  // namespace

}  // namespace uninlu::cli
