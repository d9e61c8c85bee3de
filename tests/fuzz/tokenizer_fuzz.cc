// The tokenizer on bert-base-chinese's vocabulary (data/vocab, the one the tests share), as requests
// reach it: any bytes (invalid UTF-8 is refused with InvalidInput), full and truncated. Checks what the
// pipeline relies on: ids below id_count(), offsets inside the text and not going backwards, [CLS] ...
// [SEP] around, and truncation keeping a prefix of the full encoding.
#include <cstdint>
#include <memory>

#include "core/utf8.h"
#include "fuzz_support.h"
#include "text/bert_tokenizer.h"

#ifndef UNINLU_SOURCE_DIR
#error "UNINLU_SOURCE_DIR must name the source tree (the vocabulary is data/vocab/bert-base-chinese-vocab.txt)"
#endif

namespace {

const uninlu::BertTokenizer& tokenizer() {
  static const uninlu::BertTokenizer instance(std::make_shared<const uninlu::Vocab>(
      uninlu::Vocab::load(UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt")));
  return instance;
}

void check(const uninlu::Encoding& e, std::int32_t chars, const uninlu::BertTokenizer& t) {
  using uninlu::fuzz::finding;
  if (e.ids.size() != e.offsets.size()) finding("ids and offsets differ in length");
  if (e.size() < 2 || e.ids.front() != t.cls_id() || e.ids.back() != t.sep_id()) finding("no [CLS] ... [SEP]");
  std::int32_t last_begin = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e.ids[i] < 0 || static_cast<std::size_t>(e.ids[i]) >= t.id_count()) finding("id out of range");
    const auto [begin, end] = e.offsets[i];
    if (i == 0 || i + 1 == e.size()) continue;
    if (begin < 0 || begin > end || end > chars) {
      finding("token " + std::to_string(i) + " has offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
              ") in a text of " + std::to_string(chars) + " code points");
    }
    if (begin < last_begin) finding("offsets go backwards at token " + std::to_string(i));
    last_begin = begin;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = uninlu::fuzz::as_view(data, size);
  uninlu::fuzz::expect_refusals_only(
      [&] {
        const uninlu::BertTokenizer& t = tokenizer();
        const uninlu::Encoding full = t.encode(text);
        const auto chars = static_cast<std::int32_t>(uninlu::decode_utf8(text).size());
        check(full, chars, t);
        const uninlu::Encoding cut = t.encode_truncated(text, 16);
        check(cut, chars, t);
        if (cut.size() > 16 || (full.size() <= 16 && cut.ids != full.ids)) {
          uninlu::fuzz::finding("encode_truncated(16) gave " + std::to_string(cut.size()) + " tokens");
        }
        for (std::size_t i = 1; i + 1 < cut.size(); ++i) {
          if (cut.ids[i] != full.ids[i]) uninlu::fuzz::finding("truncation is not a prefix");
        }
      },
      {uninlu::ErrorKind::InvalidInput});
  return 0;
}
