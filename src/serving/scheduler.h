#pragma once
// The step scheduler. A request is a PredictionTask: a text step, then one cross step per schema level.
// Each step is split into work items (one per text window, or per prompt x window) that go into a queue
// per step kind. Every device has a worker thread that, when free, forms a batch from the oldest items
// under its token budget (waiting up to max_wait for a batch to fill) and runs it; when a request's step
// is complete, the worker that finished it decodes it and queues the request's next step. Items from
// many requests share batches, and a deep schema's later levels queue behind newer requests' work, so
// a deep event schema never holds up a simple NER request.
// What a finished step leaves to do on the host (decoding, the next level's prompts, the answer's JSON,
// the caller's callback) runs on a small pool of threads, not on the device's worker: the worker goes
// back to its device at once, and that host work spreads over the cores instead of queueing behind one
// thread per device.
// A batch that fails on a device (CUDA error, out of memory) marks the device degraded and goes back to
// the front of the queue for another device; the device is retried after a backoff.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "pipeline/prediction.h"
#include "serving/device.h"
#include "serving/metrics.h"
#include "serving/service.h"

namespace uninlu {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;

  Scheduler(std::vector<std::unique_ptr<Device>> devices, SchedulerOptions options, ServerMetrics& metrics);
  ~Scheduler();  // fails what is left with Unavailable, stops the workers
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues the task's text step. Throws Error(Overloaded) at the in-flight cap and Error(Unavailable)
  // while draining. `done` is called exactly once (see Service::predict).
  RequestId submit(std::unique_ptr<PredictionTask> task, Clock::time_point deadline, PredictCallback done,
                   double tokenize_ms = 0);
  void cancel(RequestId id, ErrorKind reason);

  // Stops accepting and waits for in-flight requests; returns how many are still unfinished.
  std::size_t drain(std::chrono::milliseconds timeout);

  // /api/fallback: GPUs disabled, the CPU serves. /api/restore: back to the GPUs.
  void set_fallback(bool active);
  bool fallback_active() const;

  struct DeviceSnapshot {
    std::string name;
    bool is_gpu;
    DeviceState state;
    std::size_t batches;
    std::size_t faults;
    double busy_seconds;
    std::size_t max_batch_tokens;
  };
  std::vector<DeviceSnapshot> devices() const;
  std::size_t queue_depth() const;
  std::size_t in_flight() const;
  bool accepting() const;
  bool can_serve() const;  // some device is healthy, standby or due for a retry
  std::size_t shares_offloaded() const { return shares_offloaded_.load(); }  // to the completion threads

  // Backoff before a degraded device gets another batch (doubles per consecutive fault, up to a minute).
  static std::chrono::milliseconds retry_backoff(int consecutive_faults);

 private:
  struct Request;
  struct Item {
    std::shared_ptr<Request> request;
    bool text_step;
    std::size_t index;
    std::size_t tokens;
    Clock::time_point enqueued;
    int attempts = 0;
  };
  struct Batch {
    bool text_step = true;
    std::vector<Item> items;
    std::size_t tokens = 0;
  };
  using Completion = std::pair<std::shared_ptr<Request>, PredictOutcome>;

  void worker_loop(Device& device);
  bool can_take(const Device& device, Clock::time_point now) const;
  bool has_work() const { return !text_queue_.empty() || !cross_queue_.empty(); }
  Batch form_batch(const Device& device, Clock::time_point now, std::vector<Completion>& expired);
  void run_batch(Device& device, Batch& batch);
  void on_device_fault(Device& device, Batch& batch, const std::string& what);
  void advance(const std::shared_ptr<Request>& request);
  void enqueue_step(const std::shared_ptr<Request>& request);  // mutex_ held
  void finish(const std::shared_ptr<Request>& request);
  void complete(const std::shared_ptr<Request>& request, PredictOutcome outcome);
  void publish_gauges();  // mutex_ held

  SchedulerOptions options_;
  ServerMetrics& metrics_;
  std::vector<std::unique_ptr<Device>> devices_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Item> text_queue_;
  std::deque<Item> cross_queue_;
  std::size_t queued_tokens_ = 0;
  std::unordered_map<RequestId, std::shared_ptr<Request>> active_;
  std::size_t advancing_ = 0;  // requests between two steps: a batch finished one, advance() not yet done
  RequestId next_id_ = 1;
  bool accepting_ = true;
  bool stopping_ = false;
  bool fallback_ = false;
  std::vector<std::thread> workers_;
  std::atomic<double> advance_us_{0};  // a running mean of one advance(), in microseconds
  std::atomic<std::size_t> shares_offloaded_{0};
  std::size_t completion_threads_;
  boost::asio::thread_pool completions_;  // advance() of requests whose step a batch finished
};

}  // namespace uninlu
