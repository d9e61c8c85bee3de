#include "engine/cuda/stage_inputs.h"

namespace uninlu::cuda {

StageBuffers carve_stage(ArenaCarver& arena, int rows, const LayerDims& dims) {
  StageBuffers b;
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(dims.hidden);
  b.hidden = arena.take<float>(n);
  b.hidden_low = dims.type == GemmType::F32 ? nullptr : arena.take_bytes(n * gemm_type_size(dims.type));
  b.layer = carve_layer_scratch(arena, rows, dims);
  return b;
}

StagePieces add_stage_inputs(StagedUpload& up, const HostTokens& tokens) {
  StagePieces p;
  p.ids = up.add(std::span(tokens.ids));
  p.positions = up.add(std::span(tokens.positions));
  p.types = up.add(std::span(tokens.types));
  p.sequences = up.add(std::span(tokens.layout.sequences));
  p.tiles = up.add(std::span(tokens.layout.tiles));
  return p;
}

void add_worst_stage_inputs(StagedUpload& up, std::size_t rows) {
  up.add_bytes(nullptr, rows * sizeof(std::int32_t));
  up.add_bytes(nullptr, rows * sizeof(std::int32_t));
  up.add_bytes(nullptr, rows * sizeof(std::int32_t));
  up.add_bytes(nullptr, rows * sizeof(AttentionSequence));
  up.add_bytes(nullptr, rows * sizeof(AttentionTile));
}

DeviceAttentionLayout stage_layout(const StagedUpload& up, std::byte* base, const StagePieces& p,
                                   const HostTokens& tokens) {
  DeviceAttentionLayout d;
  d.sequences = up.on_device<AttentionSequence>(base, p.sequences);
  d.tiles = up.on_device<AttentionTile>(base, p.tiles);
  d.tile_count = static_cast<int>(tokens.layout.tiles.size());
  d.out_rows = tokens.layout.out_rows;
  return d;
}

LayoutPieces add_layout(StagedUpload& up, const HostAttentionLayout& layout) {
  return {up.add(std::span(layout.sequences)), up.add(std::span(layout.tiles)), up.add(std::span(layout.residual_rows))};
}

DeviceAttentionLayout device_layout(const StagedUpload& up, std::byte* base, const LayoutPieces& p,
                                    const HostAttentionLayout& layout) {
  DeviceAttentionLayout d;
  d.sequences = up.on_device<AttentionSequence>(base, p.sequences);
  d.tiles = up.on_device<AttentionTile>(base, p.tiles);
  d.tile_count = static_cast<int>(layout.tiles.size());
  d.out_rows = layout.out_rows;
  d.residual_rows = layout.pruned ? up.on_device<std::int32_t>(base, p.residual_rows) : nullptr;
  return d;
}

}  // namespace uninlu::cuda
