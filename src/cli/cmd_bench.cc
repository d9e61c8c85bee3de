// uninlu bench: a load generator for POST /api/predict (docs/benchmarks.md).
//   uninlu bench --url http://127.0.0.1:7860 --connections 1,4,64 --duration 10
//   uninlu bench --url https://uninlu.example:7860 --cacert ca.pem
//   uninlu bench --model DIR --cpu-precision int8 --rate 50,100 --arrivals poisson
// Without --url the InferenceService and the HTTP server run inside this process on a loopback port
// (--transport direct calls Service::predict instead, without HTTP); every `uninlu serve` flag applies.
#include <sched.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "bench/in_process.h"
#include "bench/load_generator.h"
#include "bench/process_stats.h"
#include "bench/report.h"
#include "bench/request_source.h"
#include "bench/transport.h"
#include "cli/command.h"
#include "core/error.h"
#include "http/server_config.h"
#include "serving/metrics.h"

namespace uninlu::cli {
namespace {

struct BenchArgs {
  std::string url;
  std::string cacert;
  bool insecure = false;
  std::string transport = "http";
  std::string connections = "8";
  std::string rates;
  std::string arrivals = "poisson";
  double duration_s = 10;
  double warmup_s = 2;
  std::string text = bench::kSeedText;
  std::string schema = bench::kSeedSchema;
  std::string input;
  bool json = false;
  std::string json_out;
  std::string client_cpus;
  std::string server_cpus;
  int server_pid = 0;
  std::uint64_t seed = 1;
  int timeout_ms = 30000;
};

std::vector<double> parse_number_list(const std::string& text, const char* flag) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (part.empty()) continue;
    try {
      std::size_t used = 0;
      const double v = std::stod(part, &used);
      if (used != part.size() || !(v > 0)) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      fail(ErrorKind::Usage, std::string("invalid ") + flag + " \"" + text + "\": expected positive numbers like 1,4,64");
    }
  }
  if (out.empty()) fail(ErrorKind::Usage, std::string("invalid ") + flag + ": empty");
  return out;
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void pin_process_thread(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) fail(ErrorKind::Usage, "--server-cpu: cannot pin to those CPUs");
}

std::string server_description(const ServerConfig& c) {
  std::ostringstream out;
  out << "in process, device " << c.service.device << ", cpu " << precision_name(c.service.cpu_precision) << ", threads "
      << (c.service.cpu_threads == 0 ? std::string("all") : std::to_string(c.service.cpu_threads))
      << ", dynamic batching " << (c.service.scheduler.dynamic_batching ? "on" : "off") << ", max_batch_tokens "
      << c.service.scheduler.max_batch_tokens << ", max_wait "
      << static_cast<double>(c.service.scheduler.max_wait.count()) / 1000.0 << " ms, model " << c.service.model_path;
  return out.str();
}

int run_bench(const BenchArgs& args, const ServeFlags& serve_flags, CLI::App& sub) {
  // Flags of `uninlu serve` configure the in-process server; with --url they would be silently unused.
  std::vector<std::string> own = {"--url", "--cacert", "--insecure", "--transport", "--connections", "--rate", "--arrivals", "--duration",
                                  "--warmup", "--text", "--schema", "--input", "--json", "--json-out",
                                  "--client-cpu", "--server-cpu", "--server-pid", "--seed", "--timeout-ms"};
  const auto given = [&](const std::string& name) {
    const CLI::Option* o = sub.get_option_no_throw(name);
    return o != nullptr && o->count() > 0;
  };
  if (!args.url.empty()) {
    for (const CLI::Option* o : sub.get_options()) {
      if (o->count() == 0 || o->get_name().empty() || o->get_name() == "--help") continue;
      if (std::find(own.begin(), own.end(), o->get_name()) == own.end()) {
        fail(ErrorKind::Usage, o->get_name() + " configures the in-process server; it cannot be used with --url");
      }
    }
    if (args.transport != "http") fail(ErrorKind::Usage, "--transport direct needs the in-process server (no --url)");
    if (!args.server_cpus.empty()) fail(ErrorKind::Usage, "--server-cpu pins the in-process server (no --url)");
  }
  if (args.transport != "http" && args.transport != "direct") {
    fail(ErrorKind::Usage, "invalid --transport \"" + args.transport + "\": must be http or direct");
  }
  if (!args.input.empty() && (given("--text") || given("--schema"))) {
    fail(ErrorKind::Usage, "give either --input FILE or --text/--schema");
  }
  auto bodies = std::make_shared<bench::RequestBodies>(args.input.empty() ? bench::bodies_from_text(args.text, args.schema)
                                                                          : bench::bodies_from_file(args.input));
  const std::vector<double> connection_list = parse_number_list(args.connections, "--connections");
  const std::vector<double> rate_list = args.rates.empty() ? std::vector<double>{} : parse_number_list(args.rates, "--rate");
  const auto arrivals = bench::parse_arrival_kind(args.arrivals);
  const std::vector<int> client_cpus = args.client_cpus.empty() ? std::vector<int>{} : bench::parse_cpu_list(args.client_cpus);

  bench::BenchContext context;
  context.machine = bench::machine_info();
  context.requests = bodies->origin;
  context.transport = args.transport;

  std::unique_ptr<bench::InProcessServer> local;
  bench::TransportFactory transport;
  bench::PhaseHooks hooks;
  int server_pid = 0;
  bench::HttpTarget target;
  if ((!args.cacert.empty() || args.insecure) && args.url.rfind("https://", 0) != 0) {
    fail(ErrorKind::Usage, std::string(args.insecure ? "--insecure" : "--cacert") + " is for an https:// --url" +
                               (args.url.empty() ? " (the in-process server is trusted without it)" : ""));
  }
  if (!args.cacert.empty() && args.insecure) fail(ErrorKind::Usage, "give either --cacert or --insecure");
  if (!args.url.empty()) {
    target = bench::parse_url(args.url);
    target.ca_file = args.cacert;
    target.insecure = args.insecure;
    context.target = args.url;
    try {
      bench::http_get(target, "/health");
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Usage) throw;  // --cacert unusable: not the server's fault
      fail(ErrorKind::Io, std::string("no server answers at ") + args.url + ": " + e.what());
    }
    transport = bench::http_transport(target, bodies);
    hooks.scrape_metrics = [target] {
      try {
        return bench::http_get(target, "/metrics");
      } catch (const Error&) {
        return std::string();
      }
    };
    server_pid = args.server_pid != 0 ? args.server_pid : is_loopback(target.host) ? bench::find_listening_pid(target.port) : 0;
    if (server_pid != 0) {
      hooks.server_cpu_seconds = [server_pid] { return bench::process_cpu_seconds(server_pid); };
      context.server = "pid " + std::to_string(server_pid);
    }
  } else {
    ServerConfig config = resolve_server_config(serve_flags);
    if (!given("--access-log")) config.http.access_log = "";  // an access log line per request would cost the server
    if (!given("--log-level")) config.log_level = "warn";
    if (!spdlog::get("uninlu")) {
      auto logger = spdlog::stderr_color_mt("uninlu");
      spdlog::set_default_logger(logger);
    }
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    if (!args.server_cpus.empty()) pin_process_thread(bench::parse_cpu_list(args.server_cpus));
    context.server = server_description(config);
    const std::chrono::milliseconds timeout(args.timeout_ms);
    local = std::make_unique<bench::InProcessServer>(config, args.transport == "http");
    if (local->has_http()) {
      target = local->target();
      // With --tls-cert the in-process server speaks HTTPS; it is our own, so its certificate is not checked.
      target.tls = config.http.tls_enabled();
      target.insecure = target.tls;
      transport = bench::http_transport(target, bodies);
      context.target = std::string("in-process ") + (target.tls ? "https" : "http") +
                       "://127.0.0.1:" + std::to_string(target.port);
    } else {
      transport = bench::direct_transport(local->service(), bodies, timeout);
      context.target = "in-process Service::predict";
    }
    Service* service = &local->service();
    hooks.scrape_metrics = [service] { return service->metrics().serialize(); };
    hooks.server_cpu_seconds = [] { return bench::process_cpu_seconds(0); };
    hooks.server_cpu_includes_client = true;
  }

  std::vector<bench::PhaseSpec> specs;
  const auto base = [&] {
    bench::PhaseSpec s;
    s.duration_s = args.duration_s;
    s.warmup_s = args.warmup_s;
    s.seed = args.seed;
    s.client_cpus = client_cpus;
    s.arrivals = arrivals;
    return s;
  };
  if (rate_list.empty()) {
    for (double c : connection_list) {
      bench::PhaseSpec s = base();
      s.connections = static_cast<int>(c);
      specs.push_back(s);
    }
  } else {
    for (double r : rate_list) {
      bench::PhaseSpec s = base();
      s.open_loop = true;
      s.rate = r;
      s.connections = static_cast<int>(connection_list.front());
      specs.push_back(s);
    }
  }

  std::vector<bench::PhaseResult> results;
  for (const auto& spec : specs) {
    if (!args.json) std::fprintf(stderr, "bench: %s for %.0f s (+%.0f s warm-up)...\n", bench::phase_label(spec).c_str(),
                                 spec.duration_s, spec.warmup_s);
    results.push_back(bench::run_phase(spec, transport, hooks));
  }

  if (local) {
    context.server_memory = bench::read_proc_memory(0);
    context.memory_source = "this process (server and client in process)";
  } else if (server_pid != 0) {
    context.server_memory = bench::read_proc_memory(server_pid);
    context.memory_source = "/proc/" + std::to_string(server_pid) + "/status";
  } else {
    try {
      const auto health = nlohmann::json::parse(bench::http_get(target, "/health"));
      double rss = 0;
      for (const auto& d : health.value("devices", nlohmann::json::array())) rss += d.value("memory_used_bytes", 0.0);
      if (rss > 0) {
        context.server_memory = bench::ProcMemory{rss, rss};
        context.memory_source = "/health memory_used_bytes (current RSS, not the peak)";
      }
    } catch (const std::exception&) {
      // no memory figure
    }
  }

  const auto json = bench::report_json(context, results);
  if (!args.json_out.empty()) {
    std::ofstream out(args.json_out);
    if (!out) fail(ErrorKind::Io, "cannot write --json-out " + args.json_out);
    out << json.dump(2) << "\n";
  }
  if (args.json) {
    std::cout << json.dump(2) << std::endl;
  } else {
    std::cout << bench::report_table(context, results) << std::flush;
  }
  local.reset();
  for (const auto& r : results) {
    if (r.failed > 0 || r.unsent > 0) return 1;
  }
  return 0;
}

const RegisterCommand kRegister(
    "bench", "Load-test POST /api/predict (closed or open loop) against a server or in process", [](CLI::App& sub) {
      auto args = std::make_shared<BenchArgs>();
      auto serve_flags = std::make_shared<ServeFlags>();
      sub.add_option("--url", args->url,
                     "a running server, e.g. http://127.0.0.1:7860 or https://host:7860 (default: start one in process)");
      sub.add_option("--cacert", args->cacert, "https: trust this PEM CA bundle (default: the system's CAs)");
      sub.add_flag("--insecure", args->insecure, "https: do not check the server's certificate (tests only)");
      sub.add_option("--transport", args->transport,
                     "in process: http (the HTTP server on a loopback port) or direct (Service::predict)")
          ->capture_default_str();
      sub.add_option("--connections", args->connections,
                     "closed loop: concurrent connections, a list runs one phase each (1,4,64); "
                     "open loop: the most requests in flight")
          ->capture_default_str();
      sub.add_option("--rate", args->rates, "open loop at this many requests/s (a list runs one phase each)");
      sub.add_option("--arrivals", args->arrivals, "open loop arrivals: poisson or uniform")->capture_default_str();
      sub.add_option("--duration", args->duration_s, "seconds measured per phase")->capture_default_str();
      sub.add_option("--warmup", args->warmup_s, "seconds before each phase's measurement")->capture_default_str();
      sub.add_option("--text", args->text, "request text (default: the load-test request)");
      sub.add_option("--schema", args->schema, "request schema, JSON text");
      sub.add_option("--input", args->input, "JSON-lines requests {\"text\", \"schema\"}, sent round-robin");
      sub.add_flag("--json", args->json, "print the results as JSON instead of the table");
      sub.add_option("--json-out", args->json_out, "also write the JSON results to this file");
      sub.add_option("--client-cpu", args->client_cpus, "pin the load generator's threads to these CPUs (e.g. 1)");
      sub.add_option("--server-cpu", args->server_cpus, "in process: pin the server's threads to these CPUs (e.g. 0)");
      sub.add_option("--server-pid", args->server_pid,
                     "with --url: the server's pid for peak RSS and CPU time (default: found by port when local)");
      sub.add_option("--seed", args->seed, "random seed of the open-loop arrivals")->capture_default_str();
      sub.add_option("--timeout-ms", args->timeout_ms, "--transport direct: each request's deadline")->capture_default_str();
      serve_flags->add_to(sub);
      CLI::App* app = &sub;
      return [args, serve_flags, app] { return run_bench(*args, *serve_flags, *app); };
    });

}  // namespace
}  // namespace uninlu::cli
