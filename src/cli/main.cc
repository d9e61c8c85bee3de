// uninlu: one binary, several subcommands (serve, predict, tokenize, info, eval, bench).
#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "core/error.h"

namespace uninlu::cli {

std::vector<CommandInfo>& command_registry() {
  static std::vector<CommandInfo> registry;
  return registry;
}

}  // namespace uninlu::cli

int main(int argc, char** argv) {
  using namespace uninlu;
  CLI::App app{"uninlu: a native inference server for SiameseUniNLU"};
  app.set_version_flag("--version", std::string(UNINLU_VERSION));
  app.require_subcommand(1);

  auto& registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<CLI::App*, cli::CommandRun> runners;
  for (auto& command : registry) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    runners[sub] = command.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code(ErrorKind::Usage);
  }

  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
