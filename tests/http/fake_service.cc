#include "fake_service.h"

#include <algorithm>

namespace uninlu::testing {

namespace {

ErrorKind kind_from_name(const std::string& name) {
  for (const ErrorKind kind : {ErrorKind::InvalidInput, ErrorKind::LimitExceeded, ErrorKind::Usage, ErrorKind::NotFound,
                               ErrorKind::MethodNotAllowed, ErrorKind::Conflict, ErrorKind::ModelLoad, ErrorKind::Overloaded,
                               ErrorKind::Timeout, ErrorKind::Unavailable, ErrorKind::Io, ErrorKind::Internal}) {
    if (name == error_kind_name(kind)) return kind;
  }
  return ErrorKind::Internal;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

nlohmann::ordered_json checked_schema(const nlohmann::ordered_json& schema) {
  nlohmann::ordered_json object = schema;
  if (schema.is_string()) {
    object = nlohmann::ordered_json::parse(schema.get<std::string>(), nullptr, false);
    if (object.is_discarded()) fail(ErrorKind::InvalidInput, "schema string is not valid JSON");
  }
  const auto check = [](const auto& self, const nlohmann::ordered_json& level) -> void {
    if (!level.is_object()) fail(ErrorKind::InvalidInput, "schema must be a JSON object");
    if (level.empty()) fail(ErrorKind::InvalidInput, "schema is empty");
    for (const auto& [key, value] : level.items()) {
      if (key.empty()) fail(ErrorKind::InvalidInput, "schema has an empty key");
      if (!value.is_null()) self(self, value);
    }
  };
  check(check, object);
  return object;
}

}  // namespace

FakeService::FakeService() : FakeService(Options{}) {}

FakeService::FakeService(Options options) : options_(std::move(options)) {
  worker_ = std::thread([this] { run_worker(); });
}

FakeService::~FakeService() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

RequestId FakeService::predict(PredictRequest request, Clock::time_point deadline, PredictCallback done) {
  const std::string text = request.text;  // `request` is moved below
  if (!request.model.empty() && request.model != options_.model_name) {
    fail(ErrorKind::NotFound, "unknown model \"" + request.model + "\"; this server serves \"" + options_.model_name + "\"");
  }
  if (std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; })) {
    fail(ErrorKind::InvalidInput, "text is empty: nothing to extract from");
  }
  if (starts_with(text, "throw:")) fail(kind_from_name(text.substr(6)), "thrown as asked: " + text);
  if (code_points(text) > options_.limits.max_text_chars) {
    fail(ErrorKind::LimitExceeded, "text has " + std::to_string(code_points(text)) + " characters; at most " +
                                       std::to_string(options_.limits.max_text_chars) + " (limits.max_text_chars)");
  }
  checked_schema(request.schema);

  const std::lock_guard lock(mutex_);
  if (!accepting_) fail(ErrorKind::Unavailable, "server is shutting down and takes no new requests");
  const RequestId id = next_id_++;
  received_.push_back(request);
  Pending pending{std::move(request), std::move(done), Clock::now(), deadline, std::nullopt};
  if (text == "hold") {
    pending.due = Clock::time_point::max();
  } else if (starts_with(text, "sleep:")) {
    pending.due += std::chrono::milliseconds(std::stoi(text.substr(6)));
  } else if (starts_with(text, "fail:")) {
    pending.error = Error(kind_from_name(text.substr(5)), "failed as asked: " + text);
  } else {
    pending.due += std::chrono::microseconds(
        static_cast<long long>(options_.ms_per_char * 1000.0 * static_cast<double>(code_points(text))));
  }
  pending_.emplace(id, std::move(pending));
  changed_.notify_all();
  return id;
}

void FakeService::cancel(RequestId id, ErrorKind reason) {
  const std::lock_guard lock(mutex_);
  cancels_.emplace_back(id, reason);
  const auto it = pending_.find(id);
  if (it != pending_.end()) {
    it->second.error = Error(reason, reason == ErrorKind::Timeout ? "the request deadline passed" : "cancelled");
    it->second.due = Clock::now();
  }
  changed_.notify_all();
}

PredictOutcome FakeService::outcome_of(const Pending& pending) const {
  PredictOutcome outcome;
  if (pending.error) {
    outcome.error = *pending.error;
    return outcome;
  }
  const nlohmann::ordered_json schema = checked_schema(pending.request.schema);
  nlohmann::ordered_json chains = nlohmann::ordered_json::array();
  for (const auto& [key, value] : schema.items()) {
    nlohmann::ordered_json item;
    item["type"] = key;
    item["span"] = pending.request.text;
    item["offset"] = {0, code_points(pending.request.text)};
    chains.push_back(nlohmann::ordered_json::array({item}));
  }
  PredictResult result;
  result.output_json = nlohmann::ordered_json{{"output", chains}}.dump();
  result.devices = options_.devices;
  result.timing.total_ms = 1.5;
  result.tokens = static_cast<int>(code_points(pending.request.text)) + 2;
  result.steps = 2;
  result.prompts = schema.size();
  outcome.result = std::move(result);
  return outcome;
}

void FakeService::run_worker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto now = Clock::now();
    auto next_due = Clock::time_point::max();
    std::vector<Pending> ready;
    for (auto it = pending_.begin(); it != pending_.end();) {
      Pending& p = it->second;
      if (!p.error && p.deadline <= now && p.due > now) {
        p.error = Error(ErrorKind::Timeout, "the request deadline passed");
        p.due = now;
      }
      if (p.due <= now) {
        ready.push_back(std::move(p));
        it = pending_.erase(it);
      } else {
        next_due = std::min({next_due, p.due, p.deadline});
        ++it;
      }
    }
    if (!ready.empty()) {
      lock.unlock();
      for (Pending& p : ready) p.done(outcome_of(p));
      lock.lock();
      changed_.notify_all();
      continue;
    }
    if (next_due == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next_due);
    }
  }
  // Whatever is left is answered, as the real service does when it stops.
  for (auto& [id, p] : pending_) p.done(PredictOutcome{std::nullopt, Error(ErrorKind::Unavailable, "stopped")});
  pending_.clear();
}

nlohmann::ordered_json FakeService::health() {
  const std::lock_guard lock(mutex_);
  nlohmann::ordered_json h;
  h["status"] = accepting_ ? "ok" : "draining";
  h["model_loaded"] = true;
  h["devices"] = options_.devices;
  h["queue_depth"] = 0;
  h["in_flight"] = pending_.size();
  h["fallback_active"] = fallback_;
  h["gpu_utilization"] = nullptr;
  h["gpu_memory_used"] = nullptr;
  h["gpu_memory_total"] = nullptr;
  return h;
}

std::vector<ModelStatus> FakeService::models() {
  return {ModelStatus{options_.model_name, ready() ? "READY" : "UNAVAILABLE", "", "fake"}};
}

bool FakeService::ready() {
  const std::lock_guard lock(mutex_);
  return ready_ && accepting_;
}

nlohmann::ordered_json FakeService::info() {
  return {{"model", "fake"}, {"version", "test"}, {"devices", options_.devices}};
}

nlohmann::ordered_json FakeService::fallback_to_cpu() {
  const std::lock_guard lock(mutex_);
  fallback_ = true;
  return {{"status", "switched_to_cpu"}};
}

nlohmann::ordered_json FakeService::restore() {
  const std::lock_guard lock(mutex_);
  fallback_ = false;
  return {{"status", "restored"}};
}

std::size_t FakeService::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  accepting_ = false;
  draining_ = true;
  changed_.notify_all();
  changed_.wait_for(lock, timeout, [this] { return pending_.empty(); });
  return pending_.size();
}

std::vector<std::pair<RequestId, ErrorKind>> FakeService::cancels() {
  const std::lock_guard lock(mutex_);
  return cancels_;
}

std::vector<PredictRequest> FakeService::received() {
  const std::lock_guard lock(mutex_);
  return received_;
}

bool FakeService::wait_for_cancels(std::size_t count, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return cancels_.size() >= count; });
}

bool FakeService::wait_for_held(std::size_t count, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return static_cast<std::size_t>(std::count_if(pending_.begin(), pending_.end(), [](const auto& entry) {
             return entry.second.due == Clock::time_point::max();
           })) >= count;
  });
}

bool FakeService::wait_for_drain(std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return draining_; });
}

void FakeService::release_held() {
  const std::lock_guard lock(mutex_);
  for (auto& [id, p] : pending_) {
    if (p.due == Clock::time_point::max()) p.due = Clock::now();
  }
  changed_.notify_all();
}

void FakeService::set_ready(bool ready) {
  const std::lock_guard lock(mutex_);
  ready_ = ready;
}

std::size_t FakeService::in_flight() {
  const std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace uninlu::testing
