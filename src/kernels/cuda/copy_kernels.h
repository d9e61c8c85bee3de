#pragma once
// Row gathers on the device: assembling [text states ; hint states] per cross item, keeping the rows a
// pruned last layer still needs for its residual connection.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/cuda_dtype.h"

namespace uninlu::cuda {

// dst[r] = source row source_rows[r] (fp32 rows of `cols`), where an index s >= 0 names src[s] and an
// index s < 0 names alt_src[-1 - s] (so one gather can draw from two buffers: states uploaded from the
// host and hint states computed on the device). dst_low (nullable) gets a copy in `low_type`. dst must
// not overlap the sources.
void gather_rows(const float* src, const float* alt_src, const std::int32_t* source_rows, int rows, int cols,
                 float* dst, void* dst_low, GemmType low_type, cudaStream_t stream);

}  // namespace uninlu::cuda
