#include "engine/cuda/cuda_backend.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "engine/cuda/device_context.h"
#include "engine/cuda/fault_injection.h"
#include "engine/cuda/host/device_recovery.h"
#include "engine/cuda/host/device_users.h"
#include "engine/cuda/stage_inputs.h"
#include "engine/cuda/staged_upload.h"
#include "engine/hint_cache.h"
#include "engine/hint_plan.h"
#include "engine/input_checks.h"
#include "engine/stage_outputs.h"
#include "kernels/cuda/classifier_kernels.h"
#include "kernels/cuda/copy_kernels.h"
#include "kernels/cuda/cuda_error.h"

namespace uninlu {

using cuda::ArenaCarver;
using cuda::DeviceContext;
using cuda::DeviceGuard;
using cuda::HostTokens;
using cuda::LayoutPieces;
using cuda::StageBuffers;
using cuda::StagedUpload;
using cuda::StagePieces;

namespace {

// What a cross call carves from the arena(s). With one GPU both carvers are the same object.
struct CrossBuffers {
  std::byte* inputs_a = nullptr;     // the text GPU's upload (the hint stage's tokens; everything with one GPU)
  std::byte* inputs_b = nullptr;     // the cross GPU's upload (== inputs_a with one GPU)
  StageBuffers hint;                 // the hint stage, on the text GPU
  float* computed_hints = nullptr;   // computed hint states as the cross GPU sees them
  StageBuffers cross;                // [text ; hint] rows through the cross layers
  float* logits = nullptr;           // [text rows, 2]
};

using cuda::Rebuild;

}  // namespace

class CudaBackend::Impl final : private cuda::RecoveryHooks {
 public:
  Impl(std::shared_ptr<const cuda::ModelImage> image, const CudaBackendOptions& options)
      : image_(std::move(image)),
        options_(options),
        split_(options.cross_device >= 0 && options.cross_device != options.device),
        hidden_(image_->hidden),
        hint_cache_(options.hint_cache_bytes) {
    if (cuda::gemm_type_for(options.precision) != image_->gemm_type) {
      fail(ErrorKind::Internal, "CUDA backend: the weight image was built for another precision; this is a bug");
    }
    name_ = "cuda:" + std::to_string(options.device) + (split_ ? "+" + std::to_string(options.cross_device) : "");
    dims_.hidden = image_->hidden;
    dims_.intermediate = image_->intermediate;
    dims_.attention = {image_->heads, image_->head_dim()};
    dims_.type = image_->gemm_type;
    faults_ = cuda::FaultInjector(options.fault_injection ? *options.fault_injection
                                                          : cuda::FaultInjector::spec_from_environment(),
                                  name_);
    if (faults_.enabled()) spdlog::warn("{}: fault injection on: {}", name_, faults_.describe());
    check_ordinals();
    lease_ = std::make_unique<cuda::DeviceLease>(cuda::DeviceUsers::process(), ordinals());
    reserved_tokens_ = std::max<std::size_t>(options.reserve_tokens, 1);
    create_contexts();
  }

  ~Impl() override {
    // Release everything with no work pending (a destructor must not throw; errors are ignored).
    quiesce();
  }

  std::vector<std::shared_ptr<const TextStates>> run_text(std::span<const TextInput> batch) {
    if (batch.empty()) return {};
    check_text_batch(batch, image_->vocab, image_->max_positions);
    return guarded([&] { return run_text_impl(batch); });
  }

  std::vector<TextStates> run_hint(std::span<const HintInput> batch) {
    if (batch.empty()) return {};
    check_hint_batch(batch, image_->vocab, image_->max_positions);
    return guarded([&] { return run_hint_impl(batch); });
  }

  std::vector<SpanLogits> run_cross(std::span<const CrossInput> batch) {
    if (batch.empty()) return {};
    check_cross_batch(batch, hidden_, image_->vocab, image_->max_positions);
    return guarded([&] { return run_cross_impl(batch); });
  }

  void reserve_tokens(std::size_t tokens) {
    reserved_tokens_ = std::max<std::size_t>(tokens, 1);
    guarded([&] {
      reserve_contexts();
      return 0;
    });
  }

  std::size_t activation_bytes(std::size_t tokens) const {
    const WorstCase w = worst_case(tokens);
    return std::max(w.arena_a, w.arena_b);
  }

  std::size_t weight_bytes() const noexcept { return image_->bytes(); }
  Precision precision() const noexcept { return options_.precision; }
  const std::string& name() const noexcept { return name_; }
  int device() const noexcept { return options_.device; }
  int cross_device() const noexcept { return split_ ? options_.cross_device : options_.device; }

  std::string describe() const {
    std::string out = name_;
    for (int d : ordinals()) {
      cudaDeviceProp prop{};
      if (cudaGetDeviceProperties(&prop, d) == cudaSuccess) {
        out += std::string(" [") + prop.name + ", " + std::to_string(prop.totalGlobalMem >> 20) + " MiB]";
      } else {
        (void)cudaGetLastError();
      }
    }
    out += std::string(", ") + precision_name(options_.precision) + ", weights " +
           std::to_string(image_->bytes() >> 20) + " MiB";
    if (text_ctx_) {
      out += ", arena " + std::to_string(text_ctx_->arena().capacity() >> 20) + " MiB";
      if (split_ && cross_ctx_ != nullptr) out += " + " + std::to_string(cross_ctx_->arena().capacity() >> 20) + " MiB";
      out += ", " + text_ctx_->gemm().describe();
    }
    out += ", hint cache " + std::to_string(hint_cache_.entries()) + " entries " + std::to_string(hint_cache_.hits()) +
           " hits " + std::to_string(hint_cache_.misses()) + " misses";
    if (faults_.enabled()) out += ", fault injection " + faults_.describe();
    return out;
  }

 private:
  // ---- device state -----------------------------------------------------------------------------------

  std::vector<int> ordinals() const {
    std::vector<int> out{options_.device};
    if (split_) out.push_back(options_.cross_device);
    return out;
  }

  void check_ordinals() const {
    int count = 0;
    UNINLU_CUDA_CHECK(cudaGetDeviceCount(&count));
    for (int d : ordinals()) {
      if (d < 0 || d >= count) {
        fail(ErrorKind::Usage, "cuda:" + std::to_string(d) + " does not exist (" + std::to_string(count) +
                                   " GPU(s) visible)");
      }
    }
  }

  void create_contexts() {
    const cuda::GemmOptions gemm{options_.gemm_workspace_bytes, options_.allow_tf32};
    if (!split_) {
      text_ctx_ = std::make_unique<DeviceContext>(options_.device, *image_, true, true, gemm, name_);
      cross_ctx_ = text_ctx_.get();
    } else {
      text_ctx_ = std::make_unique<DeviceContext>(options_.device, *image_, true, false, gemm, name_ + " text");
      cross_owned_ =
          std::make_unique<DeviceContext>(options_.cross_device, *image_, false, true, gemm, name_ + " cross");
      cross_ctx_ = cross_owned_.get();
      enable_peer_access();
    }
    reserve_contexts();
  }

  void destroy_contexts() noexcept {
    cross_ctx_ = nullptr;
    cross_owned_.reset();
    text_ctx_.reset();
  }

  // Direct GPU-to-GPU copies for the layer split when the pair allows it; cudaMemcpyPeerAsync stages
  // through the host otherwise, so this is an optimisation only.
  void enable_peer_access() {
    int can = 0;
    UNINLU_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, options_.cross_device, options_.device));
    if (can == 0) {
      spdlog::info("{}: no peer access between the GPUs; activations move through host memory", name_);
      return;
    }
    DeviceGuard guard(options_.cross_device);
    const cudaError_t status = cudaDeviceEnablePeerAccess(options_.device, 0);
    if (status == cudaErrorPeerAccessAlreadyEnabled) {
      (void)cudaGetLastError();
    } else {
      UNINLU_CUDA_CHECK(status);
    }
  }

  struct WorstCase {
    std::size_t arena_a = 0, arena_b = 0, upload_a = 0, upload_b = 0, download_a = 0, download_b = 0;
  };

  // Arena and staging bytes for the largest call of `tokens` tokens: a text call of `tokens` one-token
  // windows, or a cross call whose rows are all text and all hint rows at once (an over-estimate: a real
  // batch splits its rows between the two). Uses the same carve functions as the calls themselves.
  WorstCase worst_case(std::size_t tokens) const {
    const int t = static_cast<int>(std::min<std::size_t>(tokens, 1u << 28));
    const std::size_t n = static_cast<std::size_t>(t);
    const std::size_t row_bytes = static_cast<std::size_t>(hidden_) * sizeof(float);
    WorstCase w;
    // Text call (and the hint stage alone): on the text GPU.
    StagedUpload stage_up;
    cuda::add_worst_stage_inputs(stage_up, n);
    ArenaCarver text_call;
    text_call.take_bytes(stage_up.bytes());
    cuda::carve_stage(text_call, t, dims_);
    // Cross call.
    StagedUpload cross_up;
    cross_up.add_bytes(nullptr, n * row_bytes);                                  // uploaded text + cached hint rows
    cross_up.add_bytes(nullptr, n * sizeof(std::int32_t));                       // source rows
    cross_up.add_bytes(nullptr, 2 * n * sizeof(cuda::AttentionSequence));        // both layouts
    cross_up.add_bytes(nullptr, 2 * n * sizeof(cuda::AttentionTile));
    cross_up.add_bytes(nullptr, n * sizeof(std::int32_t));                       // residual rows
    ArenaCarver cross_b;
    if (split_) {
      cross_b.take_bytes(cross_up.bytes());
      cross_b.take<float>(n * static_cast<std::size_t>(hidden_));  // computed hints copied over
      cuda::carve_stage(cross_b, t, dims_);
      cross_b.take<float>(2 * n);
      w.arena_a = text_call.used();
      w.arena_b = cross_b.used();
      w.upload_a = stage_up.bytes();
      w.upload_b = cross_up.bytes();
    } else {
      StagedUpload both = stage_up;
      both.add_bytes(nullptr, cross_up.bytes());
      ArenaCarver cross_a;
      cross_a.take_bytes(both.bytes());
      cuda::carve_stage(cross_a, t, dims_);  // hint stage
      cuda::carve_stage(cross_a, t, dims_);  // cross stage
      cross_a.take<float>(2 * n);
      w.arena_a = w.arena_b = std::max(text_call.used(), cross_a.used());
      w.upload_a = w.upload_b = both.bytes();
    }
    w.download_a = n * row_bytes;
    w.download_b = n * row_bytes + 2 * n * sizeof(float);
    return w;
  }

  void reserve_contexts() {
    const WorstCase w = worst_case(reserved_tokens_);
    text_ctx_->arena().reserve(w.arena_a);
    text_ctx_->upload().reserve(w.upload_a);
    text_ctx_->download().reserve(split_ ? w.download_a : std::max(w.download_a, w.download_b));
    if (split_) {
      cross_ctx_->arena().reserve(w.arena_b);
      cross_ctx_->upload().reserve(w.upload_b);
      cross_ctx_->download().reserve(w.download_b);
    }
  }

  // Runs one call's device work through the recovery plan (engine/cuda/host/device_recovery.h): first the
  // rebuild a previous fault asked for, then fault injection, then `work`.
  template <class Work>
  auto guarded(Work&& work) -> decltype(work()) {
    return cuda::run_guarded(recovery_, *this, [&] {
      // A status some earlier call ignored (describe(), a release) must not be taken for this call's first
      // kernel launch failing: launches are checked with cudaGetLastError. (A sticky error is not cleared
      // by this; the call's first CUDA operation reports it.)
      (void)cudaGetLastError();
      if (faults_.enabled()) {
        if (const auto fault = faults_.next_call()) cuda::throw_injected_fault(*fault, name_, faults_.calls());
      }
      return work();
    });
  }

  // ---- RecoveryHooks ------------------------------------------------------------------------------------

  cuda::FaultClass classify(const std::exception_ptr& error) const noexcept override {
    try {
      std::rethrow_exception(error);
    } catch (const cuda::CudaOutOfMemory&) {
      // Allocations happen before a call's first kernel, and a failed one leaves its arena empty: the
      // state is consistent and the next call simply tries again.
      return cuda::FaultClass::OutOfMemory;
    } catch (const cuda::CudaError& e) {
      return e.sticky() ? cuda::FaultClass::StickyDevice : cuda::FaultClass::Device;
    } catch (...) {
      return cuda::FaultClass::Other;
    }
  }

  // A sticky error fails every later call of the context; a transient one does not persist. Probe.
  bool probe_context_lost() noexcept override {
    bool lost = false;
    for (int d : ordinals()) {
      cuda::release_on(d, [&lost] {
        const cudaError_t status = cudaDeviceSynchronize();
        (void)cudaGetLastError();
        if (status != cudaSuccess) lost = true;
      });
    }
    return lost;
  }

  void quiesce() noexcept override {
    for (DeviceContext* ctx : {text_ctx_.get(), cross_ctx_}) {
      if (ctx == nullptr) continue;
      cuda::release_on(ctx->device(), [ctx] {
        (void)cudaStreamSynchronize(ctx->stream());
        (void)cudaGetLastError();
      });
    }
  }

  void report_fault(const std::exception_ptr& error, Rebuild next) noexcept override {
    spdlog::error("{}: {}; before its next batch: {}", name_, what(error), cuda::rebuild_name(next));
  }

  void report_rebuild_failed(const std::exception_ptr& error, Rebuild attempted) noexcept override {
    spdlog::error("{}: the {} failed ({}); the next batch tries a device reset and re-upload", name_,
                  cuda::rebuild_name(attempted), what(error));
  }

  static std::string what(const std::exception_ptr& error) noexcept {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "unknown error";
    }
  }

  // Destroys the device state and creates it anew; for Full, resets the GPU(s) in between. Throws (the
  // plan then escalates to Full) when the device is still unusable.
  void rebuild(Rebuild kind) override {
    quiesce();
    destroy_contexts();
    (void)cudaGetLastError();  // what the releases above ignored
    if (kind == Rebuild::Full) reset_devices();
    create_contexts();
    spdlog::info("{}: device state rebuilt{}", name_, kind == Rebuild::Full ? " after a device reset" : "");
  }

  // cudaDeviceReset destroys everything the process holds on the GPU (docs/gpu.md, "Faults"): only when
  // this backend is the GPU's only user in the process. The device is made current without DeviceGuard,
  // which throws when cudaSetDevice reports the lost context's earlier error (the reset is what clears it).
  void reset_devices() {
    if (!lease_->sole_user()) {
      fail(ErrorKind::Unavailable,
           name_ + ": the device context is lost, and resetting the GPU would destroy the other backends' state "
                   "on it in this process (" + std::to_string(cuda::DeviceUsers::process().users(options_.device)) +
                   " backends); restart the process to recover this GPU");
    }
    int previous = -1;
    (void)cudaGetDevice(&previous);
    (void)cudaGetLastError();
    for (int d : ordinals()) {
      if (!cuda::set_device_for_recovery(d)) {
        fail(ErrorKind::Unavailable, name_ + ": cannot make cuda:" + std::to_string(d) + " current to reset it");
      }
      const cudaError_t status = cudaDeviceReset();
      (void)cudaGetLastError();
      if (status != cudaSuccess) {
        if (previous >= 0) (void)cuda::set_device_for_recovery(previous);
        UNINLU_CUDA_CHECK(status);
      }
    }
    if (previous >= 0) (void)cuda::set_device_for_recovery(previous);
  }

  // ---- the stages ---------------------------------------------------------------------------------------

  // Embeddings, then the text layers, on the text GPU's stream; the states land in b.hidden.
  void encode(DeviceContext& ctx, const StagedUpload& up, std::byte* inputs, const StagePieces& p,
              const HostTokens& tokens, const StageBuffers& b) {
    const int rows = tokens.rows();
    cuda::embed_tokens(ctx.text().embeddings, up.on_device<std::int32_t>(inputs, p.ids),
                       up.on_device<std::int32_t>(inputs, p.positions), up.on_device<std::int32_t>(inputs, p.types),
                       rows, b.hidden, b.hidden_low, dims_.type, ctx.stream());
    const cuda::DeviceAttentionLayout layout = cuda::stage_layout(up, inputs, p, tokens);
    for (const auto& layer : ctx.text().layers) {
      cuda::encoder_layer_forward(layer, dims_, b.hidden, b.hidden_low, rows, layout, b.layer, ctx.gemm(),
                                  ctx.stream());
    }
  }

  // Carves a call's buffers twice with `carve(on_a, on_b)`: on measuring carvers to size the arenas
  // (ensure() may reallocate, which would invalidate carved pointers), then on the arenas themselves.
  // With one GPU (or a call on one) a and b are the same context and carve gets the same carver twice.
  template <class Carve>
  auto carve_measured(DeviceContext& a, DeviceContext& b, Carve&& carve) {
    const bool two = &a != &b;
    {
      ArenaCarver measure_a;
      ArenaCarver measure_b;
      carve(measure_a, two ? measure_b : measure_a);
      a.arena().ensure(measure_a.used());
      if (two) b.arena().ensure(measure_b.used());
    }
    ArenaCarver arena_a = a.arena().carver();
    ArenaCarver arena_b = two ? b.arena().carver() : ArenaCarver();
    return carve(arena_a, two ? arena_b : arena_a);
  }

  // Embeddings and the text layers on `tokens` (at least one row), on the text GPU. Returns their states
  // [rows, H] in its download buffer, valid until the buffer's next use.
  const float* encode_to_host(const HostTokens& tokens) {
    const int rows = tokens.rows();
    DeviceContext& ctx = *text_ctx_;
    DeviceGuard guard(ctx.device());
    upload_a_.clear();
    const StagePieces pieces = cuda::add_stage_inputs(upload_a_, tokens);
    const std::size_t out_bytes = static_cast<std::size_t>(rows) * static_cast<std::size_t>(hidden_) * sizeof(float);
    const auto [inputs, b] = carve_measured(ctx, ctx, [&](ArenaCarver& arena, ArenaCarver&) {
      auto* in = static_cast<std::byte*>(arena.take_bytes(upload_a_.bytes()));
      return std::pair(in, cuda::carve_stage(arena, rows, dims_));
    });
    ctx.upload().ensure(upload_a_.bytes());
    ctx.download().ensure(out_bytes);
    upload_a_.send(ctx.upload().data(), inputs, ctx.stream());
    encode(ctx, upload_a_, inputs, pieces, tokens, b);
    UNINLU_CUDA_CHECK(cudaMemcpyAsync(ctx.download().data(), b.hidden, out_bytes, cudaMemcpyDeviceToHost, ctx.stream()));
    ctx.synchronize();
    return reinterpret_cast<const float*>(ctx.download().data());
  }

  std::vector<std::shared_ptr<const TextStates>> run_text_impl(std::span<const TextInput> batch) {
    tokens_.clear();
    for (const auto& in : batch) tokens_.append(in.ids, 0, 0);
    tokens_.layout.finish();
    return split_text_states(encode_to_host(tokens_), batch, hidden_);
  }

  // Plans the hint stage (hint_plan.h) and lays out the tokens of the hints it computes in tokens_.
  void prepare_hints(std::span<const HintInput> hints) {
    hint_plan_.prepare(hints, options_.deduplicate_hints, hint_cache_);
    tokens_.clear();
    for (const int u : hint_plan_.missed()) {
      const HintInput& hint = hint_plan_.unique_hint(static_cast<std::size_t>(u));
      tokens_.append(hint.ids, hint.position_offset, 1);
    }
    tokens_.layout.finish();
  }

  std::vector<TextStates> run_hint_impl(std::span<const HintInput> batch) {
    prepare_hints(batch);
    const float* computed = tokens_.rows() > 0 ? encode_to_host(tokens_) : nullptr;
    std::vector<TextStates> out = hint_plan_.states_per_hint(computed, hidden_);
    hint_plan_.remember(computed, hidden_, hint_cache_);  // after the copies: inserting may evict
    return out;
  }

  std::vector<SpanLogits> run_cross_impl(std::span<const CrossInput> batch) {
    hints_.clear();
    for (const auto& item : batch) hints_.push_back(item.hint);
    prepare_hints(hints_);
    const int missed_rows = tokens_.rows();
    const std::size_t h = static_cast<std::size_t>(hidden_);
    const std::size_t row_bytes = h * sizeof(float);
    DeviceContext& a = *text_ctx_;
    DeviceContext& b = *cross_ctx_;

    // The states that come from the host, as one contiguous matrix: each distinct text window once (the
    // prompts of a request share it), then each cached hint once.
    upload_a_.clear();
    upload_b_.clear();
    StagedUpload& ua = upload_a_;
    StagedUpload& ub = split_ ? upload_b_ : upload_a_;
    const StagePieces hint_pieces = cuda::add_stage_inputs(ua, tokens_);
    text_rows_.clear();
    int uploaded_rows = 0;
    std::optional<StagedUpload::Piece> rows_piece;
    const auto add_rows = [&](const float* values, int rows) {
      const auto piece = ub.add_bytes(values, static_cast<std::size_t>(rows) * row_bytes, !rows_piece.has_value());
      if (!rows_piece) rows_piece = piece;
      const int begin = uploaded_rows;
      uploaded_rows += rows;
      return begin;
    };
    for (const auto& item : batch) {
      const TextStates* text = item.text.get();
      if (!text_rows_.contains(text)) text_rows_.emplace(text, add_rows(text->values.data(), text->len));
    }
    // Per distinct hint, its rows as gather indices: uploaded rows are >= 0; computed rows (the hint
    // stage's output) are encoded -1 - row.
    hint_source_.assign(hint_plan_.unique_count(), 0);
    for (std::size_t u = 0; u < hint_plan_.unique_count(); ++u) {
      if (const float* cached = hint_plan_.cached(u)) {
        hint_source_[u] = add_rows(cached, static_cast<int>(hint_plan_.unique_hint(u).ids.size()));
      } else {
        hint_source_[u] = -1 - hint_plan_.computed_row(u);
      }
    }

    // [text ; hint] rows of every item, stacked; each item attends only within itself, and the last layer
    // computes only the text rows (the heads never read the hint rows; their keys and values still count).
    source_rows_.clear();
    full_.clear();
    last_.clear();
    int rows = 0;
    int text_rows = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const int n = batch[i].text->len;
      const int m = static_cast<int>(batch[i].hint.ids.size());
      const int text_begin = text_rows_.at(batch[i].text.get());
      for (int r = 0; r < n; ++r) source_rows_.push_back(text_begin + r);
      const int hint_begin = hint_source_[hint_plan_.unique_of(i)];
      for (int r = 0; r < m; ++r) source_rows_.push_back(hint_begin >= 0 ? hint_begin + r : hint_begin - r);
      full_.add(rows, n + m, n + m, rows);
      last_.add(rows, n + m, n, text_rows);
      rows += n + m;
      text_rows += n;
    }
    full_.finish();
    last_.finish();
    const auto source_piece = ub.add(std::span<const std::int32_t>(source_rows_));
    const LayoutPieces full_pieces = cuda::add_layout(ub, full_);
    const LayoutPieces last_pieces = cuda::add_layout(ub, last_);

    const auto carve = [&](ArenaCarver& on_a, ArenaCarver& on_b) {
      CrossBuffers x;
      x.inputs_a = static_cast<std::byte*>(on_a.take_bytes(ua.bytes()));
      if (missed_rows > 0) x.hint = cuda::carve_stage(on_a, missed_rows, dims_);
      x.inputs_b = split_ ? static_cast<std::byte*>(on_b.take_bytes(ub.bytes())) : x.inputs_a;
      x.computed_hints = split_ && missed_rows > 0 ? on_b.take<float>(static_cast<std::size_t>(missed_rows) * h)
                                                   : x.hint.hidden;
      x.cross = cuda::carve_stage(on_b, rows, dims_);
      x.logits = on_b.take<float>(2 * static_cast<std::size_t>(text_rows));
      return x;
    };
    const std::size_t logit_bytes = 2 * static_cast<std::size_t>(text_rows) * sizeof(float);
    const std::size_t computed_bytes = static_cast<std::size_t>(missed_rows) * row_bytes;
    const bool download_hints = missed_rows > 0 && hint_cache_.enabled();
    const std::size_t computed_at = cuda::align_up(logit_bytes, cuda::kDeviceAlignment);
    const CrossBuffers x = carve_measured(a, b, carve);
    a.upload().ensure(ua.bytes());
    if (split_) b.upload().ensure(ub.bytes());
    b.download().ensure(computed_at + (download_hints ? computed_bytes : 0));

    // The hint stage for the hints the cache did not hold, on the text GPU.
    {
      DeviceGuard guard(a.device());
      ua.send(a.upload().data(), x.inputs_a, a.stream());  // with one GPU: the cross inputs too
      if (missed_rows > 0) encode(a, ua, x.inputs_a, hint_pieces, tokens_, x.hint);
    }
    DeviceGuard guard(b.device());
    if (split_) {
      ub.send(b.upload().data(), x.inputs_b, b.stream());
      if (missed_rows > 0) {
        a.synchronize();  // the hint states are complete before they cross over
        UNINLU_CUDA_CHECK(cudaMemcpyPeerAsync(x.computed_hints, b.device(), x.hint.hidden, a.device(), computed_bytes,
                                              b.stream()));
      }
    }
    // [text ; hint] per item, then the cross layers (the last one pruned to the text rows), then the heads.
    const float* uploaded = rows_piece ? ub.on_device<float>(x.inputs_b, *rows_piece) : nullptr;
    cuda::gather_rows(uploaded, x.computed_hints, ub.on_device<std::int32_t>(x.inputs_b, source_piece), rows,
                      hidden_, x.cross.hidden, x.cross.hidden_low, dims_.type, b.stream());
    const auto& layers = b.cross().layers;
    const cuda::DeviceAttentionLayout full = cuda::device_layout(ub, x.inputs_b, full_pieces, full_);
    const cuda::DeviceAttentionLayout last = cuda::device_layout(ub, x.inputs_b, last_pieces, last_);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      cuda::encoder_layer_forward(layers[l], dims_, x.cross.hidden, x.cross.hidden_low, rows,
                                  l + 1 == layers.size() ? last : full, x.cross.layer, b.gemm(), b.stream());
    }
    cuda::span_logits(x.cross.hidden, b.cross().classifier_weight, b.cross().classifier_bias, x.logits, text_rows,
                      hidden_, b.stream());
    UNINLU_CUDA_CHECK(cudaMemcpyAsync(b.download().data(), x.logits, logit_bytes, cudaMemcpyDeviceToHost, b.stream()));
    if (download_hints) {
      UNINLU_CUDA_CHECK(cudaMemcpyAsync(b.download().data() + computed_at, x.computed_hints, computed_bytes,
                                        cudaMemcpyDeviceToHost, b.stream()));
    }
    b.synchronize();

    std::vector<SpanLogits> out = split_span_logits(reinterpret_cast<const float*>(b.download().data()), batch);
    if (download_hints) {
      hint_plan_.remember(reinterpret_cast<const float*>(b.download().data() + computed_at), hidden_, hint_cache_);
    }
    return out;
  }

  std::shared_ptr<const cuda::ModelImage> image_;
  CudaBackendOptions options_;
  bool split_;
  int hidden_;
  std::string name_;
  cuda::LayerDims dims_;
  cuda::FaultInjector faults_;
  cuda::RecoveryPlan recovery_;
  std::unique_ptr<cuda::DeviceLease> lease_;  // this backend's GPUs in the process-wide registry
  std::size_t reserved_tokens_ = 0;
  std::unique_ptr<DeviceContext> text_ctx_;
  std::unique_ptr<DeviceContext> cross_owned_;  // the second GPU's context with a layer split
  DeviceContext* cross_ctx_ = nullptr;         // text_ctx_ or cross_owned_

  HintCache hint_cache_;
  // Per-call host scratch, kept to avoid reallocating.
  HintPlan hint_plan_;
  HostTokens tokens_;
  StagedUpload upload_a_, upload_b_;
  std::vector<HintInput> hints_;
  std::vector<int> hint_source_;      // per distinct hint: gather index of its first row
  std::unordered_map<const TextStates*, int> text_rows_;  // distinct text windows: first uploaded row
  std::vector<std::int32_t> source_rows_;
  cuda::HostAttentionLayout full_, last_;
};

CudaBackend::CudaBackend(const ModelConfig& config, const SiameseWeights& weights, const CudaBackendOptions& options)
    : CudaBackend(cuda::build_model_image(config, weights, options.precision), options) {}

CudaBackend::CudaBackend(std::shared_ptr<const cuda::ModelImage> image, const CudaBackendOptions& options)
    : impl_(std::make_unique<Impl>(std::move(image), options)) {}

CudaBackend::~CudaBackend() = default;

std::string CudaBackend::name() const { return impl_->name(); }
Precision CudaBackend::precision() const { return impl_->precision(); }

std::vector<std::shared_ptr<const TextStates>> CudaBackend::run_text(std::span<const TextInput> batch) {
  return impl_->run_text(batch);
}
std::vector<SpanLogits> CudaBackend::run_cross(std::span<const CrossInput> batch) { return impl_->run_cross(batch); }
std::vector<TextStates> CudaBackend::run_hint(std::span<const HintInput> batch) { return impl_->run_hint(batch); }

void CudaBackend::reserve_tokens(std::size_t tokens) { impl_->reserve_tokens(tokens); }
std::size_t CudaBackend::activation_bytes(std::size_t tokens) const { return impl_->activation_bytes(tokens); }
std::size_t CudaBackend::weight_bytes() const { return impl_->weight_bytes(); }
int CudaBackend::device() const noexcept { return impl_->device(); }
int CudaBackend::cross_device() const noexcept { return impl_->cross_device(); }
std::string CudaBackend::describe() const { return impl_->describe(); }

std::unique_ptr<Backend> make_cuda_backend(const ModelConfig& config, const SiameseWeights& weights,
                                           const CudaBackendOptions& options) {
  return std::make_unique<CudaBackend>(config, weights, options);
}

}  // namespace uninlu
