// ModelRepository over fake Services: requests reach the model they name, and a model unloads (its
// requests in flight finish, new ones get 503) and loads again while the others keep serving.
#include "serving/model_repository.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>

#include "fake_service.h"
#include "serving/metrics.h"

namespace uninlu {
namespace {

using testing::FakeService;
using Clock = std::chrono::steady_clock;

// Makes a FakeService per load and remembers the latest of each model. A load of a model named in
// `failing` throws as a corrupt checkpoint would; one named in `blocked` waits until unblock().
class Factory {
 public:
  std::unique_ptr<Service> make(const ServiceOptions& options) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !blocked_.count(options.model_name); });
    ++loads_[options.model_name];
    if (failing_.count(options.model_name)) fail(ErrorKind::ModelLoad, "checkpoint of " + options.model_path + " is corrupt");
    auto service = std::make_unique<FakeService>(FakeService::named(options.model_name));
    latest_[options.model_name] = service.get();
    return service;
  }
  ModelRepository::Factory function() {
    return [this](const ServiceOptions& options) { return make(options); };
  }
  FakeService& latest(const std::string& name) {
    const std::lock_guard lock(mutex_);
    return *latest_.at(name);
  }
  int loads(const std::string& name) {
    const std::lock_guard lock(mutex_);
    return loads_[name];
  }
  void set_failing(const std::string& name, bool failing) {
    const std::lock_guard lock(mutex_);
    if (failing) failing_.insert(name); else failing_.erase(name);
  }
  void block(const std::string& name) {
    const std::lock_guard lock(mutex_);
    blocked_.insert(name);
  }
  void unblock(const std::string& name) {
    {
      const std::lock_guard lock(mutex_);
      blocked_.erase(name);
    }
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, FakeService*> latest_;
  std::map<std::string, int> loads_;
  std::set<std::string> failing_;
  std::set<std::string> blocked_;
};

PredictRequest request(std::string text, std::string model) {
  return PredictRequest{std::move(text), nlohmann::ordered_json{{"a", nullptr}}, false, "r", std::move(model)};
}

// A prediction's outcome, waited for (a safety net of 20 s, not a timing assertion).
struct Waiter {
  std::shared_ptr<std::promise<PredictOutcome>> promise = std::make_shared<std::promise<PredictOutcome>>();
  std::future<PredictOutcome> future = promise->get_future();
  PredictCallback callback() {
    return [p = promise](PredictOutcome outcome) { p->set_value(std::move(outcome)); };
  }
  PredictOutcome get() {
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }
};

// A load or unload's answer.
struct Done {
  std::shared_ptr<std::promise<std::optional<Error>>> promise = std::make_shared<std::promise<std::optional<Error>>>();
  std::future<std::optional<Error>> future = promise->get_future();
  ModelCallback callback() {
    return [p = promise](std::optional<Error> error) { p->set_value(std::move(error)); };
  }
  std::optional<Error> get() {
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }
};

class ModelRepositoryTest : public ::testing::Test {
 protected:
  Factory factory;  // before the repository, which loads through it
  ModelRepository repository{{{"a", "/models/a"}, {"b", "/models/b"}}, ServiceOptions{}, factory.function(),
                             std::chrono::milliseconds(20000)};

  // predict() must refuse at once with `kind`, saying `words`.
  void expect_refused(const std::string& model, ErrorKind kind, const std::string& words) {
    try {
      repository.predict(request("x", model), Clock::now() + std::chrono::seconds(20), [](PredictOutcome) {});
      ADD_FAILURE() << "no error for model \"" << model << "\"";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  }

  std::string state_of(const std::string& name) {
    for (const auto& model : repository.models()) {
      if (model.name == name) return model.state;
    }
    return "?";
  }
};

TEST_F(ModelRepositoryTest, ARequestReachesTheModelItNamesAndTheFirstByDefault) {
  Waiter first, named;
  repository.predict(request("x", ""), Clock::now() + std::chrono::seconds(20), first.callback());
  repository.predict(request("y", "b"), Clock::now() + std::chrono::seconds(20), named.callback());
  EXPECT_TRUE(first.get().result);
  EXPECT_TRUE(named.get().result);
  ASSERT_EQ(factory.latest("a").received().size(), 1u);
  EXPECT_EQ(factory.latest("a").received()[0].text, "x");
  ASSERT_EQ(factory.latest("b").received().size(), 1u);
  EXPECT_EQ(factory.latest("b").received()[0].text, "y");

  const auto models = repository.models();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "a");
  EXPECT_EQ(models[0].state, "READY");
  EXPECT_EQ(models[1].path, "/models/b");
  EXPECT_TRUE(repository.ready());
  EXPECT_EQ(repository.health()["models"].size(), 2u);
}

TEST_F(ModelRepositoryTest, AnUnknownModelIsNotFoundAndNamesTheModelsThereAre) {
  expect_refused("c", ErrorKind::NotFound, R"(unknown model "c"; this server serves "a", "b")");
  EXPECT_THROW(repository.load_model("c", [](std::optional<Error>) {}), Error);
}

TEST_F(ModelRepositoryTest, UnloadFinishesRequestsInFlightRefusesNewOnesAndLeavesTheOthersServing) {
  FakeService& b = factory.latest("b");
  Waiter held;
  repository.predict(request("hold", "b"), Clock::now() + std::chrono::seconds(20), held.callback());
  ASSERT_TRUE(b.wait_for_held(1));

  Done unloaded;
  repository.unload_model("b", unloaded.callback());
  EXPECT_EQ(state_of("b"), "UNLOADING");
  ASSERT_TRUE(b.wait_for_drain());  // "b" is draining: its own ready() is false now
  EXPECT_FALSE(b.ready());
  EXPECT_TRUE(repository.ready());  // a model draining for its unload does not take the server out
  expect_refused("b", ErrorKind::Unavailable, "/v2/repository/models/b/load");
  EXPECT_THROW(repository.load_model("b", [](std::optional<Error>) {}), Error);  // Conflict while unloading
  Waiter other;
  repository.predict(request("x", "a"), Clock::now() + std::chrono::seconds(20), other.callback());
  EXPECT_TRUE(other.get().result);

  b.release_held();  // the request in flight finishes, with its answer
  EXPECT_TRUE(held.get().result);
  EXPECT_FALSE(unloaded.get().has_value());
  EXPECT_EQ(state_of("b"), "UNAVAILABLE");
  EXPECT_TRUE(repository.ready());  // "a" still serves

  Done again;  // unloading an unloaded model does nothing
  repository.unload_model("b", again.callback());
  EXPECT_FALSE(again.get().has_value());
}

TEST_F(ModelRepositoryTest, LoadBringsAnUnloadedModelBack) {
  Done unloaded, loaded;
  repository.unload_model("b", unloaded.callback());
  ASSERT_FALSE(unloaded.get().has_value());
  repository.load_model("b", loaded.callback());
  ASSERT_FALSE(loaded.get().has_value());
  EXPECT_EQ(factory.loads("b"), 2);
  EXPECT_EQ(state_of("b"), "READY");
  Waiter answer;
  repository.predict(request("x", "b"), Clock::now() + std::chrono::seconds(20), answer.callback());
  EXPECT_TRUE(answer.get().result);

  Done noop;  // loading a loaded model does nothing
  repository.load_model("b", noop.callback());
  EXPECT_FALSE(noop.get().has_value());
  EXPECT_EQ(factory.loads("b"), 2);
}

TEST_F(ModelRepositoryTest, AModelLoadingIsBusyUntilItHasLoaded) {
  Done unloaded, loaded;
  repository.unload_model("a", unloaded.callback());
  ASSERT_FALSE(unloaded.get().has_value());
  factory.block("a");
  repository.load_model("a", loaded.callback());
  EXPECT_EQ(state_of("a"), "LOADING");
  try {
    repository.unload_model("a", [](std::optional<Error>) {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
  // The default model is the first, loaded or not.
  EXPECT_THROW(repository.predict(request("x", ""), Clock::now() + std::chrono::seconds(20), [](PredictOutcome) {}),
               Error);
  factory.unblock("a");
  EXPECT_FALSE(loaded.get().has_value());
  EXPECT_EQ(state_of("a"), "READY");
}

TEST_F(ModelRepositoryTest, AFailedLoadLeavesTheModelUnavailableWithTheReason) {
  Done unloaded, loaded;
  repository.unload_model("b", unloaded.callback());
  ASSERT_FALSE(unloaded.get().has_value());
  factory.set_failing("b", true);
  repository.load_model("b", loaded.callback());
  const auto error = loaded.get();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::ModelLoad);
  EXPECT_EQ(state_of("b"), "UNAVAILABLE");
  expect_refused("b", ErrorKind::Unavailable, "is corrupt");
  factory.set_failing("b", false);
  Done retried;
  repository.load_model("b", retried.callback());
  EXPECT_FALSE(retried.get().has_value());
}

TEST_F(ModelRepositoryTest, ACancelReachesTheModelThatHasTheRequest) {
  Waiter held;
  const RequestId id = repository.predict(request("hold", "b"), Clock::now() + std::chrono::seconds(20), held.callback());
  ASSERT_TRUE(factory.latest("b").wait_for_held(1));
  repository.cancel(id, ErrorKind::Timeout);
  ASSERT_TRUE(factory.latest("b").wait_for_cancels(1));
  EXPECT_EQ(factory.latest("b").cancels()[0].second, ErrorKind::Timeout);
  EXPECT_TRUE(factory.latest("a").cancels().empty());
  EXPECT_TRUE(held.get().error);
}

TEST_F(ModelRepositoryTest, DrainStopsEveryModel) {
  EXPECT_EQ(repository.drain(std::chrono::milliseconds(2000)), 0u);
  EXPECT_FALSE(repository.ready());
  EXPECT_THROW(repository.predict(request("x", "b"), Clock::now() + std::chrono::seconds(20), [](PredictOutcome) {}),
               Error);
}

TEST(ModelRepository, RefusesTwoModelsOfOneName) {
  Factory factory;
  try {
    ModelRepository repository({{"a", "/x"}, {"a", "/y"}}, ServiceOptions{}, factory.function(),
                               std::chrono::milliseconds(1000));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("two models are named \"a\""), std::string::npos);
  }
  EXPECT_EQ(factory.loads("a"), 0);  // checked before anything loads
}

TEST(ModelRepository, AModelThatFailsToLoadAtStartStopsTheServer) {
  Factory factory;
  factory.set_failing("b", true);
  EXPECT_THROW(ModelRepository({{"a", "/x"}, {"b", "/y"}}, ServiceOptions{}, factory.function(),
                               std::chrono::milliseconds(1000)),
               Error);
}

// Each model's scheduling series carry its name; the HTTP ones do not.
TEST(ServerMetricsForModel, LabelsTheModelsSeriesInTheSharedRegistry) {
  ServerMetrics metrics;
  metrics.observe_http("/api/predict", "POST", 200, 0.001);
  metrics.for_model("a")->observe_batch("cpu", "text", 2, 30, 0.01);
  metrics.for_model("b")->set_queue_depth(3);
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find(R"(uninlu_batch_size_count{model="a",stage="text"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(uninlu_queue_depth{model="b"} 3)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(uninlu_http_requests_total{method="POST",route="/api/predict",status="200"} 1)"),
            std::string::npos) << text;
}

}  // namespace
}  // namespace uninlu
