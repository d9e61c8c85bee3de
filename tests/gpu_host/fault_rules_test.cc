// UNINLU_FAULT_INJECT rules: parsing, triggers, and the precedence when several fire on one call.
#include "engine/cuda/host/fault_rules.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"

namespace uninlu::cuda {
namespace {

// The calls (1-based) on which `f` fires within `calls` calls, and the kind each fired.
struct Fired {
  std::vector<int> calls;
  std::vector<InjectedFault> kinds;
};

Fired fire(FaultInjector& f, int calls) {
  Fired out;
  for (int i = 1; i <= calls; ++i) {
    if (const auto fault = f.next_call()) {
      out.calls.push_back(i);
      out.kinds.push_back(*fault);
    }
  }
  return out;
}

TEST(FaultRules, EveryAfterAndAt) {
  FaultInjector every("cuda:0:oom:every=5", "cuda:0");
  const Fired e = fire(every, 12);
  EXPECT_EQ(e.calls, (std::vector<int>{5, 10}));
  EXPECT_EQ(e.kinds.back(), InjectedFault::OutOfMemory);
  FaultInjector after("cuda:0:error:after=3", "cuda:0");
  const Fired a = fire(after, 6);
  EXPECT_EQ(a.calls, (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(a.kinds.back(), InjectedFault::Error);
  FaultInjector at("cuda:1:sticky:at=2", "cuda:1");
  const Fired t = fire(at, 5);
  EXPECT_EQ(t.calls, (std::vector<int>{2}));
  EXPECT_EQ(t.kinds.back(), InjectedFault::Sticky);
  EXPECT_EQ(at.calls(), 5u);
}

TEST(FaultRules, TheMostSevereFiringRuleWinsWhateverTheOrder) {
  // The drill of tests/gpu/run_on_gpu.sh: call 40 is a multiple of 5 but must reset the device.
  for (const char* spec : {"cuda:0:oom:every=5;cuda:0:error:every=13;cuda:0:sticky:at=40",
                           "cuda:0:sticky:at=40;cuda:0:error:every=13;cuda:0:oom:every=5"}) {
    FaultInjector drill(spec, "cuda:0");
    const Fired f = fire(drill, 70);
    std::vector<InjectedFault> by_call(71);
    for (std::size_t i = 0; i < f.calls.size(); ++i) by_call[static_cast<std::size_t>(f.calls[i])] = f.kinds[i];
    EXPECT_EQ(by_call[40], InjectedFault::Sticky) << spec;
    EXPECT_EQ(by_call[65], InjectedFault::Error) << spec;  // 65 = 5 * 13: error beats oom
    EXPECT_EQ(by_call[26], InjectedFault::Error) << spec;
    EXPECT_EQ(by_call[35], InjectedFault::OutOfMemory) << spec;
    EXPECT_EQ(f.calls.size(), 18u) << spec;  // 14 multiples of 5 and 5 of 13, 65 shared (40 is one of the 14)
  }
}

TEST(FaultRules, RulesApplyToTheirDeviceOrToAll) {
  FaultInjector other("cuda:1:oom:every=1", "cuda:0");
  EXPECT_FALSE(other.enabled());
  EXPECT_TRUE(fire(other, 3).calls.empty());
  FaultInjector wildcard("cuda:*:oom:every=2", "cuda:0+1");
  EXPECT_TRUE(wildcard.enabled());
  FaultInjector several(" cuda:0:oom:at=1 ; cuda:3:error:every=1;cuda:0:error:at=3 ", "cuda:0");
  EXPECT_EQ(fire(several, 4).calls, (std::vector<int>{1, 3}));
  EXPECT_EQ(several.describe(), "cuda:0:oom:at=1;cuda:0:error:at=3");
  EXPECT_FALSE(FaultInjector("", "cuda:0").enabled());
  EXPECT_FALSE(FaultInjector(";;", "cuda:0").enabled());
}

TEST(FaultRules, MalformedSpecsAreUsageErrors) {
  for (const char* spec : {"cuda:0:oom", "cuda:0:boom:every=1", "cuda:0:oom:sometimes=1", "cuda:0:oom:every=x",
                           "cuda:0:oom:every=0", "gpu:0:oom:every=1", "cuda:0:oom:every", "cuda:0:oom:at=-1"}) {
    try {
      FaultInjector f(spec, "cuda:0");
      ADD_FAILURE() << spec << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << spec;
      EXPECT_NE(std::string(e.what()).find("UNINLU_FAULT_INJECT"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace uninlu::cuda
