#pragma once
// Wall time per operator family, for finding where a stage spends its time. Off unless the environment
// variable UNINLU_PROFILE is set to a non-empty value other than "0"; when off, a timer is one branch.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace uninlu {

enum class OpFamily { Embedding, Gemm, Attention, Gelu, LayerNorm, Gather, Heads, Count };
const char* op_family_name(OpFamily family) noexcept;

class OpProfile {
 public:
  OpProfile();  // reads UNINLU_PROFILE
  explicit OpProfile(bool enabled) : enabled_(enabled) {}

  bool enabled() const noexcept { return enabled_; }

  class Timer {
   public:
    Timer(OpProfile* profile, OpFamily family)
        : profile_(profile), family_(family), start_(profile ? Clock::now() : Clock::time_point{}) {}
    ~Timer() {
      if (profile_ != nullptr) profile_->add(family_, Clock::now() - start_);
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

   private:
    OpProfile* profile_;
    OpFamily family_;
    std::chrono::steady_clock::time_point start_;
  };

  // Times the enclosing scope (nothing when disabled).
  Timer time(OpFamily family) { return Timer(enabled_ ? this : nullptr, family); }

  // One line per family: total ms, share, calls. Empty when disabled.
  std::string report() const;
  void reset() noexcept;

 private:
  using Clock = std::chrono::steady_clock;
  void add(OpFamily family, Clock::duration elapsed) noexcept;

  bool enabled_ = false;
  std::array<std::int64_t, static_cast<std::size_t>(OpFamily::Count)> nanoseconds_{};
  std::array<std::int64_t, static_cast<std::size_t>(OpFamily::Count)> calls_{};
};

}  // namespace uninlu
