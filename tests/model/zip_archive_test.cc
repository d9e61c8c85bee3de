// The zip reader on archives assembled here byte by byte (plain and ZIP64, as torch writes them), on
// broken ones, and on what torch.save really wrote.
#include "model/zip_archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/mapped_file.h"
#include "test_support.h"

namespace uninlu {
namespace {

using ::testing::HasSubstr;
using uninlu::testing::load_error;

void put16(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 2; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
}
void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
}
void put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
}

struct FileSpec {
  std::string name;
  std::string data;
  std::uint16_t method = 0;
};

// Writes a zip the way torch's writer does: local headers (sizes in the central directory, flag bit 3),
// data padded to 64 bytes through the local extra field, then the central directory and end records.
std::string build_zip(const std::vector<FileSpec>& files, bool zip64) {
  std::string out;
  std::vector<std::uint64_t> offsets;
  for (const auto& f : files) {
    offsets.push_back(out.size());
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, 0x0808);
    put16(out, f.method);
    put32(out, 0);  // time, date
    put32(out, 0);  // crc (in the central directory)
    put32(out, 0);  // sizes (ditto)
    put32(out, 0);
    put16(out, static_cast<std::uint32_t>(f.name.size()));
    const std::size_t unpadded = out.size() + 2 + f.name.size() + 4;
    const std::size_t padding = (64 - unpadded % 64) % 64;
    put16(out, static_cast<std::uint32_t>(4 + padding));
    out += f.name;
    put16(out, 0x4246);  // "FB", torch's padding field
    put16(out, static_cast<std::uint32_t>(padding));
    out += std::string(padding, 'Z');
    out += f.data;
  }
  const std::uint64_t directory = out.size();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    put32(out, 0x02014b50);
    put16(out, 0x031e);
    put16(out, 45);
    put16(out, 0x0808);
    put16(out, f.method);
    put32(out, 0);
    put32(out, crc32(f.data));
    put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(f.data.size()));
    put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(f.data.size()));
    put16(out, static_cast<std::uint32_t>(f.name.size()));
    put16(out, zip64 ? 28 : 0);
    put16(out, 0);  // comment
    put16(out, 0);  // disk
    put16(out, 0);  // internal attributes
    put32(out, 0);  // external attributes
    put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(offsets[i]));
    out += f.name;
    if (zip64) {
      put16(out, 0x0001);
      put16(out, 24);
      put64(out, f.data.size());
      put64(out, f.data.size());
      put64(out, offsets[i]);
    }
  }
  const std::uint64_t directory_size = out.size() - directory;
  if (zip64) {
    const std::uint64_t end64 = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 0x031e);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, files.size());
    put64(out, files.size());
    put64(out, directory_size);
    put64(out, directory);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, end64);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xffffu : static_cast<std::uint32_t>(files.size()));
  put16(out, zip64 ? 0xffffu : static_cast<std::uint32_t>(files.size()));
  put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(directory_size));
  put32(out, zip64 ? 0xffffffffu : static_cast<std::uint32_t>(directory));
  put16(out, 0);
  return out;
}

const std::vector<FileSpec> kFiles = {{"archive/data.pkl", "\x80\x02N.", 0},
                                      {"archive/data/0", std::string(40, '\x01'), 0},
                                      {"archive/version", "3\n", 0}};

TEST(Crc32, MatchesTheStandardCheckValue) { EXPECT_EQ(crc32("123456789"), 0xcbf43926u); }

TEST(ZipArchive, ReadsAPlainArchive) {
  const std::string bytes = build_zip(kFiles, false);
  const ZipArchive zip = ZipArchive::parse(bytes, "plain.zip");
  ASSERT_EQ(zip.entries().size(), 3u);
  EXPECT_EQ(zip.entries()[1].name, "archive/data/0");
  const ZipEntry* data = zip.find("archive/data/0");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(zip.contents(*data), kFiles[1].data);
  EXPECT_EQ(data->data_offset % 64, 0u);
  EXPECT_TRUE(zip.crc_matches(*data));
  EXPECT_EQ(zip.contents(*zip.find("archive/version")), "3\n");
  EXPECT_EQ(zip.find("archive/data/1"), nullptr);
}

TEST(ZipArchive, ReadsZip64Records) {
  const std::string bytes = build_zip(kFiles, true);
  const ZipArchive zip = ZipArchive::parse(bytes, "zip64.zip");
  ASSERT_EQ(zip.entries().size(), 3u);
  for (std::size_t i = 0; i < kFiles.size(); ++i) {
    EXPECT_EQ(zip.entries()[i].name, kFiles[i].name);
    EXPECT_EQ(zip.contents(zip.entries()[i]), kFiles[i].data);
    EXPECT_TRUE(zip.crc_matches(zip.entries()[i]));
  }
}

TEST(ZipArchive, DetectsACorruptedEntryThroughItsCrc) {
  std::string bytes = build_zip(kFiles, true);
  const ZipArchive clean = ZipArchive::parse(bytes, "x.zip");
  bytes[static_cast<std::size_t>(clean.find("archive/data/0")->data_offset)] ^= 0x40;
  const ZipArchive zip = ZipArchive::parse(bytes, "x.zip");
  EXPECT_FALSE(zip.crc_matches(*zip.find("archive/data/0")));
}

TEST(ZipArchive, RefusesACompressedEntry) {
  auto files = kFiles;
  files[1].method = 8;
  const std::string bytes = build_zip(files, false);
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes, "deflated.zip"); }),
              HasSubstr("deflated.zip: entry archive/data/0 is compressed (zip method 8)"));
}

TEST(ZipArchive, RefusesATruncatedArchive) {
  const std::string bytes = build_zip(kFiles, true);
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes.substr(0, bytes.size() - 10), "cut.zip"); }),
              HasSubstr("cut.zip: truncated or not a zip archive: no end-of-central-directory record"));
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes.substr(0, 10), "tiny.zip"); }),
              HasSubstr("tiny.zip: truncated zip archive"));
  EXPECT_THAT(load_error([&] { ZipArchive::parse("", "empty.zip"); }), HasSubstr("empty.zip: truncated zip archive"));
}

TEST(ZipArchive, RefusesACorruptCentralDirectory) {
  for (const bool zip64 : {false, true}) {
    std::string bytes = build_zip(kFiles, zip64);
    const auto second = bytes.find("PK\x01\x02", bytes.find("PK\x01\x02") + 4);
    bytes[second + 2] = 'X';
    EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes, "cd.zip"); }),
                HasSubstr("cd.zip: corrupt zip archive: central directory entry 1 at byte " + std::to_string(second) +
                          " has no central-directory signature"));
  }
}

TEST(ZipArchive, RefusesALocalHeaderThatDisagreesWithTheDirectory) {
  std::string bytes = build_zip(kFiles, false);
  const auto local = bytes.find("archive/data/0");  // the first occurrence is in the local header
  bytes[local + 13] = '9';
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes, "local.zip"); }),
              HasSubstr("entry archive/data/0: its local header at byte"));
}

TEST(ZipArchive, RefusesAnEntryThatRunsIntoTheDirectory) {
  auto files = kFiles;
  std::string bytes = build_zip(files, false);
  // Claim 4000 bytes for data/0 in its central header (compressed and uncompressed size).
  const auto second = bytes.find("PK\x01\x02", bytes.find("PK\x01\x02") + 4);
  for (const std::size_t field : {std::size_t{20}, std::size_t{24}}) {
    std::string size;
    put32(size, 4000);
    bytes.replace(second + field, 4, size);
  }
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes, "long.zip"); }),
              HasSubstr("entry archive/data/0 (4000 bytes at"));
}

TEST(ZipArchive, RefusesDuplicateNames) {
  const std::string bytes = build_zip({kFiles[0], kFiles[1], kFiles[1]}, false);
  EXPECT_THAT(load_error([&] { ZipArchive::parse(bytes, "dup.zip"); }),
              HasSubstr("entry archive/data/0 appears twice"));
}

// What the tests above assume about torch: ZIP64 end records, and every record 64-byte aligned, which is
// what lets float32 tensors be used in place.
TEST(ZipArchive, ReadsWhatTorchSaveWrote) {
  const auto file = MappedFile::open(uninlu::testing::tiny_dir() + "/pytorch_model.bin");
  const ZipArchive zip = ZipArchive::parse(file->view(), file->path());
  EXPECT_NE(file->view().find(std::string_view("PK\x06\x06", 4)), std::string_view::npos) << "no ZIP64 end record";
  ASSERT_GT(zip.entries().size(), 200u);
  EXPECT_EQ(zip.entries().front().name, "pytorch_model/data.pkl");  // torch 1.13 names the prefix after the file
  for (const auto& entry : zip.entries()) {
    EXPECT_EQ(entry.data_offset % 64, 0u) << entry.name;
    EXPECT_TRUE(zip.crc_matches(entry)) << entry.name;
  }
}

}  // namespace
}  // namespace uninlu
