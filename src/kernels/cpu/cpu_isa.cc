#include "kernels/cpu/cpu_isa.h"

#include <dnnl.hpp>

namespace uninlu::cpu {

const char* kernel_isa_name() noexcept {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  // The test the target_clones resolver itself makes (simd.h), so this names the clone that runs.
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4 (avx512)";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3 (avx2+fma)";
  return "x86-64 (sse2)";
#else
  return "portable (no target clones)";
#endif
}

const char* onednn_isa_name() noexcept {
  using dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::all: return "all";
    case cpu_isa::sse41: return "sse41";
    case cpu_isa::avx: return "avx";
    case cpu_isa::avx2: return "avx2";
    case cpu_isa::avx2_vnni: return "avx2_vnni";
    case cpu_isa::avx512_mic: return "avx512_mic";
    case cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case cpu_isa::avx512_core: return "avx512_core";
    case cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx: return "avx512_core_amx";
  }
  return "unknown";
}

bool onednn_has_vnni() noexcept {
  using dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case cpu_isa::avx2_vnni:
    case cpu_isa::avx512_core_vnni:
    case cpu_isa::avx512_core_bf16:
    case cpu_isa::avx512_core_amx:
      return true;
    default:
      return false;
  }
}

bool onednn_has_native_bf16() noexcept {
  using dnnl::cpu_isa;
  const cpu_isa isa = dnnl::get_effective_cpu_isa();
  return isa == cpu_isa::avx512_core_bf16 || isa == cpu_isa::avx512_core_amx;
}

}  // namespace uninlu::cpu
