#include "kernels/cpu/attention.h"

#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "kernels/cpu/simd.h"

namespace uninlu::cpu {
namespace {

UNINLU_SIMD_CLONES void softmax_rows_impl(float* __restrict x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* __restrict row = x + static_cast<std::int64_t>(r) * cols;
    float max_value = row[0];
#pragma omp simd reduction(max : max_value)
    for (int c = 0; c < cols; ++c) max_value = std::max(max_value, row[c]);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int c = 0; c < cols; ++c) {
      const float e = exp_approx(row[c] - max_value);
      row[c] = e;
      sum += e;
    }
    const float inv_sum = 1.0f / sum;
#pragma omp simd
    for (int c = 0; c < cols; ++c) row[c] *= inv_sum;
  }
}

// One (sequence, head) pair: two small GEMMs from oneDNN (run serially: oneDNN does not nest threads
// inside an OpenMP region) around a softmax, with the scores in this thread's scratch.
dnnl_status_t attend_one_head(const float* qkv, float* context, const AttentionSequence& seq, int head,
                              const AttentionShape& shape, float* scores) {
  const std::int64_t hidden = shape.hidden();
  const std::int64_t qkv_stride = 3 * hidden;
  const float* q = qkv + seq.kv_begin * qkv_stride + head * shape.head_dim;
  const float* k = q + hidden;
  const float* v = q + 2 * hidden;
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  const dnnl_status_t status = dnnl_sgemm('N', 'T', seq.q_len, seq.kv_len, shape.head_dim, scale, q, qkv_stride, k,
                                          qkv_stride, 0.0f, scores, seq.kv_len);
  if (status != dnnl_success) return status;
  softmax_rows_impl(scores, seq.q_len, seq.kv_len);
  float* out = context + seq.out_begin * hidden + head * shape.head_dim;
  return dnnl_sgemm('N', 'N', seq.q_len, shape.head_dim, seq.kv_len, 1.0f, scores, seq.kv_len, v, qkv_stride, 0.0f, out,
                    hidden);
}

}  // namespace

std::int64_t attention_scratch_floats(std::span<const AttentionSequence> sequences, int threads) {
  std::int64_t largest = 0;
  for (const auto& s : sequences) largest = std::max(largest, static_cast<std::int64_t>(s.q_len) * s.kv_len);
  return largest * std::max(threads, 1);
}

void attention(const float* qkv, float* context, std::span<const AttentionSequence> sequences,
               const AttentionShape& shape, std::span<float> scratch) {
  const int tasks = static_cast<int>(sequences.size()) * shape.heads;
  if (tasks == 0) return;
  const std::int64_t per_thread = attention_scratch_floats(sequences, 1);
  const int threads = std::min(omp_get_max_threads(), tasks);
  if (static_cast<std::int64_t>(scratch.size()) < per_thread * std::max(threads, 1)) {
    fail(ErrorKind::Internal, "attention scratch too small; this is a bug");
  }
  // Dynamic scheduling: sequences differ in length, so (sequence, head) tasks differ in cost. An error
  // cannot leave an OpenMP region as an exception, so it is recorded and thrown after.
  int failed_status = dnnl_success;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (int task = 0; task < tasks; ++task) {
    const auto& seq = sequences[static_cast<std::size_t>(task / shape.heads)];
    if (seq.q_len == 0) continue;
    float* scores = scratch.data() + omp_get_thread_num() * per_thread;
    const dnnl_status_t status = attend_one_head(qkv, context, seq, task % shape.heads, shape, scores);
    if (status != dnnl_success) {
#pragma omp atomic write
      failed_status = status;
    }
  }
  if (failed_status != dnnl_success) {
    fail(ErrorKind::Internal,
         "oneDNN sgemm failed in attention (status " + std::to_string(failed_status) + "); this is a bug");
  }
}

void softmax_rows(float* x, int rows, int cols) { softmax_rows_impl(x, rows, cols); }

}  // namespace uninlu::cpu
