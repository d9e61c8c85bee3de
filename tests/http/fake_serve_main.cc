// uninlu_fake_serve: `uninlu serve` with the fake Service, for running tests/integration without a model.
// UNINLU_FAKE_MS_PER_CHAR sets its latency per character of text (default 0.2: a 10000-character text
// takes 2 s, long enough to be in flight when a test sends SIGTERM).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"
#include "fake_service.h"
#include "http/serve_app.h"
#include "http/server_config.h"

int main(int argc, char** argv) {
  using namespace uninlu;
  CLI::App app{"uninlu serve with a fake model (tests only)"};
  app.require_subcommand(1);
  ServeFlags flags;
  flags.add_to(*app.add_subcommand("serve", "serve the HTTP API"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : exit_code(ErrorKind::Usage);
  }
  const char* latency = std::getenv("UNINLU_FAKE_MS_PER_CHAR");
  testing::FakeService::Options options;
  options.ms_per_char = latency != nullptr ? std::atof(latency) : 0.2;
  try {
    return run_serve(flags, [&](const ServiceOptions& service_options) {
      options.limits = service_options.limits;
      options.model_name = service_options.model_name;
      return std::make_unique<testing::FakeService>(options);
    });
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return exit_code(e.kind());
  }
}
