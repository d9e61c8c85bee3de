#pragma once
// What one CudaBackend stage call uploads and carves: the stacked tokens of an embedding stage with
// their attention layout, where those inputs sit in a staged upload, and the device buffers the stage
// runs in. Shared by the text, hint and cross calls and by the backend's worst-case sizing, so that the
// sizing and the calls carve alike.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/cuda/cuda_encoder_layer.h"
#include "engine/cuda/device_arena.h"
#include "engine/cuda/staged_upload.h"
#include "engine/token_rows.h"

namespace uninlu::cuda {

// An embedding stage's tokens on the host, with their attention layout.
struct HostTokens : TokenRows {
  HostAttentionLayout layout;

  void clear() {
    TokenRows::clear();
    layout.clear();
  }
  void append(std::span<const std::int32_t> sequence, int position_offset, int token_type) {
    const int begin = TokenRows::append(sequence, position_offset, token_type);
    const int n = static_cast<int>(sequence.size());
    layout.add(begin, n, n, begin);
  }
};

// The running states of one embedding stage (text windows or hints) and its layers' scratch.
struct StageBuffers {
  float* hidden = nullptr;     // [rows, H] fp32
  void* hidden_low = nullptr;  // [rows, H] gemm type; null for fp32
  LayerScratch layer;
};

StageBuffers carve_stage(ArenaCarver& arena, int rows, const LayerDims& dims);

// Where an embedding stage's inputs sit in an upload.
struct StagePieces {
  StagedUpload::Piece ids = 0, positions = 0, types = 0, sequences = 0, tiles = 0;
};

StagePieces add_stage_inputs(StagedUpload& up, const HostTokens& tokens);
// Bytes the inputs of a stage of `rows` rows take in an upload, at worst (one sequence per row).
void add_worst_stage_inputs(StagedUpload& up, std::size_t rows);
// The stage's attention layout on the device, once `up` is sent to `base`.
DeviceAttentionLayout stage_layout(const StagedUpload& up, std::byte* base, const StagePieces& p,
                                   const HostTokens& tokens);

// Where a cross call's attention layouts sit in an upload.
struct LayoutPieces {
  StagedUpload::Piece sequences = 0, tiles = 0, residual_rows = 0;
};

LayoutPieces add_layout(StagedUpload& up, const HostAttentionLayout& layout);
DeviceAttentionLayout device_layout(const StagedUpload& up, std::byte* base, const LayoutPieces& p,
                                    const HostAttentionLayout& layout);

}  // namespace uninlu::cuda
