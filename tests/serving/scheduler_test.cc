#include "serving/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
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

struct Device2 {
  FakeBackend* backend;
  std::unique_ptr<Device> device;
};

Device2 fake_device(const std::string& name, bool gpu, std::size_t budget = 4096) {
  auto backend = std::make_unique<FakeBackend>(name);
  FakeBackend* raw = backend.get();
  auto d = std::make_unique<Device>();
  d->name = name;
  d->is_gpu = gpu;
  d->backend = std::move(backend);
  d->max_batch_tokens = budget;
  return {raw, std::move(d)};
}

// Collects outcomes; each request id must complete exactly once.
struct Outcomes {
  std::mutex mutex;
  std::map<std::size_t, std::vector<PredictOutcome>> by_case;
  std::promise<void> all_done;
  std::size_t expected = 0;
  std::size_t received = 0;

  PredictCallback callback(std::size_t case_index) {
    return [this, case_index](PredictOutcome o) {
      std::lock_guard lock(mutex);
      by_case[case_index].push_back(std::move(o));
      if (++received == expected) all_done.set_value();
    };
  }
  bool wait(std::chrono::seconds timeout) {
    return all_done.get_future().wait_for(timeout) == std::future_status::ready;
  }
};

SchedulerOptions fast_options() {
  SchedulerOptions o;
  o.max_wait = std::chrono::microseconds(3000);
  return o;
}

TEST(Scheduler, ConcurrentRequestsGetTheSequentialAnswerAndShareBatches) {
  const auto cases = mixed_cases();
  std::vector<std::string> expected;
  for (const auto& c : cases) expected.push_back(sequential_answer(c));

  ServerMetrics metrics;
  auto dev = fake_device("cpu", false);
  dev.backend->delay_ms = 2;
  FakeBackend* backend = dev.backend;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(dev.device));
  Scheduler scheduler(std::move(devices), fast_options(), metrics);

  Outcomes outcomes;
  outcomes.expected = cases.size();
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < cases.size(); i += 4) {
        scheduler.submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
      }
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(outcomes.by_case[i].size(), 1u) << "case " << i;
    const auto& o = outcomes.by_case[i][0];
    ASSERT_TRUE(o.result.has_value()) << (o.error ? o.error->what() : "");
    EXPECT_EQ(o.result->output.dump(), expected[i]) << "case " << i;
    EXPECT_EQ(o.result->devices, std::vector<std::string>{"cpu"});
  }
  // The fake model finds spans and nested chains, so the comparison above is not of empty outputs.
  std::size_t chains = 0, longest = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const auto& chain : outcomes.by_case[i][0].result->output["output"]) {
      ++chains;
      longest = std::max(longest, chain.size());
    }
  }
  EXPECT_GT(chains, cases.size());
  EXPECT_GE(longest, 3u);
  EXPECT_GT(backend->max_cross_batch.load(), 1u) << "requests were never batched together";
  EXPECT_EQ(scheduler.in_flight(), 0u);
  EXPECT_THAT(metrics.serialize(), ::testing::HasSubstr("uninlu_batch_size_count"));
}

TEST(Scheduler, AnswersDoNotDependOnTheTokenBudget) {
  const auto cases = mixed_cases();
  for (std::size_t budget : {1u, 64u, 100000u}) {
    ServerMetrics metrics;
    std::vector<std::unique_ptr<Device>> devices;
    devices.push_back(fake_device("cpu", false, budget).device);
    Scheduler scheduler(std::move(devices), fast_options(), metrics);
    Outcomes outcomes;
    outcomes.expected = 8;
    for (std::size_t i = 0; i < 8; ++i) {
      scheduler.submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
    }
    ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
    for (std::size_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(outcomes.by_case[i][0].result) << "budget " << budget;
      EXPECT_EQ(outcomes.by_case[i][0].result->output.dump(), sequential_answer(cases[i])) << "budget " << budget;
    }
  }
}

TEST(Scheduler, GpuFaultMovesWorkToTheCpuAndLosesNothing) {
  const auto cases = mixed_cases();
  ServerMetrics metrics;
  auto gpu = fake_device("cuda:0", true);
  auto cpu = fake_device("cpu", false);
  gpu.backend->fail_calls = 1000;  // every GPU batch fails until told otherwise
  FakeBackend* gpu_backend = gpu.backend;
  FakeBackend* cpu_backend = cpu.backend;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(gpu.device));
  devices.push_back(std::move(cpu.device));
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  EXPECT_EQ(scheduler.devices()[1].state, DeviceState::Standby);

  Outcomes outcomes;
  outcomes.expected = cases.size();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    scheduler.submit(make_task(cases[i]), Clock::now() + std::chrono::seconds(60), outcomes.callback(i));
  }
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(60)));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(outcomes.by_case[i].size(), 1u);
    ASSERT_TRUE(outcomes.by_case[i][0].result) << outcomes.by_case[i][0].error->what();
    EXPECT_EQ(outcomes.by_case[i][0].result->output.dump(), sequential_answer(cases[i]));
  }
  EXPECT_GE(gpu_backend->calls.load(), 1);
  EXPECT_GE(cpu_backend->calls.load(), 1);
  const auto snapshot = scheduler.devices();
  EXPECT_EQ(snapshot[0].state, DeviceState::Degraded);
  EXPECT_GE(snapshot[0].faults, 1u);
  EXPECT_THAT(metrics.serialize(), ::testing::HasSubstr("uninlu_device_faults_total{device=\"cuda:0\"}"));
}

TEST(Scheduler, DegradedDeviceIsRetriedAndRecovers) {
  ServerMetrics metrics;
  auto gpu = fake_device("cuda:0", true);
  gpu.backend->fail_calls = 1;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(gpu.device));
  devices.push_back(fake_device("cpu", false).device);
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  const Case c{"华为在东莞松山湖建设了研发基地", R"J({"公司":null})J"};
  for (int round = 0; round < 2; ++round) {
    Outcomes outcomes;
    outcomes.expected = 1;
    scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
    ASSERT_TRUE(outcomes.wait(std::chrono::seconds(30)));
    ASSERT_TRUE(outcomes.by_case[0][0].result);
  }
  // After the first backoff (1 s) the GPU gets a batch again and, since it succeeds, is healthy.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (scheduler.devices()[0].state != DeviceState::Healthy && Clock::now() < deadline) {
    Outcomes outcomes;
    outcomes.expected = 1;
    scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
    ASSERT_TRUE(outcomes.wait(std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(scheduler.devices()[0].state, DeviceState::Healthy);
}

TEST(Scheduler, FailsARequestWhenEveryAttemptFaults) {
  ServerMetrics metrics;
  auto only = fake_device("cpu", false);
  only.backend->fail_calls = 1000;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(only.device));
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  Outcomes outcomes;
  outcomes.expected = 1;
  scheduler.submit(make_task({"华为在东莞", R"J({"公司":null})J"}), Clock::now() + std::chrono::seconds(60),
                   outcomes.callback(0));
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(30)));  // 3 attempts with 1 s and 2 s backoffs
  ASSERT_TRUE(outcomes.by_case[0][0].error);
  EXPECT_EQ(outcomes.by_case[0][0].error->kind(), ErrorKind::Unavailable);
  EXPECT_THAT(outcomes.by_case[0][0].error->what(), ::testing::HasSubstr("injected device fault"));
}

TEST(Scheduler, CancelCompletesOnceWithTheReason) {
  ServerMetrics metrics;
  auto dev = fake_device("cpu", false);
  dev.backend->delay_ms = 200;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(dev.device));
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  Outcomes outcomes;
  outcomes.expected = 1;
  const auto id = scheduler.submit(make_task({"华为在东莞", R"J({"公司":{"地点":null}})J"}),
                                   Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  scheduler.cancel(id, ErrorKind::Unavailable);
  scheduler.cancel(id, ErrorKind::Timeout);  // a second cancel does nothing
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the running batch finishes and is ignored
  ASSERT_EQ(outcomes.by_case[0].size(), 1u);
  ASSERT_TRUE(outcomes.by_case[0][0].error);
  EXPECT_EQ(outcomes.by_case[0][0].error->kind(), ErrorKind::Unavailable);
  EXPECT_EQ(scheduler.in_flight(), 0u);
}

TEST(Scheduler, ExpiredRequestsTimeOutInTheQueue) {
  ServerMetrics metrics;
  auto dev = fake_device("cpu", false);
  dev.backend->delay_ms = 300;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(dev.device));
  SchedulerOptions options = fast_options();
  options.dynamic_batching = false;  // one request per batch, so the second waits behind the first
  Scheduler scheduler(std::move(devices), options, metrics);
  Outcomes outcomes;
  outcomes.expected = 2;
  scheduler.submit(make_task({"华为在东莞", R"J({"公司":null})J"}), Clock::now() + std::chrono::seconds(60),
                   outcomes.callback(0));
  scheduler.submit(make_task({"华为在东莞", R"J({"公司":null})J"}), Clock::now() + std::chrono::milliseconds(50),
                   outcomes.callback(1));
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(10)));
  ASSERT_TRUE(outcomes.by_case[0][0].result);
  ASSERT_TRUE(outcomes.by_case[1][0].error);
  EXPECT_EQ(outcomes.by_case[1][0].error->kind(), ErrorKind::Timeout);
}

TEST(Scheduler, RefusesBeyondTheInFlightCapAndWhileDraining) {
  ServerMetrics metrics;
  auto dev = fake_device("cpu", false);
  dev.backend->delay_ms = 100;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(dev.device));
  SchedulerOptions options = fast_options();
  options.max_in_flight = 2;
  Scheduler scheduler(std::move(devices), options, metrics);
  Outcomes outcomes;
  outcomes.expected = 2;
  const Case c{"华为在东莞", R"J({"公司":null})J"};
  scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(1));
  try {
    scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(2));
    FAIL() << "expected Overloaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Overloaded);
  }
  EXPECT_EQ(scheduler.drain(std::chrono::seconds(30)), 0u);  // both finish
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(1)));
  EXPECT_TRUE(outcomes.by_case[0][0].result && outcomes.by_case[1][0].result);
  try {
    scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), [](PredictOutcome) {});
    FAIL() << "expected Unavailable";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
}

TEST(Scheduler, FallbackMovesServingToTheCpuAndRestoreBack) {
  ServerMetrics metrics;
  auto gpu = fake_device("cuda:0", true);
  auto cpu = fake_device("cpu", false);
  FakeBackend* gpu_backend = gpu.backend;
  FakeBackend* cpu_backend = cpu.backend;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(gpu.device));
  devices.push_back(std::move(cpu.device));
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  const Case c{"华为在东莞", R"J({"公司":null})J"};
  auto run_one = [&] {
    Outcomes outcomes;
    outcomes.expected = 1;
    scheduler.submit(make_task(c), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
    ASSERT_TRUE(outcomes.wait(std::chrono::seconds(10)));
    ASSERT_TRUE(outcomes.by_case[0][0].result);
  };
  run_one();
  EXPECT_GT(gpu_backend->calls.load(), 0);
  EXPECT_EQ(cpu_backend->calls.load(), 0);
  scheduler.set_fallback(true);
  EXPECT_EQ(scheduler.devices()[0].state, DeviceState::Disabled);
  const int gpu_calls = gpu_backend->calls;
  run_one();
  EXPECT_EQ(gpu_backend->calls.load(), gpu_calls);
  EXPECT_GT(cpu_backend->calls.load(), 0);
  scheduler.set_fallback(false);
  EXPECT_EQ(scheduler.devices()[1].state, DeviceState::Standby);
  run_one();
  EXPECT_GT(gpu_backend->calls.load(), gpu_calls);
}

TEST(Scheduler, PromptLimitFailsTheRequest) {
  ServerMetrics metrics;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(fake_device("cpu", false).device);
  Scheduler scheduler(std::move(devices), fast_options(), metrics);
  PipelineLimits limits;
  limits.max_prompts = 3;  // 2 keys x 2 windows already need 4
  std::string text;
  for (int i = 0; i < 30; ++i) text += "中国选手谷爱凌在北京获得金牌";
  auto task = std::make_unique<PredictionTask>(
      tokenizer(), text, Schema::parse(R"J({"人物":{"时间":null,"地点":null},"地点":null})J", limits), false, limits);
  Outcomes outcomes;
  outcomes.expected = 1;
  scheduler.submit(std::move(task), Clock::now() + std::chrono::seconds(60), outcomes.callback(0));
  ASSERT_TRUE(outcomes.wait(std::chrono::seconds(10)));
  ASSERT_TRUE(outcomes.by_case[0][0].error);
  EXPECT_EQ(outcomes.by_case[0][0].error->kind(), ErrorKind::LimitExceeded);
  EXPECT_THAT(outcomes.by_case[0][0].error->what(), ::testing::HasSubstr("max_prompts"));
}

}  // namespace
}  // namespace uninlu
