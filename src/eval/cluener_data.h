#pragma once
// CLUENER2020 files (JSON lines: {"text": ..., "label": {type: {mention: [[start, end_inclusive], ...]}}})
// and the entity types an evaluation asks for, each with the prompt (schema key) the model is given.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "eval/entity_metrics.h"

namespace uninlu::eval {

struct EntityType {
  std::string name;    // the label's type, e.g. "address"
  std::string prompt;  // the schema key, e.g. "地址"
};

// The 10 CLUENER types with the Chinese prompts the shipped model was trained with, in schema order:
// address 地址, book 书名, company 公司, game 游戏, government 政府, movie 电影, name 姓名,
// organization 组织机构, position 职位, scene 景点.
std::vector<EntityType> cluener_types();

// "address=地址,book=书名,...": Error(Usage) for an item without '=', an empty name or prompt, a name
// or a prompt given twice, or an empty list.
std::vector<EntityType> parse_type_spec(std::string_view spec);

struct CluenerExample {
  std::size_t line = 0;  // 1-based line number in the file
  std::string text;
  std::set<Entity> gold;
};

// One line. Error(InvalidInput) naming the line for: not JSON, not an object, no string "text", no
// "label" object (CLUENER's test split has none), a type not in `types`, a span that is not
// [start, end_inclusive] inside the text, or a span whose text is not its mention.
CluenerExample parse_cluener_line(std::string_view line, std::size_t line_no, const std::vector<EntityType>& types);

// Every non-blank line (at most `limit` when limit > 0). Error(Usage) when the file cannot be opened.
std::vector<CluenerExample> read_cluener_file(const std::string& path, const std::vector<EntityType>& types,
                                              std::size_t limit = 0);

}  // namespace uninlu::eval
