// The recovery plan of a CUDA backend with fake device hooks: which rebuild follows which fault, and a
// failure during the rebuild escalating to a device reset instead of leaving the device dead.
#include "engine/cuda/host/device_recovery.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace uninlu::cuda {
namespace {

struct OutOfMemory : std::runtime_error {
  OutOfMemory() : std::runtime_error("oom") {}
};
struct DeviceFault : std::runtime_error {
  explicit DeviceFault(bool is_sticky) : std::runtime_error("device fault"), sticky(is_sticky) {}
  bool sticky;
};

class FakeDevice final : public RecoveryHooks {
 public:
  FaultClass classify(const std::exception_ptr& error) const noexcept override {
    try {
      std::rethrow_exception(error);
    } catch (const OutOfMemory&) {
      return FaultClass::OutOfMemory;
    } catch (const DeviceFault& e) {
      return e.sticky ? FaultClass::StickyDevice : FaultClass::Device;
    } catch (...) {
      return FaultClass::Other;
    }
  }
  bool probe_context_lost() noexcept override {
    ++probes;
    return context_lost;
  }
  void quiesce() noexcept override { ++quiesces; }
  void rebuild(Rebuild kind) override {
    rebuilds.push_back(kind);
    if (rebuild_failures > 0) {
      --rebuild_failures;
      throw DeviceFault(true);  // e.g. a sticky error while re-uploading the weights
    }
    context_lost = false;
  }
  void report_fault(const std::exception_ptr&, Rebuild) noexcept override { ++faults_reported; }
  void report_rebuild_failed(const std::exception_ptr&, Rebuild) noexcept override { ++rebuild_failures_reported; }

  bool context_lost = false;
  int rebuild_failures = 0;
  int probes = 0, quiesces = 0, faults_reported = 0, rebuild_failures_reported = 0;
  std::vector<Rebuild> rebuilds;
};

template <class E>
void fail_with(RecoveryPlan& plan, FakeDevice& device, E error) {
  EXPECT_THROW(run_guarded(plan, device, [&]() -> int { throw error; }), E);
}

int ok(RecoveryPlan& plan, FakeDevice& device) {
  return run_guarded(plan, device, [] { return 7; });
}

TEST(DeviceRecovery, OutOfMemoryRebuildsNothing) {
  RecoveryPlan plan;
  FakeDevice device;
  fail_with(plan, device, OutOfMemory());
  EXPECT_EQ(plan.pending(), Rebuild::None);
  EXPECT_EQ(device.quiesces, 1);
  EXPECT_EQ(ok(plan, device), 7);
  EXPECT_TRUE(device.rebuilds.empty());
}

TEST(DeviceRecovery, TransientFaultRebuildsSoftlyStickyOrLostContextResets) {
  RecoveryPlan plan;
  FakeDevice device;
  fail_with(plan, device, DeviceFault(false));
  EXPECT_EQ(plan.pending(), Rebuild::Soft);
  EXPECT_EQ(device.probes, 1);
  EXPECT_EQ(ok(plan, device), 7);
  EXPECT_EQ(device.rebuilds, (std::vector<Rebuild>{Rebuild::Soft}));
  EXPECT_EQ(plan.pending(), Rebuild::None);

  device.context_lost = true;  // the error did not say sticky, the probe finds the context lost
  fail_with(plan, device, DeviceFault(false));
  EXPECT_EQ(plan.pending(), Rebuild::Full);
  fail_with(plan, device, DeviceFault(true));
  EXPECT_EQ(plan.pending(), Rebuild::Full);
}

TEST(DeviceRecovery, AMilderFaultNeverDowngradesAPendingReset) {
  RecoveryPlan plan;
  plan.on_fault(true);
  plan.on_fault(false);
  EXPECT_EQ(plan.pending(), Rebuild::Full);
}

TEST(DeviceRecovery, AFailedRebuildEscalatesToAResetAndIsRetried) {
  RecoveryPlan plan;
  FakeDevice device;
  fail_with(plan, device, DeviceFault(false));
  ASSERT_EQ(plan.pending(), Rebuild::Soft);
  device.rebuild_failures = 1;  // the soft rebuild hits a sticky error while re-uploading
  EXPECT_THROW(ok(plan, device), DeviceFault);  // the call fails (the scheduler moves the batch)
  EXPECT_EQ(plan.pending(), Rebuild::Full);
  EXPECT_EQ(device.rebuild_failures_reported, 1);
  EXPECT_EQ(plan.failed_rebuilds(), 1);
  EXPECT_EQ(ok(plan, device), 7);  // the next call resets the device, then works
  EXPECT_EQ(device.rebuilds, (std::vector<Rebuild>{Rebuild::Soft, Rebuild::Full}));
  EXPECT_EQ(plan.pending(), Rebuild::None);
}

TEST(DeviceRecovery, AResetThatKeepsFailingIsTriedAgainEachCall) {
  RecoveryPlan plan;
  FakeDevice device;
  fail_with(plan, device, DeviceFault(true));
  device.rebuild_failures = 2;
  EXPECT_THROW(ok(plan, device), DeviceFault);
  EXPECT_THROW(ok(plan, device), DeviceFault);
  EXPECT_EQ(ok(plan, device), 7);
  EXPECT_EQ(device.rebuilds, (std::vector<Rebuild>{Rebuild::Full, Rebuild::Full, Rebuild::Full}));
}

TEST(DeviceRecovery, OtherErrorsPassThroughWithoutARebuild) {
  RecoveryPlan plan;
  FakeDevice device;
  EXPECT_THROW(run_guarded(plan, device, []() -> int { throw std::invalid_argument("bad input"); }),
               std::invalid_argument);
  EXPECT_EQ(plan.pending(), Rebuild::None);
  EXPECT_EQ(device.probes, 0);
  EXPECT_EQ(device.quiesces, 1);
}

}  // namespace
}  // namespace uninlu::cuda
