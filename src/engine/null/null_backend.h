#pragma once
// The null device: a benchmarking backend that answers every step at once with fixed logits, so that
// `uninlu bench --device null` measures the host path alone (HTTP, JSON, schema, tokenizer, scheduler,
// decoding, response) as it would be with the model's work on a GPU. Never for serving answers:
// `uninlu serve` refuses it unless --allow-null-device is given.
//
// The pattern (docs/benchmarks.md, "The host path alone"): within each window, real text positions
// p = 1 .. len-2 (not [CLS] or [SEP]) with (p - 1) % kNullSpanPeriod == k get head logit +4, those with
// (p - 1) % kNullSpanPeriod == k + 1 tail logit +4, every other logit is -4 (below the 0.5 threshold and
// never the merge's "uncovered" -1). k = a hash of the hint's ids mod kNullSpanPeriod, so each prompt
// finds its own two-token spans, one every kNullSpanPeriod tokens; each span opens the next schema level
// as a real answer would. Text states are zeros of the model's hidden size (the host copies the same
// bytes as with the real model).
#include <cstdint>
#include <memory>
#include <span>

#include "engine/backend.h"

namespace uninlu {

inline constexpr int kNullSpanPeriod = 8;
inline constexpr float kNullHit = 4.0F;
inline constexpr float kNullMiss = -4.0F;

// The pattern's phase for a hint: FNV-1a over its ids, mod kNullSpanPeriod.
int null_span_phase(std::span<const std::int32_t> hint_ids) noexcept;

// `hidden`: the model's hidden size (the text states' width). Throws Error(Usage) when it is not positive.
std::unique_ptr<Backend> make_null_backend(int hidden);

}  // namespace uninlu
