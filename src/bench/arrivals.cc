#include "bench/arrivals.h"

#include <cmath>

#include "core/error.h"

namespace uninlu::bench {

ArrivalKind parse_arrival_kind(const std::string& name) {
  if (name == "poisson") return ArrivalKind::Poisson;
  if (name == "uniform") return ArrivalKind::Uniform;
  fail(ErrorKind::Usage, "invalid --arrivals: must be \"poisson\" or \"uniform\", got \"" + name + "\"");
}

const char* arrival_kind_name(ArrivalKind kind) noexcept {
  return kind == ArrivalKind::Poisson ? "poisson" : "uniform";
}

ArrivalSchedule::ArrivalSchedule(double rate, ArrivalKind kind, std::uint64_t seed)
    : rate_(rate), kind_(kind), engine_(seed), exponential_(rate > 0 ? rate : 1.0) {
  if (!(rate > 0) || !std::isfinite(rate)) {
    fail(ErrorKind::Usage, "the open-loop rate must be a positive number of requests per second, got " +
                               std::to_string(rate));
  }
}

double ArrivalSchedule::next_gap_seconds() {
  return kind_ == ArrivalKind::Uniform ? 1.0 / rate_ : exponential_(engine_);
}

}  // namespace uninlu::bench
