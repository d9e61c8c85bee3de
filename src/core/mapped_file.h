#pragma once
// A read-only memory mapping of a whole file (RAII). Checkpoints are mapped, not read, so a 400 MB
// model loads in well under a second and fp32 tensors can be used in place.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace uninlu {

class MappedFile {
 public:
  // Throws Error(ModelLoad) naming the path when the file is missing, unreadable or not a regular file.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }
  const std::string& path() const noexcept { return path_; }

 private:
  MappedFile(std::string path, const std::byte* data, std::size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const std::byte* data_;
  std::size_t size_;
};

// Reads a whole (small) file into a string; throws Error(ModelLoad) naming the path on failure.
std::string read_text_file(const std::string& path);

}  // namespace uninlu
