// The CUDA backend's host-side logic, which runs (and is checked) on machines without a GPU too: the
// injected faults' exceptions, the weight image, the attention tiles, the staged upload layout, and the
// no-GPU paths of device discovery and construction.
#include <gtest/gtest.h>

#include <cstring>

#include "core/dtype.h"
#include "core/error.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_encoder_layer.h"
#include "kernels/cuda/cuda_error.h"
#include "engine/cuda/cuda_runtime_info.h"
#include "engine/cuda/device_arena.h"
#include "engine/cuda/fault_injection.h"
#include "engine/cuda/model_image.h"
#include "engine/cuda/staged_upload.h"
#include "serving/cuda_devices.h"
#include "test_model.h"

namespace uninlu {
namespace {

using cuda::InjectedFault;

// The rules themselves (parsing, triggers, precedence) are tested without CUDA in tests/gpu_host.

TEST(FaultInjection, ThrowsWhatARealFaultWould) {
  EXPECT_THROW(cuda::throw_injected_fault(InjectedFault::OutOfMemory, "cuda:0", 1), cuda::CudaOutOfMemory);
  try {
    cuda::throw_injected_fault(InjectedFault::Sticky, "cuda:0", 2);
  } catch (const cuda::CudaError& e) {
    EXPECT_TRUE(e.sticky());
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);  // a device fault to the scheduler, not an input error
  }
  try {
    cuda::throw_injected_fault(InjectedFault::Error, "cuda:0", 3);
  } catch (const cuda::CudaOutOfMemory&) {
    ADD_FAILURE() << "an error is not an out-of-memory";
  } catch (const cuda::CudaError& e) {
    EXPECT_FALSE(e.sticky());
  }
}

TEST(CudaErrors, CarryTheCallTheLocationAndTheLibraryString) {
  try {
    UNINLU_CUDA_CHECK(cudaErrorMemoryAllocation);
    FAIL();
  } catch (const cuda::CudaOutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorMemoryAllocation"), std::string::npos) << e.what();
    EXPECT_NE(e.where().find("tests/gpu/host_side_test.cc:"), std::string::npos) << e.where();
    EXPECT_EQ(e.call(), "cudaErrorMemoryAllocation");
  }
  try {
    UNINLU_CUDA_CHECK(cudaErrorIllegalAddress);
    FAIL();
  } catch (const cuda::CudaError& e) {
    EXPECT_TRUE(e.sticky());
  }
  try {
    UNINLU_CUBLAS_CHECK(CUBLAS_STATUS_ALLOC_FAILED);
    FAIL();
  } catch (const cuda::CudaOutOfMemory& e) {
    EXPECT_EQ(e.source(), cuda::CudaError::Source::Cublas);
  }
  EXPECT_THROW(UNINLU_CUBLAS_CHECK(CUBLAS_STATUS_EXECUTION_FAILED), cuda::CudaError);
}

TEST(ModelImage, LaysOutConvertedWeightsAtAlignedOffsets) {
  const ModelConfig config = test::tiny_config();
  const SiameseWeights weights = test::random_weights(config, 5);
  for (Precision p : {Precision::F32, Precision::F16, Precision::BF16}) {
    const auto image = cuda::build_model_image(config, weights, p);
    ASSERT_EQ(image->text_layers.size(), 6u);
    ASSERT_EQ(image->cross_layers.size(), 6u);
    EXPECT_EQ(image->head_dim(), 8);
    const auto& l = image->cross_layers[2];
    for (std::size_t offset : {l.qkv_weight, l.qkv_bias, l.output_weight, l.ffn1_weight, l.ffn2_weight, l.output_beta,
                               image->classifier.weight, image->classifier.bias}) {
      EXPECT_EQ(offset % cuda::kDeviceAlignment, 0u);
    }
    // The key block of the fused QKV weight is the checkpoint's key weight, converted.
    const int h = config.hidden_size;
    const float* key = weights.cross_layers[2].key.weight.data<float>();
    const std::byte* base = image->cross_part.data() + l.qkv_weight;
    const std::size_t element = cuda::gemm_type_size(image->gemm_type);
    for (int i = 0; i < h * h; i += 37) {
      const std::byte* at = base + (static_cast<std::size_t>(h) * h + static_cast<std::size_t>(i)) * element;
      if (p == Precision::F32) {
        float v;
        std::memcpy(&v, at, 4);
        EXPECT_EQ(v, key[i]);
      } else {
        std::uint16_t bits;
        std::memcpy(&bits, at, 2);
        EXPECT_EQ(bits, p == Precision::F16 ? float_to_half(key[i]) : float_to_bf16(key[i]));
      }
    }
    // Biases stay fp32: the value bias block follows the query and key biases.
    float bias;
    std::memcpy(&bias, image->cross_part.data() + l.qkv_bias + 2 * static_cast<std::size_t>(h) * 4, 4);
    EXPECT_EQ(bias, weights.cross_layers[2].value.bias.data<float>()[0]);
    float tail_bias;
    std::memcpy(&tail_bias, image->cross_part.data() + image->classifier.bias + 4, 4);
    EXPECT_EQ(tail_bias, weights.tail.bias.data<float>()[0]);
  }
}

TEST(ModelImage, RefusesWhatTheGpuCannotRun) {
  ModelConfig config = test::tiny_config();
  const SiameseWeights weights = test::random_weights(config, 5);
  try {
    cuda::build_model_image(config, weights, Precision::Int8);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
  SiameseWeights missing = weights;
  missing.cross_layers[1].output.weight = HostTensor();
  try {
    cuda::build_model_image(config, missing, Precision::F16);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ModelLoad);
    EXPECT_NE(std::string(e.what()).find("cross layer 1 output.dense.weight"), std::string::npos) << e.what();
  }
}

TEST(AttentionLayout, TilesAndResidualRowsOfAPrunedLayer) {
  cuda::HostAttentionLayout layout;
  layout.add(0, 40, 40, 0);
  layout.add(40, 3, 3, 40);
  layout.finish();
  EXPECT_FALSE(layout.pruned);
  EXPECT_EQ(layout.tiles.size(), 3u + 1u);  // 40 queries in tiles of 16, then 3
  EXPECT_TRUE(layout.residual_rows.empty());

  cuda::HostAttentionLayout last;
  last.add(0, 40, 17, 0);   // 17 text rows of a 40-row item
  last.add(40, 10, 4, 17);  // 4 text rows of a 10-row item
  last.finish();
  EXPECT_TRUE(last.pruned);
  EXPECT_EQ(last.out_rows, 21);
  ASSERT_EQ(last.tiles.size(), 3u);
  EXPECT_EQ(last.tiles[1].q_begin, 16);
  EXPECT_EQ(last.tiles[2].sequence, 1);
  ASSERT_EQ(last.residual_rows.size(), 21u);
  EXPECT_EQ(last.residual_rows[16], 16);
  EXPECT_EQ(last.residual_rows[17], 40);
  EXPECT_EQ(last.residual_rows[20], 43);
}

TEST(StagedUpload, AlignsPiecesButKeepsRowPiecesContiguous) {
  cuda::StagedUpload up;
  const std::vector<std::int32_t> ids = {1, 2, 3};
  const std::vector<float> rows_a(8, 1.0f), rows_b(4, 2.0f);
  const auto p_ids = up.add(std::span<const std::int32_t>(ids));
  const auto p_a = up.add_bytes(rows_a.data(), rows_a.size() * 4, true);
  const auto p_b = up.add_bytes(rows_b.data(), rows_b.size() * 4, false);
  std::byte* base = reinterpret_cast<std::byte*>(std::uintptr_t{4096});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(up.on_device<std::int32_t>(base, p_ids)), 4096u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(up.on_device<float>(base, p_a)), 4096u + 256u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(up.on_device<float>(base, p_b)), 4096u + 256u + 32u);
  EXPECT_EQ(up.bytes(), 512u);
}

TEST(ArenaCarver, MeasuresWhatItLaterCarves) {
  cuda::ArenaCarver measure;
  EXPECT_EQ(measure.take<float>(3), nullptr);
  measure.take_bytes(1);
  EXPECT_EQ(measure.used(), 512u);
  std::vector<std::byte> memory(512);
  cuda::ArenaCarver real(memory.data(), memory.size());
  EXPECT_EQ(static_cast<void*>(real.take<float>(3)), static_cast<void*>(memory.data()));
  EXPECT_EQ(real.take_bytes(1), memory.data() + 256);
  EXPECT_THROW(real.take_bytes(1), Error);  // past the capacity: a sizing bug, never a silent overflow
}

// The runtime this binary links (static cudart) and the CUDA version the driver supports (0: no driver).
// run_on_gpu.sh prints these first: a driver older than the runtime makes every GPU test skip.
TEST(CudaVersions, RuntimeAndDriver) {
  int runtime = 0;
  int driver = 0;
  EXPECT_EQ(cudaRuntimeGetVersion(&runtime), cudaSuccess);
  (void)cudaDriverGetVersion(&driver);
  (void)cudaGetLastError();
  std::printf("cuda runtime %d.%d, driver supports %d.%d%s\n", runtime / 1000, runtime % 1000 / 10, driver / 1000,
              driver % 1000 / 10, driver != 0 && driver < runtime ? " (older than the runtime: no GPU is usable)" : "");
  EXPECT_GT(runtime, 0);
}

TEST(NoGpu, DiscoveryReportsZeroWithAReason) {
  std::string why;
  const int count = cuda_device_count(&why);
  if (count > 0) GTEST_SKIP() << count << " GPU(s) here: the no-GPU path is not reachable";
  EXPECT_EQ(count, 0);
  EXPECT_FALSE(why.empty());
  std::printf("no GPU: %s\n", why.c_str());
  EXPECT_EQ(cuda::visible_device_count(nullptr), 0);
}

TEST(NoGpu, ConstructingABackendFailsCleanly) {
  if (cuda_device_count(nullptr) > 0) GTEST_SKIP() << "a GPU is here";
  const ModelConfig config = test::tiny_config();
  const SiameseWeights weights = test::random_weights(config, 5);
  CudaBackendOptions o;
  o.fault_injection = "";
  try {
    CudaBackend backend(config, weights, o);
    FAIL() << "a backend without a GPU";
  } catch (const Error& e) {
    std::printf("without a GPU: %s\n", e.what());
  }
}

TEST(NoGpu, NoOrdinalsMeansNoDevices) {
  ServiceOptions options;
  ModelDir model;
  EXPECT_TRUE(make_cuda_devices({}, options, model).empty());
}

}  // namespace
}  // namespace uninlu
