// The models a server serves and their names (in /v2/models/{name} and /api/predict's "model"):
// --model [NAME=]PATH (repeatable), "models" or "model_path"; --model-name names the first; otherwise a
// model is named after its directory.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "http/server_config.h"

namespace uninlu {
namespace {

ServerConfig resolve(const std::string& args) {
  CLI::App app;
  ServeFlags flags;
  flags.add_to(app);
  app.parse(args, false);
  return resolve_server_config(flags);
}

TEST(ModelName, IsTheDirectoryNameByDefault) {
  EXPECT_EQ(model_name_of("/srv/models/uninlu"), "uninlu");
  EXPECT_EQ(model_name_of("/srv/models/siamese-uie/"), "siamese-uie");
  EXPECT_EQ(model_name_of("models/a/.."), "models");
  EXPECT_EQ(model_name_of("/"), "uninlu");
  EXPECT_EQ(model_name_of("."), "uninlu");
  EXPECT_EQ(resolve("--model /mnt/models").http.model_name, "models");
}

TEST(ModelName, FlagAndConfigKeySetIt) {
  EXPECT_EQ(resolve("--model /mnt/models --model-name uie").http.model_name, "uie");
  ServerConfig config;
  apply_config_json(nlohmann::ordered_json{{"model_name", "ner"}}, "test.json", config);
  finalize_server_config(config);
  EXPECT_EQ(config.http.model_name, "ner");
  EXPECT_EQ(http_options_json(config.http)["model_name"], "ner");  // shown by GET /info
}

TEST(Models, RepeatedModelFlagsServeSeveralTheFirstTheDefault) {
  const ServerConfig config = resolve("--model ner=/srv/a --model /srv/siamese-uie");
  ASSERT_EQ(config.models.size(), 2u);
  EXPECT_EQ(config.models[0].name, "ner");
  EXPECT_EQ(config.models[0].path, "/srv/a");
  EXPECT_EQ(config.models[1].name, "siamese-uie");
  EXPECT_EQ(config.models[1].path, "/srv/siamese-uie");
  EXPECT_EQ(config.service.model_path, "/srv/a");
  EXPECT_EQ(config.http.model_name, "ner");
  EXPECT_EQ(resolve("--model /srv/a --model /srv/b --model-name first").models[0].name, "first");
}

TEST(Models, NameEqualsPathOnlyWhenTheNameIsOne) {
  EXPECT_EQ(parse_model_spec("uie=/srv/m").name, "uie");
  EXPECT_EQ(parse_model_spec("/srv/a=b").name, "");  // a path with '=' in it
  EXPECT_EQ(parse_model_spec("/srv/a=b").path, "/srv/a=b");
  EXPECT_EQ(parse_model_spec("x=").path, "x=");
}

TEST(Models, ConfigFileListsThem) {
  ServerConfig config;
  apply_config_json(nlohmann::ordered_json::parse(R"({"models": [{"name": "a", "path": "/x"}, "b=/y", "/srv/z"]})"),
                    "test.json", config);
  finalize_server_config(config);
  ASSERT_EQ(config.models.size(), 3u);
  EXPECT_EQ(config.models[0].name, "a");
  EXPECT_EQ(config.models[1].name, "b");
  EXPECT_EQ(config.models[2].name, "z");
}

TEST(Models, MistakesAreUsageErrorsThatSayWhatToDo) {
  const auto usage_error = [](const std::string& args, const std::string& words) {
    try {
      resolve(args);
      ADD_FAILURE() << "no error for " << args;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << args;
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  usage_error("--model /a/m --model /b/m", R"(two models are named "m" (/a/m and /b/m))");
  usage_error("--model /a/m --model-name 'a b'", R"(invalid model name "a b")");
  for (const char* bad : {R"({"models": []})", R"({"models": "/x"})", R"({"models": [{"name": "a"}]})",
                          R"({"models": [{"name": 1, "path": "/x"}]})", R"({"models": [""]})"}) {
    ServerConfig config;
    EXPECT_THROW(apply_config_json(nlohmann::ordered_json::parse(bad), "test.json", config), Error) << bad;
  }
}

}  // namespace
}  // namespace uninlu
