#include "engine/op_profile.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uninlu {

const char* op_family_name(OpFamily family) noexcept {
  switch (family) {
    case OpFamily::Embedding:
      return "embedding";
    case OpFamily::Gemm:
      return "gemm";
    case OpFamily::Attention:
      return "attention";
    case OpFamily::Gelu:
      return "bias+gelu";
    case OpFamily::LayerNorm:
      return "bias+residual+layernorm";
    case OpFamily::Gather:
      return "gather/copy";
    case OpFamily::Heads:
      return "head/tail";
    case OpFamily::Count:
      break;
  }
  return "?";
}

OpProfile::OpProfile() {
  const char* value = std::getenv("UNINLU_PROFILE");
  enabled_ = value != nullptr && value[0] != '\0' && std::strcmp(value, "0") != 0;
}

void OpProfile::add(OpFamily family, Clock::duration elapsed) noexcept {
  const auto i = static_cast<std::size_t>(family);
  nanoseconds_[i] += std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  calls_[i] += 1;
}

std::string OpProfile::report() const {
  if (!enabled_) return {};
  std::int64_t total = 0;
  for (auto ns : nanoseconds_) total += ns;
  if (total == 0) return {};
  std::string out;
  char line[160];
  for (std::size_t i = 0; i < nanoseconds_.size(); ++i) {
    if (calls_[i] == 0) continue;
    std::snprintf(line, sizeof line, "%-24s %10.2f ms %6.1f%% %8lld calls\n", op_family_name(static_cast<OpFamily>(i)),
                  static_cast<double>(nanoseconds_[i]) * 1e-6,
                  total > 0 ? 100.0 * static_cast<double>(nanoseconds_[i]) / static_cast<double>(total) : 0.0,
                  static_cast<long long>(calls_[i]));
    out += line;
  }
  std::snprintf(line, sizeof line, "%-24s %10.2f ms\n", "total", static_cast<double>(total) * 1e-6);
  out += line;
  return out;
}

void OpProfile::reset() noexcept {
  nanoseconds_.fill(0);
  calls_.fill(0);
}

}  // namespace uninlu
