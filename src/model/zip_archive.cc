#include "model/zip_archive.h"

#include <array>
#include <bit>
#include <cstring>
#include <unordered_set>

#include "core/error.h"

namespace uninlu {

namespace {

static_assert(std::endian::native == std::endian::little, "the zip reader assumes a little-endian host");

constexpr std::uint32_t kLocalHeaderSig = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kEndSize = 22;
constexpr std::size_t kZip64EndSize = 56;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::uint16_t kZip64ExtraId = 0x0001;

// Reads fixed-size little-endian fields out of the archive, failing with the archive's name instead
// of reading past its end.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  bool fits(std::uint64_t offset, std::uint64_t length) const noexcept {
    return offset <= bytes_.size() && length <= bytes_.size() - offset;
  }
  void require(std::uint64_t offset, std::uint64_t length, const std::string& what) const {
    if (!fits(offset, length)) {
      fail(ErrorKind::ModelLoad, source_ + ": truncated or corrupt zip archive: " + what + " at byte " +
                                     std::to_string(offset) + " runs past the end of the file (" +
                                     std::to_string(bytes_.size()) + " bytes)");
    }
  }
  template <class T>
  T get(std::uint64_t offset) const noexcept {
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof value);
    return value;
  }
  std::string_view slice(std::uint64_t offset, std::uint64_t length) const noexcept {
    return bytes_.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  }
  std::size_t size() const noexcept { return bytes_.size(); }

 private:
  std::string_view bytes_;
  const std::string& source_;
};

struct Directory {
  std::uint64_t entry_count = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

[[noreturn]] void corrupt(const std::string& source, const std::string& what) {
  fail(ErrorKind::ModelLoad, source + ": corrupt zip archive: " + what);
}

// The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
std::uint64_t find_end_record(const Reader& in, const std::string& source) {
  if (in.size() < kEndSize) {
    fail(ErrorKind::ModelLoad, source + ": truncated zip archive: " + std::to_string(in.size()) +
                                   " bytes is too short to hold an end-of-central-directory record");
  }
  const std::uint64_t last = in.size() - kEndSize;
  const std::uint64_t first = last > 0xffff ? last - 0xffff : 0;
  for (std::uint64_t pos = last + 1; pos-- > first;) {
    if (in.get<std::uint32_t>(pos) != kEndSig) continue;
    const std::uint16_t comment_length = in.get<std::uint16_t>(pos + 20);
    if (pos + kEndSize + comment_length <= in.size()) return pos;
  }
  fail(ErrorKind::ModelLoad, source +
                                 ": truncated or not a zip archive: no end-of-central-directory record "
                                 "in its last 64 KiB");
}

Directory read_directory_location(const Reader& in, std::uint64_t end, const std::string& source) {
  if (in.get<std::uint16_t>(end + 4) != 0 || in.get<std::uint16_t>(end + 6) != 0) {
    corrupt(source, "multi-disk archives are not supported");
  }
  Directory dir{in.get<std::uint16_t>(end + 10), in.get<std::uint32_t>(end + 16), in.get<std::uint32_t>(end + 12)};
  const bool has_locator =
      end >= kZip64LocatorSize && in.get<std::uint32_t>(end - kZip64LocatorSize) == kZip64LocatorSig;
  if (!has_locator) {
    if (dir.entry_count == 0xffff || dir.offset == 0xffffffff || dir.size == 0xffffffff) {
      corrupt(source, "the end record asks for ZIP64 values but there is no ZIP64 locator");
    }
    if (dir.offset > end || dir.size > end - dir.offset) {
      corrupt(source, "the central directory (" + std::to_string(dir.size) + " bytes at " + std::to_string(dir.offset) +
                          ") overlaps the end record at byte " + std::to_string(end));
    }
    return dir;
  }
  const std::uint64_t locator = end - kZip64LocatorSize;
  const auto zip64_end = in.get<std::uint64_t>(locator + 8);
  if (zip64_end > locator || locator - zip64_end < kZip64EndSize) {
    corrupt(source,
            "the ZIP64 locator points at byte " + std::to_string(zip64_end) + ", not at a ZIP64 end record before it");
  }
  if (in.get<std::uint32_t>(zip64_end) != kZip64EndSig) {
    corrupt(source, "no ZIP64 end-of-central-directory record at byte " + std::to_string(zip64_end));
  }
  dir.entry_count = in.get<std::uint64_t>(zip64_end + 32);
  dir.size = in.get<std::uint64_t>(zip64_end + 40);
  dir.offset = in.get<std::uint64_t>(zip64_end + 48);
  // The directory must end where the end records begin (no prefix data is expected in a checkpoint).
  if (dir.offset > zip64_end || dir.size > zip64_end - dir.offset) {
    corrupt(source, "the central directory (" + std::to_string(dir.size) + " bytes at " + std::to_string(dir.offset) +
                        ") overlaps the end records at byte " + std::to_string(zip64_end));
  }
  return dir;
}

// Replaces the 0xffffffff fields of a central header with the values of its ZIP64 extra field.
void apply_zip64_extra(std::string_view extra, std::uint64_t& uncompressed, std::uint64_t& compressed,
                       std::uint64_t& local_offset, const std::string& source, const std::string& name) {
  std::size_t pos = 0;
  while (pos + 4 <= extra.size()) {
    std::uint16_t id, length;
    std::memcpy(&id, extra.data() + pos, 2);
    std::memcpy(&length, extra.data() + pos + 2, 2);
    if (pos + 4 + length > extra.size()) corrupt(source, "entry " + name + " has a truncated extra field");
    if (id == kZip64ExtraId) {
      std::size_t field = pos + 4;
      const std::size_t field_end = field + length;
      for (std::uint64_t* value : {&uncompressed, &compressed, &local_offset}) {
        if (*value != 0xffffffff) continue;
        if (field + 8 > field_end) corrupt(source, "entry " + name + " has a short ZIP64 extra field");
        std::memcpy(value, extra.data() + field, 8);
        field += 8;
      }
      return;
    }
    pos += 4 + length;
  }
  if (uncompressed == 0xffffffff || compressed == 0xffffffff || local_offset == 0xffffffff) {
    corrupt(source, "entry " + name + " needs ZIP64 sizes but has no ZIP64 extra field");
  }
}

}  // namespace

ZipArchive ZipArchive::parse(std::string_view bytes, std::string source) {
  ZipArchive archive;
  archive.bytes_ = bytes;
  archive.source_ = std::move(source);
  const std::string& src = archive.source_;
  const Reader in(bytes, src);

  const std::uint64_t end = find_end_record(in, src);
  const Directory dir = read_directory_location(in, end, src);
  in.require(dir.offset, dir.size, "the central directory");
  if (dir.entry_count > dir.size / kCentralHeaderSize) {
    corrupt(src, std::to_string(dir.entry_count) + " entries cannot fit in a central directory of " +
                     std::to_string(dir.size) + " bytes");
  }

  std::unordered_set<std::string> names;
  archive.entries_.reserve(static_cast<std::size_t>(dir.entry_count));
  std::uint64_t pos = dir.offset;
  const std::uint64_t dir_end = dir.offset + dir.size;
  for (std::uint64_t i = 0; i < dir.entry_count; ++i) {
    if (pos + kCentralHeaderSize > dir_end || in.get<std::uint32_t>(pos) != kCentralHeaderSig) {
      corrupt(src, "central directory entry " + std::to_string(i) + " at byte " + std::to_string(pos) +
                       " has no central-directory signature");
    }
    const std::uint16_t flags = in.get<std::uint16_t>(pos + 8);
    const std::uint16_t method = in.get<std::uint16_t>(pos + 10);
    const std::uint32_t crc = in.get<std::uint32_t>(pos + 16);
    std::uint64_t compressed = in.get<std::uint32_t>(pos + 20);
    std::uint64_t uncompressed = in.get<std::uint32_t>(pos + 24);
    const std::uint16_t name_length = in.get<std::uint16_t>(pos + 28);
    const std::uint16_t extra_length = in.get<std::uint16_t>(pos + 30);
    const std::uint16_t comment_length = in.get<std::uint16_t>(pos + 32);
    std::uint64_t local = in.get<std::uint32_t>(pos + 42);
    const std::uint64_t record_end = pos + kCentralHeaderSize + name_length + extra_length + comment_length;
    if (record_end > dir_end) {
      corrupt(src, "central directory entry " + std::to_string(i) + " runs past the directory's end");
    }
    std::string name(in.slice(pos + kCentralHeaderSize, name_length));
    apply_zip64_extra(in.slice(pos + kCentralHeaderSize + name_length, extra_length), uncompressed, compressed, local,
                      src, name);
    if (flags & 0x1u) corrupt(src, "entry " + name + " is encrypted");
    if (method != 0) {
      fail(ErrorKind::ModelLoad, src + ": entry " + name + " is compressed (zip method " + std::to_string(method) +
                                     "); PyTorch checkpoints store entries uncompressed, so this file was "
                                     "re-packed by another tool: re-save it with torch.save");
    }
    if (compressed != uncompressed) {
      corrupt(src, "stored entry " + name + " has compressed size " + std::to_string(compressed) +
                       " but uncompressed size " + std::to_string(uncompressed));
    }

    // The local header repeats the name and has its own extra field (torch pads it so that the data
    // starts on a 64-byte boundary); the sizes live in the central directory (torch sets flag bit 3).
    if (!in.fits(local, kLocalHeaderSize) || in.get<std::uint32_t>(local) != kLocalHeaderSig) {
      corrupt(src, "entry " + name + ": no local header at byte " + std::to_string(local));
    }
    const std::uint16_t local_name_length = in.get<std::uint16_t>(local + 26);
    const std::uint16_t local_extra_length = in.get<std::uint16_t>(local + 28);
    const std::uint64_t data_offset = local + kLocalHeaderSize + local_name_length + local_extra_length;
    if (!in.fits(local + kLocalHeaderSize, local_name_length) ||
        in.slice(local + kLocalHeaderSize, local_name_length) != name) {
      corrupt(src,
              "entry " + name + ": its local header at byte " + std::to_string(local) + " names a different entry");
    }
    if (data_offset > dir.offset || compressed > dir.offset - data_offset) {
      corrupt(src, "entry " + name + " (" + std::to_string(compressed) + " bytes at " + std::to_string(data_offset) +
                       ") runs into the central directory at byte " + std::to_string(dir.offset) +
                       "; the file is probably truncated");
    }
    if (!names.insert(name).second) corrupt(src, "entry " + name + " appears twice");
    archive.entries_.push_back({std::move(name), data_offset, compressed, crc});
    pos = record_end;
  }
  return archive;
}

const ZipEntry* ZipArchive::find(std::string_view name) const noexcept {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string_view ZipArchive::contents(const ZipEntry& entry) const noexcept {
  return bytes_.substr(static_cast<std::size_t>(entry.data_offset), static_cast<std::size_t>(entry.size));
}

bool ZipArchive::crc_matches(const ZipEntry& entry) const noexcept { return crc32(contents(entry)) == entry.crc32; }

std::uint32_t crc32(std::string_view bytes) noexcept {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (const char ch : bytes) c = table[(c ^ static_cast<unsigned char>(ch)) & 0xffu] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

}  // namespace uninlu
