#include "engine/cuda/device_context.h"

#include "core/error.h"
#include "kernels/cuda/cuda_error.h"

namespace uninlu::cuda {
namespace {

// On the compute stream: a cudaMemcpy from pageable memory on the legacy stream may return before its
// DMA is done, and the compute stream is non-blocking (it does not wait for the legacy stream), so the
// first batch could read half-uploaded weights. The constructor synchronises the stream after the parts.
DeviceBuffer upload_part(int device, const std::vector<std::byte>& bytes, cudaStream_t stream) {
  DeviceBuffer buffer(device, bytes.size());
  DeviceGuard guard(device);
  UNINLU_CUDA_CHECK(cudaMemcpyAsync(buffer.data(), bytes.data(), bytes.size(), cudaMemcpyHostToDevice, stream));
  return buffer;
}

}  // namespace

DeviceContext::DeviceContext(int device, const ModelImage& image, bool text_part, bool cross_part,
                             const GemmOptions& gemm, const std::string& owner)
    : device_(device),
      stream_(device),
      gemm_(device, gemm),
      arena_(device, owner),
      upload_(device, owner + " upload"),
      download_(device, owner + " download") {
  if (text_part) {
    text_weights_ = upload_part(device, image.text_part, stream());
    const std::byte* base = text_weights_.data();
    const auto f32 = [base](std::size_t offset) { return reinterpret_cast<const float*>(base + offset); };
    DeviceTextModel m;
    const auto& e = image.embeddings;
    m.embeddings = {f32(e.word), f32(e.position), f32(e.token_type), f32(e.gamma), f32(e.beta), image.eps,
                    image.hidden};
    for (const auto& l : image.text_layers) m.layers.push_back(resolve_layer(base, l, image.eps));
    text_ = std::move(m);
  }
  if (cross_part) {
    cross_weights_ = upload_part(device, image.cross_part, stream());
    const std::byte* base = cross_weights_.data();
    DeviceCrossModel m;
    for (const auto& l : image.cross_layers) m.layers.push_back(resolve_layer(base, l, image.eps));
    m.classifier_weight = reinterpret_cast<const float*>(base + image.classifier.weight);
    m.classifier_bias = reinterpret_cast<const float*>(base + image.classifier.bias);
    cross_ = std::move(m);
  }
  // The weights are on the device before the first use (also after a rebuild, which constructs anew), and
  // a fault during the upload surfaces here, in the rebuild, rather than in the next batch.
  synchronize();
}

const DeviceTextModel& DeviceContext::text() const {
  if (!text_) fail(ErrorKind::Internal, "device context has no text layers; this is a bug");
  return *text_;
}

const DeviceCrossModel& DeviceContext::cross() const {
  if (!cross_) fail(ErrorKind::Internal, "device context has no cross layers; this is a bug");
  return *cross_;
}

}  // namespace uninlu::cuda
