// The model's name in the v2 routes: --model-name / model_name, else the model directory's name.
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

}  // namespace
}  // namespace uninlu
