#pragma once
// Fault injection for tests and drills (a testing knob, not a feature): UNINLU_FAULT_INJECT makes a
// CudaBackend throw on chosen calls as if the GPU had failed, so "a forced OOM or error on a device
// loses no request" can be checked on a real GPU machine. This is the GPU-free part (the rules and the
// decision per call); engine/cuda/fault_injection.h throws the CUDA exception a decision stands for.
//
//   UNINLU_FAULT_INJECT="cuda:0:oom:every=5"         every 5th call of cuda:0 throws CudaOutOfMemory
//   UNINLU_FAULT_INJECT="cuda:0:error:after=3"       every call after the first 3 throws a CUDA error
//   UNINLU_FAULT_INJECT="cuda:*:sticky:at=2;cuda:1:oom:every=7"
//
// Rules are separated by ';'. A rule is DEVICE:KIND:TRIGGER with DEVICE the backend's name ("cuda:0",
// "cuda:0+1" for a layer-split pair) or "cuda:*"; KIND oom (CudaOutOfMemory: the backend keeps its
// state), error (a CudaError: the backend rebuilds its context before its next call) or sticky (a
// sticky CudaError: the backend resets the device and re-uploads its weights before its next call);
// TRIGGER every=N (calls N, 2N, ...), after=N (every call after the first N) or at=N (call N only).
// Calls are run_text/run_cross/run_hint calls that passed input validation, counted from 1. Unset or
// empty, the backend checks one bool per call.
//
// Precedence: when several rules fire on the same call, the most severe kind wins, sticky > error > oom,
// whatever the order of the rules (so "oom:every=5;sticky:at=40" resets the device at call 40, which a
// first-match rule would have turned into one more OOM).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uninlu::cuda {

// In increasing severity (the order is the precedence).
enum class InjectedFault { OutOfMemory, Error, Sticky };

class FaultInjector {
 public:
  FaultInjector() = default;
  // The rules of `spec` that apply to `device_name`. Throws Error(Usage) for a malformed spec (naming the
  // variable, so a typo in a drill fails loudly instead of injecting nothing).
  FaultInjector(std::string_view spec, const std::string& device_name);

  static std::string spec_from_environment();  // $UNINLU_FAULT_INJECT, or ""

  bool enabled() const noexcept { return !rules_.empty(); }
  // Counts one call; the fault to inject in it, if any (the most severe of the rules that fire).
  std::optional<InjectedFault> next_call();
  std::uint64_t calls() const noexcept { return calls_; }
  std::string describe() const;

 private:
  enum class Trigger { Every, After, At };
  struct Rule {
    InjectedFault fault;
    Trigger trigger;
    std::uint64_t n;
    std::string text;
  };
  std::vector<Rule> rules_;
  std::uint64_t calls_ = 0;
};

}  // namespace uninlu::cuda
