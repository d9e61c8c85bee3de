#pragma once
// Subcommands register themselves (one file each), so adding a command touches no shared file.
// A command adds its options to its CLI11 subcommand and returns the function that runs it; the
// function returns the process exit code. uninlu::Error escaping it is reported by main() with the
// error kind's exit code (2 for user errors, 3 for model loading, 1 otherwise).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace uninlu::cli {

using CommandRun = std::function<int()>;
using CommandSetup = std::function<CommandRun(CLI::App& sub)>;

struct CommandInfo {
  std::string name;
  std::string description;
  CommandSetup setup;
};

std::vector<CommandInfo>& command_registry();

struct RegisterCommand {
  RegisterCommand(std::string name, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace uninlu::cli
