#include "serving/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "fake_backend.h"
#include "pipeline/run_task.h"

namespace uninlu {
namespace {

using testing::FakeBackend;
using Clock = std::chrono::steady_clock;

const BertTokenizer& tokenizer() {
  static const BertTokenizer tok(
      std::make_shared<const Vocab>(Vocab::load(UNINLU_SOURCE_DIR "/data/vocab/bert-base-chinese-vocab.txt")));
  return tok;
}

struct Case {
  std::string text;
  std::string schema;
  bool all_prefix = false;
};

std::vector<Case> mixed_cases() {
  const std::vector<std::string> texts = {
      "华为在东莞松山湖建设了研发基地",
      "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元。",
      "正向,负向|这家餐厅的菜很好吃，服务也很周到",
      "在北京冬奥会自由式滑雪女子大跳台决赛中，中国选手谷爱凌以188.25分获得金牌！",
  };
  const std::vector<std::string> schemas = {
      R"J({"公司":null,"地理位置":null})J",
      R"J({"人物":{"比赛项目(赛事名称)":null,"时间":null}})J",
      R"J({"情感分类":null})J",
      R"J({"胜负(事件触发词)":{"时间":null,"败者":{"地点":null}}})J",
  };
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "中国选手谷爱凌在北京获得金牌，";  // several windows
  std::vector<Case> cases;
  for (std::size_t i = 0; i < 48; ++i) {
    if (i % 11 == 10) {  // a long text with a flat schema (nested ones would find spans without end here)
      cases.push_back({long_text, schemas[0], false});
    } else {
      cases.push_back({texts[i % texts.size()], schemas[(i / 3) % schemas.size()], i % 5 == 0});
    }
  }
  return cases;
}

std::unique_ptr<PredictionTask> make_task(const Case& c, PipelineLimits limits = {}) {
  return std::make_unique<PredictionTask>(tokenizer(), c.text, Schema::parse(c.schema, limits), c.all_prefix, limits);
}

std::string sequential_answer(const Case& c) {
  FakeBackend backend;
  auto task = make_task(c);
  run_task(backend, *task, 1 << 20);
  return task->output_json().dump();
}

// Collects outcomes by case index. The callbacks own the state, so a callback that runs after the test
// stopped waiting (or after it returned) touches nothing freed.
class Outcomes {
 public:
  explicit Outcomes(std::size_t expected) : state_(std::make_shared<State>()) { state_->expected = expected; }

  PredictCallback callback(std::size_t case_index) {
    return [state = state_, case_index](PredictOutcome o) {
      std::lock_guard lock(state->mutex);
      state->by_case[case_index].push_back(std::move(o));
      ++state->received;
      state->cv.notify_all();
    };
  }
  bool wait(std::chrono::seconds timeout) {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout, [&] { return state_->received >= state_->expected; });
  }
  // Every outcome of one case (read after wait()).
  std::vector<PredictOutcome>& operator[](std::size_t case_index) {
    std::lock_guard lock(state_->mutex);
    return state_->by_case[case_index];
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::size_t, std::vector<PredictOutcome>> by_case;
    std::size_t expected = 0;
    std::size_t received = 0;
  };
  std::shared_ptr<State> state_;
};

// Submits one request and waits for its outcome.
PredictOutcome run_one(Scheduler& scheduler, const Case& c, Clock::duration deadline = std::chrono::seconds(60)) {
  Outcomes outcomes(1);
  scheduler.submit(make_task(c), Clock::now() + deadline, outcomes.callback(0));
  EXPECT_TRUE(outcomes.wait(std::chrono::seconds(60)));
  return std::move(outcomes[0].at(0));
}

SchedulerOptions fast_options() {
  SchedulerOptions o;
  o.max_wait = std::chrono::microseconds(3000);
  return o;
}

// A scheduler over fake devices ({name, is_gpu} each, in order), with handles on their backends.
struct Rig {
  explicit Rig(const std::vector<std::pair<std::string, bool>>& specs, SchedulerOptions options = fast_options(),
               std::size_t budget = 4096) {
    std::vector<std::unique_ptr<Device>> devices;
    for (const auto& [name, gpu] : specs) {
      auto backend = std::make_unique<FakeBackend>(name);
      backends.push_back(backend.get());
      auto d = std::make_unique<Device>();
      d->name = name;
      d->is_gpu = gpu;
      d->backend = std::move(backend);
      d->max_batch_tokens = budget;
      devices.push_back(std::move(d));
    }
    scheduler = std::make_unique<Scheduler>(std::move(devices), options, metrics);
  }
  ServerMetrics metrics;  // outlives the scheduler
  std::vector<FakeBackend*> backends;
  std::unique_ptr<Scheduler> scheduler;
};

const Case kShort{"华为在东莞", R"J({"公司":null})J"};

// Many clients at once, their steps batched together; `options` decides where finished steps go on.
// Sets `offloaded` to how many shares of finished steps went to the completion threads (ASSERT_* needs a
// function that returns nothing).
void expect_concurrent_answers_are_sequential(SchedulerOptions options, std::size_t& offloaded) {
  const auto cases = mixed_cases();
  std::vector<std::string> expected;
  for (const auto& c : cases) expected.push_back(sequential_answer(c));

  Rig rig({{"cpu", false}}, options);
  rig.backends[0]->delay_ms = 2;
  Outcomes outcomes(cases.size());
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < cases.size(); i += 4) {
        rig.scheduler->submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
      }
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(outcomes[i].size(), 1u) << "case " << i;
    const auto& o = outcomes[i][0];
    ASSERT_TRUE(o.result.has_value()) << (o.error ? o.error->what() : "");
    EXPECT_EQ(o.result->output_json, expected[i]) << "case " << i;
    EXPECT_EQ(o.result->devices, std::vector<std::string>{"cpu"});
  }
  // The fake model finds spans and nested chains, so the comparison above is not of empty outputs.
  std::size_t chains = 0, longest = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto answer = nlohmann::ordered_json::parse(outcomes[i][0].result->output_json);
    for (const auto& chain : answer["output"]) {
      ++chains;
      longest = std::max(longest, chain.size());
    }
  }
  EXPECT_GT(chains, cases.size());
  EXPECT_GE(longest, 3u);
  EXPECT_GT(rig.backends[0]->max_cross_batch.load(), 1u) << "requests were never batched together";
  EXPECT_EQ(rig.scheduler->in_flight(), 0u);
  EXPECT_THAT(rig.metrics.serialize(), ::testing::HasSubstr("uninlu_batch_size_count"));
  offloaded = rig.scheduler->shares_offloaded();
}

TEST(Scheduler, ConcurrentRequestsGetTheSequentialAnswerAndShareBatches) {
  SchedulerOptions options = fast_options();
  options.offload_min = std::chrono::hours(1);  // every step finished on the device's worker
  std::size_t offloaded = 1;
  expect_concurrent_answers_are_sequential(options, offloaded);
  EXPECT_EQ(offloaded, 0u);
}

// Every batch's finished steps on the completion threads (their decoding, next prompts and answers run
// there, several at once), not on the device's worker: the answers are the same.
TEST(Scheduler, StepsFinishedOnTheCompletionThreadsGiveTheSameAnswers) {
  SchedulerOptions options = fast_options();
  options.offload_min = std::chrono::microseconds(0);
  std::size_t offloaded = 0;
  expect_concurrent_answers_are_sequential(options, offloaded);
  EXPECT_GT(offloaded, 0u);
}

TEST(Scheduler, AnswersDoNotDependOnTheTokenBudget) {
  const auto cases = mixed_cases();
  for (std::size_t budget : {1u, 64u, 100000u}) {
    Rig rig({{"cpu", false}}, fast_options(), budget);
    Outcomes outcomes(8);
    for (std::size_t i = 0; i < 8; ++i) {
      rig.scheduler->submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
    }
    ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
    for (std::size_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(outcomes[i][0].result) << "budget " << budget;
      EXPECT_EQ(outcomes[i][0].result->output_json, sequential_answer(cases[i])) << "budget " << budget;
    }
  }
}

TEST(Scheduler, GpuFaultMovesWorkToTheCpuAndLosesNothing) {
  const auto cases = mixed_cases();
  Rig rig({{"cuda:0", true}, {"cpu", false}});
  rig.backends[0]->fail_calls = 1000;  // every GPU batch fails
  EXPECT_EQ(rig.scheduler->devices()[1].state, DeviceState::Standby);
  Outcomes outcomes(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    rig.scheduler->submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
  }
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(outcomes[i].size(), 1u);
    ASSERT_TRUE(outcomes[i][0].result) << outcomes[i][0].error->what();
    EXPECT_EQ(outcomes[i][0].result->output_json, sequential_answer(cases[i]));
  }
  EXPECT_GE(rig.backends[0]->calls.load(), 1);
  EXPECT_GE(rig.backends[1]->calls.load(), 1);
  const auto snapshot = rig.scheduler->devices();
  EXPECT_EQ(snapshot[0].state, DeviceState::Degraded);
  EXPECT_GE(snapshot[0].faults, 1u);
  EXPECT_THAT(rig.metrics.serialize(), ::testing::HasSubstr("uninlu_device_faults_total{device=\"cuda:0\"}"));
}

TEST(Scheduler, DegradedDeviceIsRetriedAndRecovers) {
  Rig rig({{"cuda:0", true}, {"cpu", false}});
  rig.backends[0]->fail_calls = 1;
  for (int round = 0; round < 2; ++round) ASSERT_TRUE(run_one(*rig.scheduler, kShort).result);
  // After the first backoff (1 s) the GPU gets a batch again and, since it succeeds, is healthy.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (rig.scheduler->devices()[0].state != DeviceState::Healthy && Clock::now() < deadline) {
    ASSERT_TRUE(run_one(*rig.scheduler, kShort).result);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(rig.scheduler->devices()[0].state, DeviceState::Healthy);
}

TEST(Scheduler, FailsARequestWhenEveryAttemptFaults) {
  Rig rig({{"cpu", false}});
  rig.backends[0]->fail_calls = 1000;
  const auto outcome = run_one(*rig.scheduler, kShort);  // 3 attempts with 1 s and 2 s backoffs
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->kind(), ErrorKind::Unavailable);
  EXPECT_THAT(outcome.error->what(), ::testing::HasSubstr("injected device fault"));
}

TEST(Scheduler, CancelCompletesOnceWithTheReason) {
  Rig rig({{"cpu", false}});
  rig.backends[0]->delay_ms = 200;
  Outcomes outcomes(1);
  const auto id = rig.scheduler->submit(make_task({"华为在东莞", R"J({"公司":{"地点":null}})J"}),
                                        Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  rig.scheduler->cancel(id, ErrorKind::Unavailable);
  rig.scheduler->cancel(id, ErrorKind::Timeout);  // a second cancel does nothing
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the running batch finishes and is ignored
  ASSERT_EQ(outcomes[0].size(), 1u);
  ASSERT_TRUE(outcomes[0][0].error);
  EXPECT_EQ(outcomes[0][0].error->kind(), ErrorKind::Unavailable);
  EXPECT_EQ(rig.scheduler->in_flight(), 0u);
}

TEST(Scheduler, ExpiredRequestsTimeOutInTheQueue) {
  SchedulerOptions options = fast_options();
  options.dynamic_batching = false;  // one request per batch, so the second waits behind the first
  Rig rig({{"cpu", false}}, options);
  rig.backends[0]->delay_ms = 300;
  Outcomes outcomes(2);
  rig.scheduler->submit(make_task(kShort), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  rig.scheduler->submit(make_task(kShort), Clock::now() + std::chrono::milliseconds(50), outcomes.callback(1));
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(10)));
  ASSERT_TRUE(outcomes[0][0].result);
  ASSERT_TRUE(outcomes[1][0].error);
  EXPECT_EQ(outcomes[1][0].error->kind(), ErrorKind::Timeout);
}

TEST(Scheduler, RefusesBeyondTheInFlightCapAndWhileDraining) {
  SchedulerOptions options = fast_options();
  options.max_in_flight = 2;
  Rig rig({{"cpu", false}}, options);
  rig.backends[0]->delay_ms = 100;
  Scheduler& scheduler = *rig.scheduler;
  Outcomes outcomes(2);
  scheduler.submit(make_task(kShort), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  scheduler.submit(make_task(kShort), Clock::now() + std::chrono::seconds(60), outcomes.callback(1));
  try {
    scheduler.submit(make_task(kShort), Clock::now() + std::chrono::seconds(60), outcomes.callback(2));
    FAIL() << "expected Overloaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Overloaded);
  }
  EXPECT_EQ(scheduler.drain(std::chrono::seconds(30)), 0u);  // both finish
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(1)));
  EXPECT_TRUE(outcomes[0][0].result && outcomes[1][0].result);
  try {
    scheduler.submit(make_task(kShort), Clock::now() + std::chrono::seconds(60), [](PredictOutcome) {});
    FAIL() << "expected Unavailable";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
}

TEST(Scheduler, FallbackMovesServingToTheCpuAndRestoreBack) {
  Rig rig({{"cuda:0", true}, {"cpu", false}});
  FakeBackend& gpu = *rig.backends[0];
  FakeBackend& cpu = *rig.backends[1];
  ASSERT_TRUE(run_one(*rig.scheduler, kShort).result);
  EXPECT_GT(gpu.calls.load(), 0);
  EXPECT_EQ(cpu.calls.load(), 0);
  rig.scheduler->set_fallback(true);
  EXPECT_EQ(rig.scheduler->devices()[0].state, DeviceState::Disabled);
  const int gpu_calls = gpu.calls;
  ASSERT_TRUE(run_one(*rig.scheduler, kShort).result);
  EXPECT_EQ(gpu.calls.load(), gpu_calls);
  EXPECT_GT(cpu.calls.load(), 0);
  rig.scheduler->set_fallback(false);
  EXPECT_EQ(rig.scheduler->devices()[1].state, DeviceState::Standby);
  ASSERT_TRUE(run_one(*rig.scheduler, kShort).result);
  EXPECT_GT(gpu.calls.load(), gpu_calls);
}

TEST(Scheduler, PromptLimitFailsTheRequest) {
  Rig rig({{"cpu", false}});
  PipelineLimits limits;
  limits.max_prompts = 3;  // 2 keys x 2 windows already need 4
  std::string text;
  for (int i = 0; i < 30; ++i) text += "中国选手谷爱凌在北京获得金牌";
  auto task = std::make_unique<PredictionTask>(
      tokenizer(), text, Schema::parse(R"J({"人物":{"时间":null,"地点":null},"地点":null})J", limits), false, limits);
  Outcomes outcomes(1);
  rig.scheduler->submit(std::move(task), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(10)));
  ASSERT_TRUE(outcomes[0][0].error);
  EXPECT_EQ(outcomes[0][0].error->kind(), ErrorKind::LimitExceeded);
  EXPECT_THAT(outcomes[0][0].error->what(), ::testing::HasSubstr("max_prompts"));
}

}  // namespace
}  // namespace uninlu
