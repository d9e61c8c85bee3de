#pragma once
// A read-only view of a zip archive that lies in memory (a mapped checkpoint). Just enough of the
// format for PyTorch's container: end-of-central-directory (ZIP64 included; torch always writes the
// ZIP64 records), central directory, local headers. Entries must be stored uncompressed, which is what
// torch.save writes; their bytes are then used in place, without a copy.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uninlu {

struct ZipEntry {
  std::string name;
  std::uint64_t data_offset = 0;  // first byte of the entry's contents, from the start of the archive
  std::uint64_t size = 0;         // of the contents (stored: compressed size == uncompressed size)
  std::uint32_t crc32 = 0;        // as recorded in the central directory
};

class ZipArchive {
 public:
  // Throws Error(ModelLoad) "<source>: ..." for a truncated archive, a corrupt end record or central
  // directory, a local header that disagrees with it, an entry that is compressed or encrypted, an
  // entry that runs past the archive, a multi-disk archive, or a duplicate entry name.
  // `bytes` must outlive the archive and every view taken from it.
  static ZipArchive parse(std::string_view bytes, std::string source);

  const std::vector<ZipEntry>& entries() const noexcept { return entries_; }
  const ZipEntry* find(std::string_view name) const noexcept;
  std::string_view contents(const ZipEntry& entry) const noexcept;
  // Compares the contents with the central directory's CRC-32 (reads every byte: use it for small
  // records such as data.pkl, not for a 400 MB checkpoint on the load path).
  bool crc_matches(const ZipEntry& entry) const noexcept;
  const std::string& source() const noexcept { return source_; }

 private:
  std::string_view bytes_;
  std::string source_;
  std::vector<ZipEntry> entries_;
};

std::uint32_t crc32(std::string_view bytes) noexcept;

}  // namespace uninlu
