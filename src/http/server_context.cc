#include "http/server_context.h"

namespace uninlu {

void SessionRegistry::add(const std::shared_ptr<Session>& session) {
  const std::lock_guard lock(mutex_);
  sessions_.emplace(session.get(), session);
}

void SessionRegistry::remove(const Session* session) noexcept {
  const std::lock_guard lock(mutex_);
  sessions_.erase(session);
  if (sessions_.empty()) emptied_.notify_all();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::snapshot() {
  std::vector<std::shared_ptr<Session>> live;
  const std::lock_guard lock(mutex_);
  live.reserve(sessions_.size());
  for (const auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  return live;
}

std::size_t SessionRegistry::size() {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool SessionRegistry::wait_until_empty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return emptied_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

}  // namespace uninlu
