// Reading CLUENER lines and the --types mapping; turning pipeline results into entities.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "eval/cluener_data.h"
#include "eval/cluener_eval.h"

namespace uninlu::eval {
namespace {

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return ErrorKind::Internal;
}

TEST(CluenerTypes, TenTypesWithTheirPromptsInSchemaOrder) {
  const auto types = cluener_types();
  ASSERT_EQ(types.size(), 10u);
  EXPECT_EQ(types[0].name, "address");
  EXPECT_EQ(types[0].prompt, "地址");
  EXPECT_EQ(types[7].name, "organization");
  EXPECT_EQ(types[7].prompt, "组织机构");
  EXPECT_EQ(schema_for(types).dump(),
            R"({"地址":null,"书名":null,"公司":null,"游戏":null,"政府":null,"电影":null,"姓名":null,)"
            R"("组织机构":null,"职位":null,"景点":null})");
}

TEST(TypeSpec, ParsesAndTrims) {
  const auto t = parse_type_spec("name=人物, address = 地点");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "name");
  EXPECT_EQ(t[0].prompt, "人物");
  EXPECT_EQ(t[1].name, "address");
  EXPECT_EQ(t[1].prompt, "地点");
}

TEST(TypeSpec, Errors) {
  for (const char* bad : {"", "name", "name=", "=人物", "name=人物,", "name=人物,name=姓名", "a=人物,b=人物"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(kind_of([&] { parse_type_spec(bad); }), ErrorKind::Usage);
  }
}

TEST(CluenerLine, GoldEntitiesInCodePoints) {
  // Offsets are code points, not bytes: 叶老桂 starts at character 9.
  const auto ex = parse_cluener_line(
      R"({"text": "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。", "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}}})",
      7, cluener_types());
  EXPECT_EQ(ex.line, 7u);
  const std::set<Entity> want = {{"company", 0, 3}, {"name", 9, 11}};
  EXPECT_EQ(ex.gold, want);
}

TEST(CluenerLine, RepeatedMentionAndEmptyLabel) {
  const auto ex = parse_cluener_line(R"({"text": "日本和日本", "label": {"address": {"日本": [[0, 1], [3, 4]]}}})", 1,
                                     cluener_types());
  EXPECT_EQ(ex.gold.size(), 2u);
  EXPECT_TRUE(parse_cluener_line(R"({"text": "无", "label": {}})", 1, cluener_types()).gold.empty());
}

TEST(CluenerLine, ClearErrors) {
  const auto types = cluener_types();
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {R"({"label": {}})", "\"text\""},
      {R"({"id": 3, "text": "abc"})", "no \"label\""},
      {R"({"text": "abc", "label": {"person": {"a": [[0, 0]]}}})", "'person'"},
      {R"({"text": "abc", "label": {"name": {"bc": [[1, 3]]}}})", "outside the text"},
      {R"({"text": "abc", "label": {"name": {"bc": [[2, 1]]}}})", "outside the text"},
      {R"({"text": "abc", "label": {"name": {"bc": [[0, 1]]}}})", "not the mention"},
      {R"({"text": "abc", "label": {"name": {"bc": [1, 2]}}})", "[start, end_inclusive]"},
      {R"({"text": "abc", "label": {"name": {"bc": [[-1, 2]]}}})", "[start, end_inclusive]"},
      {R"({"text": "abc", "label": {"name": ["bc"]}})", "map mentions"},
  };
  for (const auto& [line, needle] : cases) {
    SCOPED_TRACE(line);
    std::string msg;
    EXPECT_EQ(kind_of([&] { parse_cluener_line(line, 12, types); }, &msg), ErrorKind::InvalidInput);
    EXPECT_NE(msg.find("line 12"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(CluenerFile, SkipsBlankLinesHonoursLimitAndReportsMissingFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "uninlu_eval_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "data.json").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"text": "张三", "label": {"name": {"张三": [[0, 1]]}}})" << "\n\n"
      << R"({"text": "李四", "label": {"name": {"李四": [[0, 1]]}}})" << "\n"
      << "not json\n";
  }
  const auto two = read_cluener_file(path, cluener_types(), 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].line, 3u);
  std::string msg;
  EXPECT_EQ(kind_of([&] { read_cluener_file(path, cluener_types()); }, &msg), ErrorKind::InvalidInput);
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
  EXPECT_EQ(kind_of([&] { read_cluener_file((dir / "missing.json").string(), cluener_types()); }, &msg), ErrorKind::Usage);
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  EXPECT_EQ(kind_of([&] { read_cluener_file(dir.string(), cluener_types()); }), ErrorKind::Usage);
  std::filesystem::remove_all(dir);
}

TEST(ChainsToEntities, PromptBackToTypeAndOffsetToInclusiveEnd) {
  const std::vector<ResultChain> chains = {{{"姓名", "叶老桂", 9, 12}}, {{"公司", "浙商银行", 0, 4}}};
  const auto got = chains_to_entities(chains, cluener_types());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Entity{"name", 9, 11}));
  EXPECT_EQ(got[1], (Entity{"company", 0, 3}));
  EXPECT_THROW(chains_to_entities({{{"人物", "x", 0, 1}}}, cluener_types()), Error);
}

}  // namespace
}  // namespace uninlu::eval
