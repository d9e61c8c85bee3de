#pragma once
// Fault injection (UNINLU_FAULT_INJECT): the rules live in engine/cuda/host/fault_rules.h (GPU-free,
// tested without CUDA); this throws the CUDA exception an injected fault stands for.
#include <cstdint>
#include <string>

#include "engine/cuda/host/fault_rules.h"

namespace uninlu::cuda {

// Throws the exception a real fault of that kind would (CudaOutOfMemory or CudaError, source Injected).
[[noreturn]] void throw_injected_fault(InjectedFault fault, const std::string& device_name, std::uint64_t call);

}  // namespace uninlu::cuda
