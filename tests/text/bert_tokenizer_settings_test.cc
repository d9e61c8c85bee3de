// BertTokenizer under the settings a model directory's tokenizer files give. Every expectation is the Rust
// tokenizers library's output for a tokenizer.json with the same settings (tools/oracle/tokenizer_json.js;
// tools/oracle/settings_parity.js checks thousands more strings per setting).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/mapped_file.h"
#include "text/bert_tokenizer.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;

const std::string kVocabPath = UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt";

std::shared_ptr<const Vocab> bert_vocab() {
  static const auto vocab = std::make_shared<const Vocab>(Vocab::load(kVocabPath));
  return vocab;
}

// bert-base-chinese with its special tokens renamed (same ids).
std::shared_ptr<const Vocab> renamed_vocab() {
  const std::map<std::string, std::string> renamed = {
      {"[UNK]", "<unk>"}, {"[CLS]", "<s>"}, {"[SEP]", "</s>"}, {"[PAD]", "<pad>"}};
  std::string text;
  for (const auto& token : bert_vocab()->tokens()) {
    const auto it = renamed.find(token);
    text += (it == renamed.end() ? token : it->second) + "\n";
  }
  return std::make_shared<const Vocab>(Vocab::from_string(text, "renamed"));
}

// "id(begin,end)" per token.
std::string encode(const BertTokenizer& tokenizer, const std::string& text) {
  const Encoding enc = tokenizer.encode(text);
  std::string out;
  for (std::size_t i = 0; i < enc.size(); ++i) {
    out += (i ? " " : "") + std::to_string(enc.ids[i]) + "(" + std::to_string(enc.offsets[i].first) + "," +
           std::to_string(enc.offsets[i].second) + ")";
  }
  return out;
}

std::string load_error(const std::shared_ptr<const Vocab>& vocab, const TokenizerSettings& settings) {
  try {
    BertTokenizer tokenizer(vocab, settings);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected Error(ModelLoad)";
  return {};
}

TEST(BertTokenizerSettings, NoLowercaseAlsoKeepsAccentsUnlessStripAccentsIsSet) {
  const BertTokenizer cased(bert_vocab(), {.do_lower_case = false});
  EXPECT_EQ(encode(cased, "A \u00e9"), "101(0,0) 100(0,1) 100(2,3) 102(0,0)");
  const BertTokenizer cased_strip(bert_vocab(), {.do_lower_case = false, .strip_accents = true});
  EXPECT_EQ(encode(cased_strip, "A \u00e9"), "101(0,0) 100(0,1) 147(2,3) 102(0,0)");
  const BertTokenizer lower_keep(bert_vocab(), {.do_lower_case = true, .strip_accents = false});
  EXPECT_EQ(encode(lower_keep, "A \u00e9"), "101(0,0) 143(0,1) 100(2,3) 102(0,0)");
  EXPECT_EQ(encode(lower_keep, "Caf\u00e9 ABC"), "101(0,0) 100(0,4) 8425(5,8) 102(0,0)");
}

TEST(BertTokenizerSettings, WithoutChineseCharHandlingIdeographsFormWords) {
  const BertTokenizer tokenizer(bert_vocab(), {.tokenize_chinese_chars = false});
  EXPECT_EQ(encode(tokenizer, "\u4e2d\u56fd\u4eba" "a"), "101(0,0) 704(0,1) 14801(1,2) 13839(2,3) 8139(3,4) 102(0,0)");
}

TEST(BertTokenizerSettings, AddedTokens) {
  TokenizerSettings settings;
  settings.added_tokens = {{"<new>", 21128, false, true}, {"HeLLo\u4e16\u754c", std::nullopt, false, true},
                           {"<sp>", std::nullopt, true, false}};
  const BertTokenizer tokenizer(bert_vocab(), settings);
  EXPECT_EQ(tokenizer.id_count(), 21131u);
  EXPECT_EQ(encode(tokenizer, "a<new>b"), "101(0,0) 143(0,1) 21128(1,6) 144(6,7) 102(0,0)");
  // Normalized tokens match after lowercasing and accent stripping; their pattern is normalized too.
  EXPECT_EQ(encode(tokenizer, "x<NEW>y"), "101(0,0) 166(0,1) 21128(1,6) 167(6,7) 102(0,0)");
  EXPECT_EQ(encode(tokenizer, "HELLO\u4e16\u754c!"), "101(0,0) 21129(0,7) 106(7,8) 102(0,0)");
  EXPECT_EQ(encode(tokenizer, "Caf\u00e9<new>"), "101(0,0) 8377(0,4) 21128(4,9) 102(0,0)");
  // Special tokens match the raw text only.
  EXPECT_EQ(encode(tokenizer, "<sp>a<SP>"), "101(0,0) 21130(0,4) 143(4,5) 133(5,6) 9716(6,8) 135(8,9) 102(0,0)");
}

TEST(BertTokenizerSettings, AnAddedTokenWithTheWrongIdIsRefused) {
  TokenizerSettings settings;
  settings.added_tokens = {{"<new>", 21130, false, true}};
  EXPECT_THAT(load_error(bert_vocab(), settings),
              HasSubstr("added token \"<new>\" has id 21130 in the tokenizer files, but it is not in vocab.txt, so it "
                        "gets the next free id, 21128"));
  settings.added_tokens = {{"[unused1]", 7, true, false}};
  EXPECT_THAT(load_error(bert_vocab(), settings), HasSubstr("vocab.txt holds it as id 1"));
}

TEST(BertTokenizerSettings, RenamedSpecialTokens) {
  TokenizerSettings settings;
  settings.unk_token = "<unk>";
  settings.cls_token = "<s>";
  settings.sep_token = "</s>";
  settings.pad_token = "<pad>";
  const BertTokenizer tokenizer(renamed_vocab(), settings);
  EXPECT_EQ(tokenizer.cls_id(), 101);
  EXPECT_EQ(tokenizer.sep_id(), 102);
  EXPECT_EQ(tokenizer.unk_id(), 100);
  EXPECT_EQ(encode(tokenizer, "a<s>b"), "101(0,0) 143(0,1) 101(1,4) 144(4,5) 102(0,0)");
  // "[UNK]" is ordinary text now; an unknown word is <unk>.
  EXPECT_EQ(encode(tokenizer, "[UNK] \u2603\u2603x"),
            "101(0,0) 138(0,1) 163(1,2) 9705(2,4) 140(4,5) 100(6,9) 102(0,0)");
  EXPECT_EQ(encode(tokenizer, "</s>"), "101(0,0) 102(0,4) 102(0,0)");
}

TEST(BertTokenizerSettings, ASpecialTokenMissingFromTheVocabularyIsNamed) {
  TokenizerSettings settings;
  settings.unk_token = "<unk>";
  EXPECT_THAT(load_error(bert_vocab(), settings),
              HasSubstr("unk_token \"<unk>\" is not in the vocabulary (vocab.txt); WordPiece needs it there"));
  settings = {};
  settings.cls_token = "<s>";
  EXPECT_THAT(load_error(bert_vocab(), settings), HasSubstr("cls_token \"<s>\" is not in the vocabulary"));
  // Even as an added token: transformers would give it an id past the embedding table.
  settings.added_tokens = {{"<s>", std::nullopt, true, false}};
  EXPECT_THAT(load_error(bert_vocab(), settings), HasSubstr("cls_token \"<s>\" is not in the vocabulary"));
  settings = {};
  settings.mask_token = "<mask>";
  settings.mask_token_configured = true;
  EXPECT_THAT(load_error(bert_vocab(), settings), HasSubstr("mask_token \"<mask>\""));
  // The default vocabulary without [PAD]: the old Vocab check, now the tokenizer's.
  const auto no_pad = std::make_shared<const Vocab>(Vocab::from_string("[UNK]\n[CLS]\n[SEP]\nx\n", "v"));
  EXPECT_THAT(load_error(no_pad, {}), HasSubstr("pad_token \"[PAD]\" is not in the vocabulary"));
}

}  // namespace
}  // namespace uninlu
