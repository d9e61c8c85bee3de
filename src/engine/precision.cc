#include "core/error.h"
#include "engine/backend.h"

namespace uninlu {

const char* precision_name(Precision p) noexcept {
  switch (p) {
    case Precision::F32: return "fp32";
    case Precision::F16: return "fp16";
    case Precision::BF16: return "bf16";
    case Precision::Int8: return "int8";
  }
  return "fp32";
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32" || name == "float32") return Precision::F32;
  if (name == "fp16" || name == "float16") return Precision::F16;
  if (name == "bf16" || name == "bfloat16") return Precision::BF16;
  if (name == "int8") return Precision::Int8;
  fail(ErrorKind::Usage, "unknown precision '" + name + "' (expected fp32, fp16, bf16 or int8)");
}

}  // namespace uninlu
