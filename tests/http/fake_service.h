#pragma once
// A Service for HTTP tests: no model, behaviour chosen by the request text, answers from its own worker
// thread like the real one, and records what the HTTP layer asked of it.
//   "" or only spaces   predict() throws InvalidInput, as the pipeline does for an empty text
//   "throw:<kind>"      predict() throws Error(kind)            e.g. "throw:overloaded"
//   "fail:<kind>"       the callback gets Error(kind)           e.g. "fail:timeout"
//   "hold"              held until cancel(), release_held() or its deadline
//   "sleep:<ms>"        answered after <ms>
//   anything else       answered after ms_per_char x its length: one chain per top-level schema key,
//                       [{"type": key, "span": text, "offset": [0, length]}]
// A schema that is not an object (or a string holding one) whose values are null or non-empty objects is
// InvalidInput, and a text over limits.max_text_chars is LimitExceeded, as in the pipeline.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "serving/metrics.h"
#include "serving/service.h"

namespace uninlu::testing {

class FakeService final : public Service {
 public:
  struct Options {
    double ms_per_char = 0;
    std::vector<std::string> devices = {"fake:0"};
    PipelineLimits limits;  // max_text_chars is enforced, as the pipeline does
    std::string model_name = "uninlu";  // its one model; a request naming another is NotFound
  };
  static Options named(std::string model_name) {  // Options with only the model name set
    Options options;
    options.model_name = std::move(model_name);
    return options;
  }
  FakeService();
  explicit FakeService(Options options);
  ~FakeService() override;

  RequestId predict(PredictRequest request, std::chrono::steady_clock::time_point deadline,
                    PredictCallback done) override;
  void cancel(RequestId id, ErrorKind reason) override;
  nlohmann::ordered_json health() override;
  bool live() override { return true; }
  bool ready() override;
  nlohmann::ordered_json info() override;
  nlohmann::ordered_json fallback_to_cpu() override;
  nlohmann::ordered_json restore() override;
  std::size_t drain(std::chrono::milliseconds timeout) override;
  ServerMetrics& metrics() override { return metrics_; }
  std::vector<ModelStatus> models() override;

  // For tests. The waits give up after `timeout` (a safety net, not a timing assertion) and say whether
  // the condition came true.
  std::vector<std::pair<RequestId, ErrorKind>> cancels();
  std::vector<PredictRequest> received();
  bool wait_for_cancels(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(20));
  bool wait_for_held(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(20));
  bool wait_for_drain(std::chrono::seconds timeout = std::chrono::seconds(20));
  void release_held();
  void set_ready(bool ready);
  std::size_t in_flight();

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    PredictRequest request;
    PredictCallback done;
    Clock::time_point due;  // Clock::time_point::max() while held
    Clock::time_point deadline;
    std::optional<Error> error;  // answered with it when due
  };
  void run_worker();
  PredictOutcome outcome_of(const Pending& pending) const;

  Options options_;
  ServerMetrics metrics_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<RequestId, Pending> pending_;
  std::vector<std::pair<RequestId, ErrorKind>> cancels_;
  std::vector<PredictRequest> received_;
  RequestId next_id_ = 1;
  bool accepting_ = true;
  bool ready_ = true;
  bool draining_ = false;
  bool fallback_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace uninlu::testing
