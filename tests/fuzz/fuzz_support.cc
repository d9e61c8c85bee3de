#include "fuzz_support.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace uninlu::fuzz {

std::string write_scratch_file(std::string_view bytes, const char* suffix) {
  // Under the temp folder and named by pid: parallel fuzzing jobs (-jobs=N) do not share a file.
  static const std::string dir = [] {
    const auto path = std::filesystem::temp_directory_path() / ("uninlu-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path.string();
  }();
  const std::string path = dir + "/input" + suffix;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) finding("cannot write the scratch file " + path);
  return path;
}

}  // namespace uninlu::fuzz
