#include "engine/cuda/host/device_users.h"

#include <algorithm>

namespace uninlu::cuda {

DeviceUsers& DeviceUsers::process() {
  static DeviceUsers users;
  return users;
}

void DeviceUsers::add(int device) {
  const std::lock_guard lock(mutex_);
  ++count_[device];
}

void DeviceUsers::remove(int device) noexcept {
  const std::lock_guard lock(mutex_);
  const auto it = count_.find(device);
  if (it != count_.end() && --it->second == 0) count_.erase(it);
}

std::size_t DeviceUsers::users(int device) const {
  const std::lock_guard lock(mutex_);
  const auto it = count_.find(device);
  return it == count_.end() ? 0 : it->second;
}

bool DeviceUsers::sole_user(const std::vector<int>& devices) const {
  return std::all_of(devices.begin(), devices.end(), [this](int d) { return users(d) <= 1; });
}

DeviceLease::DeviceLease(DeviceUsers& users, std::vector<int> devices) : users_(&users), devices_(std::move(devices)) {
  std::sort(devices_.begin(), devices_.end());
  devices_.erase(std::unique(devices_.begin(), devices_.end()), devices_.end());
  for (int d : devices_) users_->add(d);
}

DeviceLease::~DeviceLease() {
  if (users_ != nullptr) {
    for (int d : devices_) users_->remove(d);
  }
}

}  // namespace uninlu::cuda
