#pragma once
// Which x86 instruction sets the CPU kernels run on, asked once at run time (the binary is built for
// the portable x86-64 baseline, so the answer depends on the machine, not on the build).
//   - our own kernels: GCC target clones (simd.h), one of x86-64-v4 / x86-64-v3 / baseline, picked by
//     the loader with the same test as kernel_isa_name();
//   - oneDNN: its JIT kernels, up to dnnl::get_effective_cpu_isa(), which also honours
//     ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA.
// The reduced precisions depend on the latter: int8 is only exact in 8 bits with VNNI (see
// int8_weight_limit in gemm.h), bf16 only runs natively with AVX512-BF16 or AMX.
namespace uninlu::cpu {

// "x86-64-v4 (avx512)", "x86-64-v3 (avx2+fma)" or "x86-64 (sse2)": the clone of the hand-written kernels.
const char* kernel_isa_name() noexcept;

// oneDNN's effective ISA by its own name: "sse41", "avx2", "avx2_vnni", "avx512_core_vnni", ...
const char* onednn_isa_name() noexcept;

// s8/u8 dot products accumulate in 32 bits (avx512_core_vnni, avx2_vnni or better). Without VNNI
// oneDNN multiplies with vpmaddubsw, which adds pairs of u8 x s8 products in saturating int16.
bool onednn_has_vnni() noexcept;

// bf16 dot products in hardware (avx512_core_bf16 or AMX): the only case where a bf16 matmul is faster
// than fp32. oneDNN 2.6 has no bf16 matmul at all below avx512_core.
bool onednn_has_native_bf16() noexcept;

}  // namespace uninlu::cpu
