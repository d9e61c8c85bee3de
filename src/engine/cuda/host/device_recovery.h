#pragma once
// How a CudaBackend recovers from device faults, without CUDA: which rebuild the next call needs, and the
// guarded run of one call (rebuild first, then the work; a fault marks what the next call must rebuild).
// CudaBackend supplies the CUDA side through RecoveryHooks; tests/gpu_host drives it with fakes.
//
//   out of memory          nothing to rebuild (the arena is left empty and consistent)
//   a transient fault      Soft: destroy and recreate the backend's device state (streams, arena, weights)
//   a sticky fault         Full: the same around a reset of the device (the context is lost)
//   the rebuild itself fails (a sticky error while re-uploading weights, creating a stream...)
//                          Full: whatever it was, the next call resets the device before trying again
//
// A pending Full rebuild is never downgraded to Soft by a later, milder fault.
#include <exception>
#include <string>

namespace uninlu::cuda {

enum class Rebuild { None, Soft, Full };

enum class FaultClass {
  OutOfMemory,  // an allocation failed; the state is consistent
  Device,       // a CUDA/cuBLAS fault; sticky or not is decided by the error and a probe
  StickyDevice, // a fault the error itself says is sticky
  Other,        // not the device's (input validation, a bug): nothing to rebuild
};

std::string rebuild_name(Rebuild kind);

class RecoveryPlan {
 public:
  Rebuild pending() const noexcept { return pending_; }
  // A call failed with a device fault; `context_lost`: the error was sticky or the probe found the
  // context unusable.
  void on_fault(bool context_lost) noexcept {
    const Rebuild wanted = context_lost ? Rebuild::Full : Rebuild::Soft;
    if (wanted == Rebuild::Full || pending_ == Rebuild::None) pending_ = wanted;
  }
  void on_rebuild_failed() noexcept {
    pending_ = Rebuild::Full;
    ++failed_rebuilds_;
  }
  void on_rebuilt() noexcept { pending_ = Rebuild::None; }
  int failed_rebuilds() const noexcept { return failed_rebuilds_; }

 private:
  Rebuild pending_ = Rebuild::None;
  int failed_rebuilds_ = 0;
};

class RecoveryHooks {
 public:
  virtual ~RecoveryHooks() = default;
  virtual FaultClass classify(const std::exception_ptr& error) const noexcept = 0;
  // After a Device fault: synchronises the backend's device(s); true when the context is unusable.
  virtual bool probe_context_lost() noexcept = 0;
  // Waits for pending work, ignoring errors (before host staging is reused after a failed call).
  virtual void quiesce() noexcept = 0;
  // Destroys and recreates the device state (resetting the device(s) first for Full). Throws on failure.
  virtual void rebuild(Rebuild kind) = 0;
  // For the log: a fault, and the rebuild the next call will do.
  virtual void report_fault(const std::exception_ptr& error, Rebuild next) noexcept = 0;
  virtual void report_rebuild_failed(const std::exception_ptr& error, Rebuild attempted) noexcept = 0;
};

// Runs one call's device work: first the rebuild a previous fault asked for, then `work`. A failure
// anywhere (the rebuild included) is rethrown to the caller (the scheduler moves the batch elsewhere)
// after the plan records what the next call must rebuild.
template <class Work>
auto run_guarded(RecoveryPlan& plan, RecoveryHooks& hooks, Work&& work) -> decltype(work()) {
  if (const Rebuild kind = plan.pending(); kind != Rebuild::None) {
    try {
      hooks.rebuild(kind);
      plan.on_rebuilt();
    } catch (...) {
      plan.on_rebuild_failed();
      hooks.report_rebuild_failed(std::current_exception(), kind);
      throw;
    }
  }
  try {
    return work();
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    switch (hooks.classify(error)) {
      case FaultClass::StickyDevice:
        (void)hooks.probe_context_lost();  // synchronises before the host staging is reused
        plan.on_fault(true);
        hooks.report_fault(error, plan.pending());
        break;
      case FaultClass::Device:
        plan.on_fault(hooks.probe_context_lost());
        hooks.report_fault(error, plan.pending());
        break;
      case FaultClass::OutOfMemory:
      case FaultClass::Other:
        hooks.quiesce();
        break;
    }
    throw;
  }
}

}  // namespace uninlu::cuda
