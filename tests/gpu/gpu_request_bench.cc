// In-process whole-request benchmark on the CUDA backend: the load-test request
//   {"text": "华为在东莞松山湖建设了研发基地", "schema": {"公司": null, "地理位置": null}}
// (one text step of 17 tokens, one hint+cross step of 2 prompts), N requests per backend call, each
// request tokenized, run and decoded as the server does. Prints requests/s and the latency of a call of
// N requests per precision and N; with --json FILE also writes them as JSON.
//
//   gpu_request_bench --model DIR [--precisions fp16,bf16,fp32] [--batches 1,8,32,128,256] [--seconds 3]
//                     [--device 0] [--json out.json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_runtime_info.h"
#include "model/model_dir.h"
#include "pipeline/prediction.h"
#include "pipeline/schema.h"
#include "text/bert_tokenizer.h"

namespace uninlu {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

struct Args {
  std::string model;
  std::vector<std::string> precisions = {"fp16", "bf16", "fp32"};
  std::vector<int> batches = {1, 8, 32, 128, 256};
  double seconds = 3.0;
  int device = 0;
  std::string json;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(ErrorKind::Usage, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--model") {
      a.model = value();
    } else if (arg == "--precisions") {
      a.precisions = split(value());
    } else if (arg == "--batches") {
      a.batches.clear();
      for (const auto& b : split(value())) a.batches.push_back(std::stoi(b));
    } else if (arg == "--seconds") {
      a.seconds = std::stod(value());
    } else if (arg == "--device") {
      a.device = std::stoi(value());
    } else if (arg == "--json") {
      a.json = value();
    } else {
      fail(ErrorKind::Usage, "unknown argument " + arg);
    }
  }
  if (a.model.empty()) fail(ErrorKind::Usage, "--model DIR is required");
  return a;
}

// N load-test requests through `backend`: tokenize, text step, cross step, decode. Returns the JSON of the
// first request's output (to check the answers stay the same).
std::string run_requests(Backend& backend, const BertTokenizer& tokenizer, int n) {
  static const std::string kText = "华为在东莞松山湖建设了研发基地";
  static const std::string kSchema = R"({"公司":null,"地理位置":null})";
  PipelineLimits limits;
  std::vector<std::unique_ptr<PredictionTask>> tasks;
  std::vector<TextInput> windows;
  for (int i = 0; i < n; ++i) {
    tasks.push_back(std::make_unique<PredictionTask>(tokenizer, kText, Schema::parse(kSchema, limits), false, limits));
    for (const auto& w : tasks.back()->text_inputs()) windows.push_back(w);
  }
  auto states = backend.run_text(windows);
  std::size_t at = 0;
  for (auto& t : tasks) {
    const std::size_t count = t->text_inputs().size();
    t->set_text_states(std::vector<std::shared_ptr<const TextStates>>(
        states.begin() + static_cast<std::ptrdiff_t>(at), states.begin() + static_cast<std::ptrdiff_t>(at + count)));
    at += count;
  }
  while (!tasks.front()->finished()) {
    std::vector<CrossInput> cross;
    std::vector<std::size_t> sizes;
    for (auto& t : tasks) {
      const auto& in = t->cross_inputs();
      sizes.push_back(in.size());
      cross.insert(cross.end(), in.begin(), in.end());
    }
    auto logits = backend.run_cross(cross);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      tasks[i]->set_cross_outputs(std::vector<SpanLogits>(logits.begin() + static_cast<std::ptrdiff_t>(begin),
                                                          logits.begin() + static_cast<std::ptrdiff_t>(begin + sizes[i])));
      begin += sizes[i];
    }
  }
  return tasks.front()->output_json().dump();
}

int run(int argc, char** argv) {
  const Args args = parse(argc, argv);
  std::string why;
  if (cuda::visible_device_count(&why) == 0) {
    std::fprintf(stderr, "no usable GPU: %s\n", why.c_str());
    return 2;
  }
  const ModelDir model = load_model_dir(args.model);
  const BertTokenizer tokenizer(model.vocab);
  nlohmann::ordered_json report;
  report["gpu"] = cuda::device_name(args.device);
  report["model"] = args.model;
  report["request"] = {{"text", "华为在东莞松山湖建设了研发基地"}, {"schema", {{"公司", nullptr}, {"地理位置", nullptr}}}};
  report["results"] = nlohmann::ordered_json::array();
  std::printf("%-6s %8s %12s %14s %12s\n", "prec", "batch", "requests/s", "ms per call", "calls");
  for (const auto& p : args.precisions) {
    CudaBackendOptions options;
    options.precision = parse_precision(p);
    options.device = args.device;
    CudaBackend backend(model.config, model.weights, options);
    const std::string answer = run_requests(backend, tokenizer, 1);
    for (int n : args.batches) {
      for (int i = 0; i < 3; ++i) run_requests(backend, tokenizer, n);  // warm-up: plans, arena, caches
      std::vector<double> call_ms;
      const auto start = Clock::now();
      const auto until = start + std::chrono::duration<double>(args.seconds);
      std::string last;
      while (Clock::now() < until || call_ms.size() < 3) {
        const auto t0 = Clock::now();
        last = run_requests(backend, tokenizer, n);
        call_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      const double total = std::chrono::duration<double>(Clock::now() - start).count();
      const double rps = static_cast<double>(call_ms.size()) * n / total;
      std::sort(call_ms.begin(), call_ms.end());
      const double p50 = call_ms[call_ms.size() / 2];
      const double p99 = call_ms[std::min(call_ms.size() - 1, call_ms.size() * 99 / 100)];
      std::printf("%-6s %8d %12.0f %8.2f (p99 %.2f) %6zu%s\n", p.c_str(), n, rps, p50, p99, call_ms.size(),
                  last == answer ? "" : "  ANSWER CHANGED");
      report["results"].push_back({{"precision", p},
                                   {"requests_per_call", n},
                                   {"requests_per_second", rps},
                                   {"call_ms_p50", p50},
                                   {"call_ms_p99", p99},
                                   {"calls", call_ms.size()},
                                   {"answer_stable", last == answer}});
    }
    std::printf("%s: %s\n", p.c_str(), backend.describe().c_str());
  }
  if (!args.json.empty()) std::ofstream(args.json) << report.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace uninlu

int main(int argc, char** argv) {
  try {
    return uninlu::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_request_bench: %s\n", e.what());
    return 1;
  }
}
