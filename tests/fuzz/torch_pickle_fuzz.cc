// The state-dict pickle of a torch.save checkpoint, through the real reader with its real hooks: the input
// becomes archive/data.pkl of a well-formed zip (so the CRC check passes and the fuzzer works on the
// pickle itself) next to storages archive/data/0..3, and read_torch_checkpoint runs on it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "model/checkpoint.h"
#include "model/zip_archive.h"

namespace {

void put16(std::string& out, std::uint16_t v) { out.append({char(v & 0xff), char(v >> 8)}); }
void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
  put16(out, static_cast<std::uint16_t>(v >> 16));
}

// A stored (uncompressed) zip, each entry's data 64-byte aligned through padding in the local header's
// extra field, as torch.save writes it.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, directory;
  for (const auto& entry : entries) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one
    const std::string& data = entry.second;
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::size_t unpadded = out.size() + 30 + name.size() + 4;
    const auto padding = static_cast<std::uint16_t>((64 - unpadded % 64) % 64);
    const std::uint32_t crc = uninlu::crc32(data);
    auto header = [&](std::string& to, bool central) {
      put32(to, central ? 0x02014b50 : 0x04034b50);
      if (central) put16(to, 20);  // made by
      put16(to, 20);               // needed
      put16(to, 0);                // flags
      put16(to, 0);                // stored
      put32(to, 0);                // time, date
      put32(to, crc);
      put32(to, static_cast<std::uint32_t>(data.size()));
      put32(to, static_cast<std::uint32_t>(data.size()));
      put16(to, static_cast<std::uint16_t>(name.size()));
      put16(to, central ? 0 : static_cast<std::uint16_t>(4 + padding));
      if (central) {
        put16(to, 0);  // comment
        put16(to, 0);  // disk
        put16(to, 0);  // internal attributes
        put32(to, 0);  // external attributes
        put32(to, offset);
      }
      to += name;
    };
    header(out, false);
    put16(out, 0xcafe);  // an unknown extra field: padding
    put16(out, padding);
    out.append(padding, '\0');
    out += data;
    header(directory, true);
  }
  const auto directory_offset = static_cast<std::uint32_t>(out.size());
  out += directory;
  put32(out, 0x06054b50);
  put32(out, 0);  // disks
  put16(out, static_cast<std::uint16_t>(entries.size()));
  put16(out, static_cast<std::uint16_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(directory.size()));
  put32(out, directory_offset);
  put16(out, 0);  // comment
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  uninlu::fuzz::expect_refusals_only(
      [&] {
        std::vector<std::pair<std::string, std::string>> entries = {
            {"archive/data.pkl", std::string(uninlu::fuzz::as_view(data, size))},
            {"archive/byteorder", "little"}};
        // Storages of 0, 8, 64 and 256 bytes: enough for the views a fuzzer builds, too small for some.
        const std::array<std::size_t, 4> sizes = {0, 8, 64, 256};
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          entries.emplace_back("archive/data/" + std::to_string(i), std::string(sizes[i], char(0x3f)));
        }
        const std::string path = uninlu::fuzz::write_scratch_file(make_zip(entries), ".pt");
        const uninlu::Checkpoint checkpoint = uninlu::read_torch_checkpoint(path);
        std::uint8_t sum = 0;
        for (const auto& named : checkpoint.tensors) {
          const auto* bytes = static_cast<const std::uint8_t*>(named.tensor.raw());
          for (std::size_t i = 0; i < named.tensor.nbytes(); ++i) sum = static_cast<std::uint8_t>(sum + bytes[i]);
        }
        asm volatile("" : : "r"(sum));
      },
      {uninlu::ErrorKind::ModelLoad});
  return 0;
}
