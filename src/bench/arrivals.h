#pragma once
// Open-loop arrival times: a fixed rate with uniform spacing or Poisson arrivals (exponential gaps),
// from a seeded generator so that runs are repeatable.
#include <cstdint>
#include <random>
#include <string>

namespace uninlu::bench {

enum class ArrivalKind { Poisson, Uniform };

ArrivalKind parse_arrival_kind(const std::string& name);  // "poisson" | "uniform"; else Error(Usage)
const char* arrival_kind_name(ArrivalKind kind) noexcept;

class ArrivalSchedule {
 public:
  // rate > 0 requests per second; Error(Usage) otherwise.
  ArrivalSchedule(double rate, ArrivalKind kind, std::uint64_t seed = 1);

  // Seconds from the previous arrival to the next.
  double next_gap_seconds();

  double rate() const noexcept { return rate_; }

 private:
  double rate_;
  ArrivalKind kind_;
  std::mt19937_64 engine_;
  std::exponential_distribution<double> exponential_;
};

}  // namespace uninlu::bench
