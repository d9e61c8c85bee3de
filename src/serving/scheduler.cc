#include "serving/scheduler.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <unordered_set>

namespace uninlu {

namespace {

constexpr int kMaxAttempts = 3;  // a batch item fails its request after faulting on this many batches

// Threads that finish steps: one per core, at most 8 (beyond that the device workers and the HTTP
// threads are the limit).
std::size_t completion_threads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
}

double seconds_between(Scheduler::Clock::time_point a, Scheduler::Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

bool is_input_error(ErrorKind kind) {
  return kind == ErrorKind::InvalidInput || kind == ErrorKind::LimitExceeded;
}

// Distinct requests with items in the queues. Called only while the queues hold less than one batch
// (the case where waiting is considered), so the scan is short. Scheduler mutex held.
template <class Queue, class Request>
std::size_t count_queued_requests(const Queue& a, const Queue& b) {
  static std::atomic<std::uint64_t> passes{0};  // one number per pass, across schedulers
  const std::uint64_t pass = ++passes;
  std::size_t distinct = 0;
  for (const Queue* q : {&a, &b}) {
    for (const auto& item : *q) {
      Request& r = *item.request;
      if (r.counted_in != pass) {
        r.counted_in = pass;
        ++distinct;
      }
    }
  }
  return distinct;
}

}  // namespace

const char* device_state_name(DeviceState state) noexcept {
  switch (state) {
    case DeviceState::Healthy: return "healthy";
    case DeviceState::Degraded: return "degraded";
    case DeviceState::Disabled: return "disabled";
    case DeviceState::Standby: return "standby";
  }
  return "healthy";
}

struct Scheduler::Request {
  RequestId id = 0;
  std::unique_ptr<PredictionTask> task;
  PredictCallback done;
  Clock::time_point accepted;
  Clock::time_point deadline;
  double tokenize_ms = 0;
  std::atomic<bool> completed{false};

  // The current step; guarded by the scheduler mutex except where noted.
  bool text_step = true;
  std::size_t pending = 0;
  std::vector<std::shared_ptr<const TextStates>> text_out;  // written by workers at distinct indices
  std::vector<SpanLogits> cross_out;
  double inference_seconds = 0;
  std::vector<std::string> devices;
  std::uint64_t counted_in = 0;  // the last queued_request_count() pass that counted it (scheduler mutex)
};

Scheduler::Scheduler(std::vector<std::unique_ptr<Device>> devices, SchedulerOptions options, ServerMetrics& metrics)
    : options_(options),
      metrics_(metrics),
      devices_(std::move(devices)),
      completion_threads_(completion_threads()),
      completions_(completion_threads_) {
  if (devices_.empty()) fail(ErrorKind::Internal, "scheduler needs at least one device");
  const bool any_gpu = std::any_of(devices_.begin(), devices_.end(), [](const auto& d) { return d->is_gpu; });
  for (auto& d : devices_) {
    d->state = (!d->is_gpu && any_gpu) ? DeviceState::Standby : DeviceState::Healthy;
    metrics_.set_device_state(d->name, device_state_name(d->state));
  }
  metrics_.set_fallback_active(false);
  for (auto& d : devices_) workers_.emplace_back([this, dev = d.get()] { worker_loop(*dev); });
}

Scheduler::~Scheduler() {
  std::vector<std::shared_ptr<Request>> left;
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    stopping_ = true;
    for (auto& [id, request] : active_) left.push_back(request);
  }
  for (auto& request : left) {
    complete(request, {std::nullopt, Error(ErrorKind::Unavailable, "server is shutting down")});
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
  completions_.join();  // what the workers posted last: requests already completed, so little is left
}

std::chrono::milliseconds Scheduler::retry_backoff(int consecutive_faults) {
  const int shift = std::clamp(consecutive_faults - 1, 0, 6);
  return std::min(std::chrono::milliseconds(1000 << shift), std::chrono::milliseconds(60000));
}

RequestId Scheduler::submit(std::unique_ptr<PredictionTask> task, Clock::time_point deadline, PredictCallback done,
                            double tokenize_ms) {
  auto request = std::make_shared<Request>();
  request->task = std::move(task);
  request->done = std::move(done);
  request->accepted = Clock::now();
  request->deadline = deadline;
  request->tokenize_ms = tokenize_ms;
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) {
      metrics_.count_rejected("shutdown");
      fail(ErrorKind::Unavailable, "server is shutting down and takes no new requests");
    }
    if (active_.size() >= options_.max_in_flight) {
      metrics_.count_rejected("overloaded");
      fail(ErrorKind::Overloaded, "server is at its limit of " + std::to_string(options_.max_in_flight) +
                                      " requests in flight; retry shortly (limit max_in_flight)");
    }
    request->id = next_id_++;
    active_.emplace(request->id, request);
    enqueue_step(request);
  }
  work_cv_.notify_all();
  return request->id;
}

void Scheduler::enqueue_step(const std::shared_ptr<Request>& request) {
  const auto now = Clock::now();
  PredictionTask& task = *request->task;
  if (request->text_step) {
    const auto& inputs = task.text_inputs();
    request->text_out.assign(inputs.size(), nullptr);
    request->pending = inputs.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      text_queue_.push_back({request, true, i, inputs[i].ids.size(), now});
      queued_tokens_ += inputs[i].ids.size();
    }
  } else {
    const auto& inputs = task.current_cross_inputs();
    request->cross_out.assign(inputs.size(), SpanLogits{});
    request->pending = inputs.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::size_t tokens = static_cast<std::size_t>(inputs[i].text->len) + inputs[i].hint.ids.size();
      cross_queue_.push_back({request, false, i, tokens, now});
      queued_tokens_ += tokens;
    }
  }
  publish_gauges();
}

void Scheduler::cancel(RequestId id, ErrorKind reason) {
  std::shared_ptr<Request> request;
  {
    std::lock_guard lock(mutex_);
    auto it = active_.find(id);
    if (it == active_.end()) return;
    request = it->second;
  }
  metrics_.count_rejected(reason == ErrorKind::Timeout ? "timeout" : "cancelled");
  complete(request, {std::nullopt, Error(reason, reason == ErrorKind::Timeout
                                                     ? "request took longer than its deadline"
                                                     : "request cancelled (client disconnected)")});
  // Its queued items are dropped when a worker reaches them.
}

std::size_t Scheduler::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  accepting_ = false;
  idle_cv_.wait_for(lock, timeout, [this] { return active_.empty(); });
  return active_.size();
}

void Scheduler::set_fallback(bool active) {
  {
    std::lock_guard lock(mutex_);
    fallback_ = active;
    const bool any_gpu = std::any_of(devices_.begin(), devices_.end(), [](const auto& d) { return d->is_gpu; });
    for (auto& d : devices_) {
      if (d->is_gpu) {
        d->state = active ? DeviceState::Disabled : DeviceState::Healthy;
        d->consecutive_faults = 0;
      } else {
        d->state = (active || !any_gpu) ? DeviceState::Healthy : DeviceState::Standby;
      }
      metrics_.set_device_state(d->name, device_state_name(d->state));
    }
    metrics_.set_fallback_active(active);
  }
  work_cv_.notify_all();
}

bool Scheduler::fallback_active() const {
  std::lock_guard lock(mutex_);
  return fallback_;
}

std::vector<Scheduler::DeviceSnapshot> Scheduler::devices() const {
  std::lock_guard lock(mutex_);
  std::vector<DeviceSnapshot> out;
  for (const auto& d : devices_) {
    out.push_back({d->name, d->is_gpu, d->state, d->batches, d->faults, d->busy_seconds, d->max_batch_tokens});
  }
  return out;
}

std::size_t Scheduler::queue_depth() const {
  std::lock_guard lock(mutex_);
  return text_queue_.size() + cross_queue_.size();
}

std::size_t Scheduler::in_flight() const {
  std::lock_guard lock(mutex_);
  return active_.size();
}

bool Scheduler::accepting() const {
  std::lock_guard lock(mutex_);
  return accepting_;
}

bool Scheduler::can_serve() const {
  std::lock_guard lock(mutex_);
  return std::any_of(devices_.begin(), devices_.end(), [](const auto& d) {
    return d->state == DeviceState::Healthy || d->state == DeviceState::Standby || d->state == DeviceState::Degraded;
  });
}

void Scheduler::publish_gauges() {
  metrics_.set_queue_depth(static_cast<double>(text_queue_.size() + cross_queue_.size()));
  metrics_.set_in_flight(static_cast<double>(active_.size()));
}

bool Scheduler::can_take(const Device& device, Clock::time_point now) const {
  switch (device.state) {
    case DeviceState::Healthy: return true;
    case DeviceState::Disabled: return false;
    case DeviceState::Degraded: return now >= device.retry_at;
    case DeviceState::Standby:
      // The CPU steps in while no GPU can take work (all faulted or disabled).
      return std::none_of(devices_.begin(), devices_.end(), [&](const auto& d) {
        return d.get() != &device && d->state == DeviceState::Healthy;
      });
  }
  return false;
}

void Scheduler::worker_loop(Device& device) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) return;
    const auto now = Clock::now();
    if (!has_work() || !can_take(device, now)) {
      if (device.state == DeviceState::Degraded && has_work()) {
        work_cv_.wait_until(lock, device.retry_at);
      } else {
        work_cv_.wait(lock);
      }
      continue;
    }
    // Give a batch that is not yet full a short time to fill: throughput for a moment of latency. GPUs,
    // and every device of a multi-device setup (where the wait also lets the preferred device take the
    // work), wait for whatever may arrive. A lone CPU device waits only while some request in flight has
    // no queued work and is not between two steps (its next step may join the batch; one between steps
    // is the completion threads' and would only delay this batch): on a CPU batching gains little per item, and
    // when every request in flight is already queued (one client at a time, or a closed loop whose
    // clients all wait on this batch) waiting only adds max_wait to each step.
    const bool lone_cpu = !device.is_gpu && devices_.size() == 1;
    if (options_.dynamic_batching && options_.max_wait.count() > 0 && queued_tokens_ < device.max_batch_tokens &&
        (!lone_cpu ||
         active_.size() > advancing_ + count_queued_requests<std::deque<Item>, Request>(text_queue_, cross_queue_))) {
      Clock::time_point oldest = Clock::time_point::max();
      if (!text_queue_.empty()) oldest = std::min(oldest, text_queue_.front().enqueued);
      if (!cross_queue_.empty()) oldest = std::min(oldest, cross_queue_.front().enqueued);
      const auto until = oldest + options_.max_wait;
      if (now < until) {
        work_cv_.wait_until(lock, until);
        continue;
      }
    }
    std::vector<Completion> expired;
    Batch batch = form_batch(device, now, expired);
    if (!batch.items.empty()) device.running_batch = true;
    publish_gauges();
    lock.unlock();
    for (auto& [request, outcome] : expired) complete(request, std::move(outcome));
    if (!batch.items.empty()) run_batch(device, batch);
    lock.lock();
    device.running_batch = false;
  }
}

Scheduler::Batch Scheduler::form_batch(const Device& device, Clock::time_point now, std::vector<Completion>& expired) {
  Batch batch;
  std::deque<Item>* queue = nullptr;
  if (!text_queue_.empty() && (cross_queue_.empty() || text_queue_.front().enqueued <= cross_queue_.front().enqueued)) {
    queue = &text_queue_;
  } else if (!cross_queue_.empty()) {
    queue = &cross_queue_;
  }
  if (queue == nullptr) return batch;
  batch.text_step = queue == &text_queue_;
  std::unordered_set<const Request*> requests;
  std::unordered_set<const Request*> timed_out;
  while (!queue->empty()) {
    Item& item = queue->front();
    // Finished or cancelled requests leave items behind; drop them, and time out the expired.
    if (item.request->completed || item.request->deadline < now) {
      if (!item.request->completed && timed_out.insert(item.request.get()).second) {
        metrics_.count_rejected("timeout");
        expired.push_back({item.request, {std::nullopt, Error(ErrorKind::Timeout, "request took longer than its deadline while queued")}});
      }
      queued_tokens_ -= item.tokens;
      queue->pop_front();
      continue;
    }
    const bool new_request = !requests.contains(item.request.get());
    if (!batch.items.empty()) {
      if (batch.tokens + item.tokens > device.max_batch_tokens) break;
      if (new_request && !options_.dynamic_batching) break;
      if (new_request && requests.size() >= options_.max_batch_requests) break;
    }
    requests.insert(item.request.get());
    batch.tokens += item.tokens;
    queued_tokens_ -= item.tokens;
    batch.items.push_back(std::move(item));
    queue->pop_front();
  }
  return batch;
}

void Scheduler::run_batch(Device& device, Batch& batch) {
  const auto start = Clock::now();
  std::vector<std::shared_ptr<const TextStates>> text_out;
  std::vector<SpanLogits> cross_out;
  try {
    if (batch.text_step) {
      std::vector<TextInput> inputs;
      inputs.reserve(batch.items.size());
      for (const auto& item : batch.items) inputs.push_back(item.request->task->text_inputs()[item.index]);
      text_out = device.backend->run_text(inputs);
      if (text_out.size() != inputs.size()) fail(ErrorKind::Internal, "backend returned the wrong number of text states");
    } else {
      std::vector<CrossInput> inputs;
      inputs.reserve(batch.items.size());
      for (const auto& item : batch.items) inputs.push_back(item.request->task->current_cross_inputs()[item.index]);
      cross_out = device.backend->run_cross(inputs);
      if (cross_out.size() != inputs.size()) fail(ErrorKind::Internal, "backend returned the wrong number of logits");
    }
  } catch (const Error& e) {
    if (is_input_error(e.kind())) {  // the inputs are at fault, not the device: fail those requests
      for (auto& item : batch.items) complete(item.request, {std::nullopt, e});
      return;
    }
    on_device_fault(device, batch, e.what());
    return;
  } catch (const std::exception& e) {
    on_device_fault(device, batch, e.what());
    return;
  }
  const double seconds = seconds_between(start, Clock::now());
  metrics_.observe_batch(device.name, batch.text_step ? "text" : "cross", batch.items.size(), batch.tokens, seconds);

  std::vector<std::shared_ptr<Request>> step_done;
  {
    std::lock_guard lock(mutex_);
    device.batches += 1;
    device.busy_seconds += seconds;
    device.consecutive_faults = 0;
    if (device.state == DeviceState::Degraded) {
      device.state = DeviceState::Healthy;
      metrics_.set_device_state(device.name, device_state_name(device.state));
      spdlog::info("device {} recovered: a batch ran again", device.name);
    }
    std::unordered_set<const Request*> counted;
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
      Item& item = batch.items[i];
      Request& r = *item.request;
      if (batch.text_step) {
        r.text_out[item.index] = std::move(text_out[i]);
      } else {
        r.cross_out[item.index] = std::move(cross_out[i]);
      }
      if (counted.insert(&r).second) {
        r.inference_seconds += seconds;
        if (std::find(r.devices.begin(), r.devices.end(), device.name) == r.devices.end()) r.devices.push_back(device.name);
      }
      if (--r.pending == 0 && !r.completed) {
        step_done.push_back(item.request);
        ++advancing_;
      }
    }
  }
  work_cv_.notify_all();  // a device may have recovered; standby devices re-check
  // Cheap steps are finished here: a hand-off costs a wake-up and moves the request's data to another
  // core, which only pays when the batch's host work is long enough to hold this worker off its device
  // (a nested schema's decoding and prompts, or a long text's). Longer work goes to the completion
  // threads in one share each (the wake-up is paid per share, not per request), and this worker goes
  // back to its device at once.
  const double work_us = advance_us_.load(std::memory_order_relaxed) * static_cast<double>(step_done.size());
  if (step_done.size() == 1 || work_us < static_cast<double>(options_.offload_min.count())) {
    for (const auto& request : step_done) advance(request);
    return;
  }
  const std::size_t shares = std::min(step_done.size(), completion_threads_);
  shares_offloaded_ += shares;
  for (std::size_t share = 0; share < shares; ++share) {
    std::vector<std::shared_ptr<Request>> mine;
    for (std::size_t i = share; i < step_done.size(); i += shares) mine.push_back(std::move(step_done[i]));
    boost::asio::post(completions_, [this, mine = std::move(mine)] {
      for (const auto& request : mine) advance(request);
    });
  }
}

void Scheduler::on_device_fault(Device& device, Batch& batch, const std::string& what) {
  std::vector<Completion> failed;
  {
    std::lock_guard lock(mutex_);
    device.faults += 1;
    device.consecutive_faults += 1;
    device.state = DeviceState::Degraded;
    device.retry_at = Clock::now() + retry_backoff(device.consecutive_faults);
    metrics_.set_device_state(device.name, device_state_name(device.state));
    auto& queue = batch.text_step ? text_queue_ : cross_queue_;
    // Back to the front, in their original order, for another device (or this one after the backoff).
    for (auto it = batch.items.rbegin(); it != batch.items.rend(); ++it) {
      Item& item = *it;
      if (item.request->completed) continue;
      if (++item.attempts >= kMaxAttempts) {
        failed.push_back({item.request, {std::nullopt, Error(ErrorKind::Unavailable,
                                                             "no device could run this request: " + what)}});
        continue;
      }
      queued_tokens_ += item.tokens;
      queue.push_front(std::move(item));
    }
    publish_gauges();
  }
  metrics_.count_device_fault(device.name);
  metrics_.count_batch_retry(device.name);
  spdlog::error("device {} failed a {} batch of {} items ({}); marked degraded, retried elsewhere, next try in {} ms",
                device.name, batch.text_step ? "text" : "cross", batch.items.size(), what,
                retry_backoff(device.consecutive_faults).count());
  work_cv_.notify_all();
  for (auto& [request, outcome] : failed) complete(request, std::move(outcome));
}

void Scheduler::advance(const std::shared_ptr<Request>& request) {
  // Only the thread given the step's last item gets here, so the task is ours alone.
  const auto start = Clock::now();
  bool counted = true;  // still in advancing_
  try {
    PredictionTask& task = *request->task;
    if (request->text_step) {
      task.set_text_states(std::move(request->text_out));
      request->text_out.clear();
      request->text_step = false;
    } else {
      task.set_cross_outputs(request->cross_out);
      request->cross_out.clear();
    }
    if (task.finished()) {
      finish(request);
    } else {
      task.cross_inputs();  // builds the next level's prompts (throws LimitExceeded over max_prompts)
      {
        std::lock_guard lock(mutex_);
        --advancing_;
        counted = false;
        if (!request->completed) enqueue_step(request);
      }
      work_cv_.notify_all();
    }
  } catch (const Error& e) {
    complete(request, {std::nullopt, e});
  } catch (const std::exception& e) {
    complete(request, {std::nullopt, Error(ErrorKind::Internal, std::string("internal error: ") + e.what())});
  }
  if (counted) {
    std::lock_guard lock(mutex_);
    --advancing_;
  }
  // A running mean of one advance(), for run_batch()'s choice; racing updates only blur it.
  const double us = seconds_between(start, Clock::now()) * 1e6;
  advance_us_.store(0.9 * advance_us_.load(std::memory_order_relaxed) + 0.1 * us, std::memory_order_relaxed);
}

void Scheduler::finish(const std::shared_ptr<Request>& request) {
  PredictResult result;
  result.output_json = request->task->output_text();
  result.tokens = static_cast<int>(request->task->encoding().size());
  result.steps = 1 + request->task->cross_steps();
  result.prompts = request->task->prompts_evaluated();
  {
    std::lock_guard lock(mutex_);
    result.devices = request->devices;
    result.timing.inference_ms = request->inference_seconds * 1e3;
  }
  result.timing.tokenize_ms = request->tokenize_ms;
  const double total_ms = seconds_between(request->accepted, Clock::now()) * 1e3;
  result.timing.total_ms = total_ms + request->tokenize_ms;
  result.timing.queue_ms = std::max(0.0, total_ms - result.timing.inference_ms);
  metrics_.observe_request(result.timing.queue_ms / 1e3, result.timing.inference_ms / 1e3, result.timing.total_ms / 1e3);
  complete(request, {std::move(result), std::nullopt});
}

void Scheduler::complete(const std::shared_ptr<Request>& request, PredictOutcome outcome) {
  if (request->completed.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);
    active_.erase(request->id);
    publish_gauges();
  }
  idle_cv_.notify_all();
  if (request->done) request->done(std::move(outcome));
}

}  // namespace uninlu
