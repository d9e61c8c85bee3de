#pragma once
// Which GPUs of this process are held by more than one backend. A device reset (the only way back from
// a sticky error) destroys everything the process has on that GPU: every backend's allocations,
// streams and the pinned host memory allocated under that device. It is safe only when one backend
// holds the GPU; the server has one backend per GPU (and each backend's pinned staging is allocated
// under its own GPU), but tests and embedders may put several on one. Process-wide, thread-safe.
#include <cstddef>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace uninlu::cuda {

class DeviceUsers {
 public:
  static DeviceUsers& process();  // the process-wide registry

  void add(int device);
  void remove(int device) noexcept;
  std::size_t users(int device) const;
  // Every device of `devices` held by `devices`' owner alone (each listed device counted once).
  bool sole_user(const std::vector<int>& devices) const;

 private:
  mutable std::mutex mutex_;
  std::map<int, std::size_t> count_;
};

// Registers a backend's devices for its lifetime.
class DeviceLease {
 public:
  DeviceLease() = default;
  DeviceLease(DeviceUsers& users, std::vector<int> devices);
  ~DeviceLease();
  DeviceLease(const DeviceLease&) = delete;
  DeviceLease& operator=(const DeviceLease&) = delete;

  bool sole_user() const { return users_ == nullptr || users_->sole_user(devices_); }
  const std::vector<int>& devices() const noexcept { return devices_; }

 private:
  DeviceUsers* users_ = nullptr;
  std::vector<int> devices_;
};

}  // namespace uninlu::cuda
