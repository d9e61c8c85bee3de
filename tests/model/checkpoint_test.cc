// The checkpoint readers on files torch.save (and the safetensors writer) produced: every tensor must
// equal what was saved (sha256 of its bytes, from the manifests), and every broken file must be refused
// with a message that names the file and, where one is at fault, the tensor.
#include "model/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include "test_support.h"

namespace uninlu {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using uninlu::testing::load_error;
using uninlu::testing::loader_dir;
using uninlu::testing::variant_dir;

struct SavedCheckpoint {
  std::string variant;
  std::string file;
  std::string format;
};

// Readable in test names and failure messages.
void PrintTo(const SavedCheckpoint& p, std::ostream* os) { *os << p.variant << "/" << p.file; }

std::string case_name(const ::testing::TestParamInfo<SavedCheckpoint>& info) {
  std::string name = info.param.variant + "_" + info.param.file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ReadsWhatWasSaved : public ::testing::TestWithParam<SavedCheckpoint> {};

TEST_P(ReadsWhatWasSaved, EveryTensorEqualsTheManifest) {
  const auto& p = GetParam();
  const Checkpoint ckpt = read_checkpoint(variant_dir(p.variant) + "/" + p.file);
  EXPECT_EQ(ckpt.format, p.format);
  const auto manifest = uninlu::testing::load_manifest(p.variant, p.file);
  ASSERT_EQ(ckpt.tensors.size(), manifest.size());
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    const auto& expected = manifest[i];
    const auto& got = ckpt.tensors[i];
    ASSERT_EQ(got.name, expected.name) << "tensors out of file order at " << i;
    EXPECT_EQ(dtype_name(got.tensor.dtype()), expected.dtype) << got.name;
    EXPECT_EQ(got.tensor.shape(), expected.shape) << got.name;
    EXPECT_EQ(uninlu::testing::sha256_of(got.tensor), expected.sha256) << got.name;
    // Engines read these in place: every tensor is aligned at least for its dtype.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(got.tensor.raw()) % dtype_size(got.tensor.dtype()), 0u) << got.name;
  }
  EXPECT_EQ(ckpt.find("plm.embeddings.LayerNorm.weight"), &ckpt.tensors[4]);
  EXPECT_EQ(ckpt.find("no.such.tensor"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, ReadsWhatWasSaved,
                         ::testing::Values(SavedCheckpoint{"tiny", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"tiny", "model.safetensors", "safetensors"},
                                           SavedCheckpoint{"plm", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"plm", "model.safetensors", "safetensors"},
                                           SavedCheckpoint{"fp16", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"fp16", "model.safetensors", "safetensors"},
                                           SavedCheckpoint{"bf16", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"bf16", "model.safetensors", "safetensors"},
                                           SavedCheckpoint{"st-only", "model.safetensors", "safetensors"},
                                           SavedCheckpoint{"views", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"proto4", "pytorch_model.bin", "pytorch-zip"},
                                           SavedCheckpoint{"rezipped", "pytorch_model.bin", "pytorch-zip"}),
                         case_name);

TEST(TorchCheckpoint, Float32TensorsAreUsedInPlace) {
  const Checkpoint ckpt = read_torch_checkpoint(variant_dir("views") + "/pytorch_model.bin");
  const auto data = [&](const char* name) { return static_cast<const std::byte*>(ckpt.find(name)->tensor.raw()); };
  // head and tail are two views of one storage: borrowed, they sit one row apart in the mapping.
  EXPECT_EQ(data("tail_clsf.weight"), data("head_clsf.weight") + 32 * sizeof(float));
  // Two names for one tensor share its bytes.
  EXPECT_EQ(data("plm.pooler.dense.weight"), data("plm.encoder.layer.5.attention.output.dense.weight"));
  // A contiguous view at a storage offset (3 rows in) is borrowed too; torch aligns storages to 64 bytes.
  EXPECT_EQ(
      reinterpret_cast<std::uintptr_t>(data("plm.embeddings.word_embeddings.weight") - 3 * 32 * sizeof(float)) % 64,
      0u);
  // Strided views are copied into 64-byte-aligned memory.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data("plm.encoder.layer.0.attention.self.query.weight")) % 64, 0u);
}

TEST(TorchCheckpoint, TensorsOutliveTheCheckpoint) {
  HostTensor word;
  {
    const Checkpoint ckpt = read_checkpoint(variant_dir("tiny") + "/pytorch_model.bin");
    word = ckpt.find("plm.embeddings.word_embeddings.weight")->tensor;
  }
  const auto manifest = uninlu::testing::load_manifest("tiny", "pytorch_model.bin");
  EXPECT_EQ(uninlu::testing::sha256_of(word), manifest[0].sha256);  // the mapping is still there
}

// ------------------------------------------------------------------------------------ refused files

std::string bad(const std::string& name) { return loader_dir("bad/" + name); }

TEST(TorchCheckpoint, RefusesTheLegacyFormatAndSaysHowToConvert) {
  const std::string path = bad("legacy.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              AllOf(HasSubstr(path + " is a PyTorch checkpoint in the legacy non-zip format"),
                    HasSubstr("Re-save it once with torch >= 1.6")));
  EXPECT_THAT(load_error([&] { read_torch_checkpoint(path); }), HasSubstr("legacy non-zip format"));
}

TEST(TorchCheckpoint, RefusesATruncatedFile) {
  const std::string path = bad("truncated.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": truncated or not a zip archive: no end-of-central-directory record"));
}

TEST(TorchCheckpoint, RefusesACorruptCentralDirectory) {
  const std::string path = bad("corrupt-cd.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              AllOf(HasSubstr(path + ": corrupt zip archive: central directory entry 2 at byte"),
                    HasSubstr("has no central-directory signature")));
}

TEST(TorchCheckpoint, RefusesACompressedArchive) {
  const std::string path = bad("compressed.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": entry pytorch_model/data.pkl is compressed (zip method 8)"));
}

TEST(TorchCheckpoint, RefusesAnArchiveWithoutDataPkl) {
  const std::string path = bad("no-data-pkl.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": the zip archive holds no <name>/data.pkl record"));
}

TEST(TorchCheckpoint, NamesTheTensorWhoseStorageRecordIsMissing) {
  const std::string path = bad("missing-storage.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": tensor plm.embeddings.LayerNorm.bias: storage record archive/data/5 is missing"));
}

TEST(TorchCheckpoint, NamesTheTensorWhoseStorageIsTooSmall) {
  const std::string path = bad("short-storage.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": tensor plm.embeddings.LayerNorm.bias: storage record archive/data/5 holds 64 bytes, "
                               "too small for its 32 float32 elements"));
}

TEST(TorchCheckpoint, NamesTheTensorWhoseViewRunsPastItsStorage) {
  const std::string path = bad("view-out-of-range.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": tensor plm.embeddings.word_embeddings.weight (size [21129, 32], stride [32, 1], "
                               "offset 0) reaches element 676127 of storage archive/data/0, which holds only 676096 "
                               "elements"));
}

TEST(TorchCheckpoint, RefusesBigEndianData) {
  const std::string path = bad("big-endian.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": the checkpoint was saved on a big-endian machine (archive/byteorder says \"big\")"));
}

TEST(TorchCheckpoint, NamesAnUnsupportedGlobal) {
  const std::string path = bad("unsupported-global.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              AllOf(HasSubstr(path + ": archive/data.pkl: unsupported pickle global fractions.Fraction at byte")));
}

TEST(TorchCheckpoint, NamesAnUnsupportedOpcode) {
  const std::string path = bad("unsupported-opcode.bin");
  EXPECT_THAT(load_error([&] { read_checkpoint(path); }),
              HasSubstr(path + ": archive/data.pkl: unsupported pickle opcode EMPTY_SET (0x8f) at byte"));
}

TEST(TorchCheckpoint, RefusesSomethingOtherThanAStateDict) {
  EXPECT_THAT(load_error([] { read_checkpoint(bad("not-a-dict.bin")); }),
              HasSubstr("not-a-dict.bin: the checkpoint holds an object of type list; expected a state dict"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("non-tensor.bin")); }),
              HasSubstr("non-tensor.bin: state dict entry epoch has type int; expected a tensor"));
}

TEST(ReadCheckpoint, RefusesFilesThatAreNoCheckpoint) {
  EXPECT_THAT(
      load_error([] { read_checkpoint(bad("not-a-checkpoint.bin")); }),
      HasSubstr("not-a-checkpoint.bin is neither a PyTorch zip checkpoint (torch.save) nor a safetensors file"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("empty.bin")); }), HasSubstr("empty.bin is empty (0 bytes)"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("does-not-exist.bin")); }),
              HasSubstr("cannot open " + bad("does-not-exist.bin")));
  EXPECT_THAT(load_error([] { read_torch_checkpoint(variant_dir("tiny") + "/model.safetensors"); }),
              HasSubstr("model.safetensors is not a PyTorch zip checkpoint"));
}

TEST(Safetensors, RefusesBrokenFiles) {
  EXPECT_THAT(load_error([] { read_checkpoint(bad("st-truncated.safetensors")); }),
              AllOf(HasSubstr("st-truncated.safetensors: tensor "), HasSubstr("run past the end of the data")));
  EXPECT_THAT(
      load_error([] { read_checkpoint(bad("st-header-length.safetensors")); }),
      HasSubstr("st-header-length.safetensors: safetensors header length 1000000000 runs past the end of the file"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("st-bad-json.safetensors")); }),
              HasSubstr("st-bad-json.safetensors: safetensors header is not valid JSON"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("st-overlap.safetensors")); }),
              HasSubstr("st-overlap.safetensors: tensors first and second overlap"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("st-bad-dtype.safetensors")); }),
              HasSubstr("st-bad-dtype.safetensors: tensor w has dtype F8_E4M3, which uninlu does not read"));
  EXPECT_THAT(load_error([] { read_checkpoint(bad("st-size-mismatch.safetensors")); }),
              HasSubstr("st-size-mismatch.safetensors: tensor w: data_offsets [0, 16] span 16 bytes, but shape [2, 3] "
                        "of float32 needs 24"));
  EXPECT_THAT(
      load_error([] { read_checkpoint(bad("st-out-of-bounds.safetensors")); }),
      HasSubstr(
          "st-out-of-bounds.safetensors: tensor w: data_offsets [0, 32] run past the end of the data (16 bytes)"));
  EXPECT_THAT(load_error([] { read_safetensors(variant_dir("tiny") + "/pytorch_model.bin"); }),
              HasSubstr("pytorch_model.bin: safetensors header length"));
}

}  // namespace
}  // namespace uninlu
