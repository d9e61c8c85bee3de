#include "engine/cpu/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "engine/cpu/encoder_layer.h"
#include "engine/cpu/thread_pinning.h"
#include "engine/cpu/thread_scope.h"
#include "engine/cpu/workspace.h"
#include "engine/hint_cache.h"
#include "engine/hint_plan.h"
#include "engine/input_checks.h"
#include "engine/op_profile.h"
#include "engine/stage_outputs.h"
#include "engine/weight_checks.h"
#include "kernels/cpu/cpu_isa.h"
#include "kernels/cpu/embedding.h"
#include "kernels/cpu/gemm.h"

namespace uninlu {
namespace {

cpu::GemmPrecision gemm_precision(Precision p) {
  switch (p) {
    case Precision::F32:
      return cpu::GemmPrecision::F32;
    case Precision::BF16:
      return cpu::GemmPrecision::BF16;
    case Precision::F16:
      fail(ErrorKind::Usage,
           "the CPU backend does not support fp16 (this CPU has no fast fp16 math): use fp32 or bf16");
    case Precision::Int8:
      return cpu::GemmPrecision::Int8;
  }
  fail(ErrorKind::Usage, "unknown precision");
}

}  // namespace

class CpuBackend::Impl {
 public:
  Impl(const ModelConfig& config, const SiameseWeights& weights, const CpuBackendOptions& options)
      : options_(options),
        hidden_(config.hidden_size),
        vocab_(config.vocab_size),
        max_positions_(config.max_position_embeddings),
        threads_(options.threads == 0 ? omp_get_num_procs() : options.threads),
        gemm_(cpu::make_gemm_context()),
        hint_cache_(options.hint_cache_bytes) {
    if (options.threads < 0) {
      fail(ErrorKind::Usage,
           "cpu backend: threads must be 0 (all cores) or positive, got " + std::to_string(options.threads));
    }
    const auto precision = gemm_precision(options.precision);
    check_siamese_layers(config, weights);
    const auto& e = weights.embeddings;
    word_ = checked_f32(e.word, {vocab_, hidden_}, "embeddings.word_embeddings.weight");
    position_ = checked_f32(e.position, {max_positions_, hidden_}, "embeddings.position_embeddings.weight");
    token_type_ = checked_f32(e.token_type, {config.type_vocab_size, hidden_}, "embeddings.token_type_embeddings.weight");
    norm_gamma_ = checked_f32(e.norm.gamma, {hidden_}, "embeddings.LayerNorm.weight");
    norm_beta_ = checked_f32(e.norm.beta, {hidden_}, "embeddings.LayerNorm.bias");
    eps_ = config.layer_norm_eps;

    const auto library = cpu::GemmLibrary::OneDnn;
    for (const auto& w : weights.text_layers) {
      text_layers_.emplace_back(w, config.num_attention_heads, eps_, library, precision, gemm_);
    }
    for (const auto& w : weights.cross_layers) {
      cross_layers_.emplace_back(w, config.num_attention_heads, eps_, library, precision, gemm_);
    }
    // head_clsf and tail_clsf as one [2, hidden] layer, kept in fp32 whatever the precision: it is
    // negligible work and the logits are compared against a threshold.
    std::vector<float> classifier(2 * static_cast<std::size_t>(hidden_));
    float classifier_bias[2];
    const LinearWeights* heads[] = {&weights.head, &weights.tail};
    for (std::size_t i = 0; i < 2; ++i) {
      const HostTensor w = checked_f32(heads[i]->weight, {1, hidden_}, i == 0 ? "head_clsf.weight" : "tail_clsf.weight");
      const HostTensor b = checked_f32(heads[i]->bias, {1}, i == 0 ? "head_clsf.bias" : "tail_clsf.bias");
      std::memcpy(classifier.data() + i * static_cast<std::size_t>(hidden_), w.data<float>(),
                  static_cast<std::size_t>(hidden_) * sizeof(float));
      classifier_bias[i] = b.data<float>()[0];
    }
    classifier_ =
        cpu::make_linear({classifier.data(), classifier_bias, 2, hidden_}, library, cpu::GemmPrecision::F32, gemm_);
  }

  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) {
    if (batch.empty()) return {};
    check_text_batch(batch, vocab_, max_positions_);
    ThreadScope threads(threads_);
    if (options_.pin_threads) pin_openmp_team(threads_);
    auto& tokens = ws_.tokens;
    tokens.clear();
    for (const auto& window : batch) append_sequence(window.ids, 0, 0);
    const float* hidden = encode(tokens, text_layers_, ws_.hidden);
    auto t = profile_.time(OpFamily::Gather);
    return split_text_states(hidden, batch, hidden_);
  }

  std::vector<TextStates> run_hint(std::span<const HintInput> batch) {
    if (batch.empty()) return {};
    check_hint_batch(batch, vocab_, max_positions_);
    ThreadScope threads(threads_);
    if (options_.pin_threads) pin_openmp_team(threads_);
    const float* computed = run_hint_stage(batch);
    auto t = profile_.time(OpFamily::Gather);
    std::vector<TextStates> out = hint_plan_.states_per_hint(computed, hidden_);
    hint_plan_.remember(computed, hidden_, hint_cache_);  // after the copies: inserting may evict
    return out;
  }

  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) {
    if (batch.empty()) return {};
    check_cross_batch(batch, hidden_, vocab_, max_positions_);
    ThreadScope threads(threads_);
    if (options_.pin_threads) pin_openmp_team(threads_);
    hints_.clear();
    for (const auto& item : batch) hints_.push_back(item.hint);
    const float* computed = run_hint_stage(hints_);

    // [text states ; hint states] of every item, stacked; each item attends only within itself, and
    // the last layer computes only the text rows (the heads never read the hint rows).
    auto& tokens = ws_.tokens;
    tokens.clear();
    int rows = 0;
    int text_rows = 0;
    for (const auto& item : batch) {
      const int n = item.text->len;
      const int m = static_cast<int>(item.hint.ids.size());
      tokens.sequences.push_back({rows, n + m, n + m, rows});
      tokens.last_layer_sequences.push_back({rows, n + m, n, text_rows});
      rows += n + m;
      text_rows += n;
    }
    const std::size_t h = static_cast<std::size_t>(hidden_);
    float* hidden = ws_.hidden.reserve(static_cast<std::size_t>(rows) * h);
    {
      auto t = profile_.time(OpFamily::Gather);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& seq = tokens.sequences[i];
        const auto n = static_cast<std::size_t>(batch[i].text->len);
        const auto m = batch[i].hint.ids.size();
        float* dst = hidden + static_cast<std::size_t>(seq.kv_begin) * h;
        std::memcpy(dst, batch[i].text->values.data(), n * h * sizeof(float));
        std::memcpy(dst + n * h, hint_plan_.states(i, computed, hidden_), m * h * sizeof(float));
      }
      hint_plan_.remember(computed, hidden_, hint_cache_);  // after the copies: inserting may evict
    }
    const std::size_t last = cross_layers_.size() - 1;
    for (std::size_t l = 0; l < last; ++l)
      cross_layers_[l].forward(hidden, rows, tokens.sequences, ws_.layer, profile_);
    cross_layers_[last].forward(hidden, rows, tokens.last_layer_sequences, ws_.layer, profile_);

    float* logits = ws_.logits.reserve(2 * static_cast<std::size_t>(text_rows));
    {
      auto t = profile_.time(OpFamily::Heads);
      classifier_->forward(hidden, text_rows, logits);
    }
    return split_span_logits(logits, batch);
  }

  Precision precision() const noexcept { return options_.precision; }
  int threads() const noexcept { return threads_; }
  std::string profile_report() const { return profile_.report(); }
  void reset_profile() noexcept { profile_.reset(); }

  std::string describe() const {
    std::size_t bytes = 0;
    for (const auto& l : text_layers_) bytes += l.packed_bytes();
    for (const auto& l : cross_layers_) bytes += l.packed_bytes();
    // The precision's note (emulated, 7-bit weights) comes once, with the GEMM it is about.
    return std::string("cpu ") + precision_name(options_.precision) + ", " + std::to_string(threads_) + " threads, " +
           cpu_isa_summary() + ", gemm " + text_layers_.front().describe() + ", packed layers " + std::to_string(bytes >> 20) +
           " MiB, hint cache " + std::to_string(hint_cache_.entries()) + " entries " +
           std::to_string(hint_cache_.hits()) + " hits " + std::to_string(hint_cache_.misses()) + " misses";
  }

 private:
  void append_sequence(std::span<const std::int32_t> ids, int position_offset, int token_type) {
    const int begin = ws_.tokens.append(ids, position_offset, token_type);
    const int n = static_cast<int>(ids.size());
    ws_.tokens.sequences.push_back({begin, n, n, begin});
  }

  // Embeddings, then `layers`, on the rows of `tokens`; the states land in `buffer`.
  float* encode(const RaggedTokens& tokens, std::vector<PackedEncoderLayer>& layers,
                cpu::AlignedBuffer<float>& buffer) {
    const int rows = tokens.rows();
    float* hidden = buffer.reserve(static_cast<std::size_t>(rows) * static_cast<std::size_t>(hidden_));
    {
      auto t = profile_.time(OpFamily::Embedding);
      const cpu::EmbeddingTables tables{word_.data<float>(),
                                        position_.data<float>(),
                                        token_type_.data<float>(),
                                        {norm_gamma_.data<float>(), norm_beta_.data<float>(), eps_},
                                        hidden_};
      cpu::embed_tokens(tables, tokens.ids, tokens.positions, tokens.types, hidden);
    }
    for (auto& layer : layers) layer.forward(hidden, rows, tokens.sequences, ws_.layer, profile_);
    return hidden;
  }

  // The hint stage on the distinct hints of `hints` that the cache does not hold (hint_plan_ says which,
  // and where every hint's states are). Returns the computed states, null when every hint was cached.
  const float* run_hint_stage(std::span<const HintInput> hints) {
    hint_plan_.prepare(hints, options_.deduplicate_hints, hint_cache_);
    ws_.tokens.clear();
    for (const int u : hint_plan_.missed()) {
      const HintInput& hint = hint_plan_.unique_hint(static_cast<std::size_t>(u));
      append_sequence(hint.ids, hint.position_offset, 1);
    }
    return hint_plan_.missed().empty() ? nullptr : encode(ws_.tokens, text_layers_, ws_.hint_compute);
  }

  CpuBackendOptions options_;
  int hidden_;
  int vocab_;
  int max_positions_;
  int threads_;
  float eps_ = 1e-12f;
  std::shared_ptr<cpu::GemmContext> gemm_;
  HostTensor word_, position_, token_type_, norm_gamma_, norm_beta_;
  std::vector<PackedEncoderLayer> text_layers_, cross_layers_;
  std::unique_ptr<cpu::Linear> classifier_;
  Workspace ws_;
  HintCache hint_cache_;
  HintPlan hint_plan_;
  std::vector<HintInput> hints_;
  OpProfile profile_;
};

CpuBackend::CpuBackend(const ModelConfig& config, const SiameseWeights& weights, const CpuBackendOptions& options)
    : impl_(std::make_unique<Impl>(config, weights, options)) {}

CpuBackend::~CpuBackend() {
  if (impl_) {
    const std::string report = impl_->profile_report();
    if (!report.empty()) std::fprintf(stderr, "uninlu cpu backend profile:\n%s", report.c_str());
  }
}

Precision CpuBackend::precision() const { return impl_->precision(); }
int CpuBackend::threads() const noexcept { return impl_->threads(); }

std::vector<std::shared_ptr<const TextStates>> CpuBackend::run_text(std::span<const TextInput> batch) {
  return impl_->run_text(batch);
}
std::vector<SpanLogits> CpuBackend::run_cross(std::span<const CrossInput> batch) { return impl_->run_cross(batch); }
std::vector<TextStates> CpuBackend::run_hint(std::span<const HintInput> batch) { return impl_->run_hint(batch); }

std::string CpuBackend::profile_report() const { return impl_->profile_report(); }
void CpuBackend::reset_profile() { impl_->reset_profile(); }
std::string CpuBackend::describe() const { return impl_->describe(); }

std::string describe_cpu_precision(Precision precision) {
  return cpu::gemm_precision_description(gemm_precision(precision));
}

bool cpu_precision_is_emulated(Precision precision) {
  return precision == Precision::BF16 && cpu::bf16_emulated();
}

std::string cpu_isa_summary() {
  return std::string("kernels ") + cpu::kernel_isa_name() + ", oneDNN " + cpu::onednn_isa_name();
}

std::unique_ptr<Backend> make_cpu_backend(const ModelConfig& config, const SiameseWeights& weights,
                                          const CpuBackendOptions& options) {
  return std::make_unique<CpuBackend>(config, weights, options);
}

}  // namespace uninlu
