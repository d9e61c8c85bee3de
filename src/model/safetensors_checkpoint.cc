// read_safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the data; offsets are relative to the end of the header.
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/checkpoint.h"
#include "model/tensor_view.h"

namespace uninlu {

namespace {

// The reference implementation refuses headers above 100 MB; so do we, before parsing.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

[[noreturn]] void bad(const std::string& detail) { fail(ErrorKind::ModelLoad, detail); }

std::optional<DType> parse_dtype(const std::string& name) {
  static const std::unordered_map<std::string, DType> dtypes = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F64", DType::F64}, {"I64", DType::I64},
      {"I32", DType::I32}, {"I16", DType::I16}, {"I8", DType::I8},     {"U8", DType::U8},   {"BOOL", DType::Bool},
  };
  const auto it = dtypes.find(name);
  if (it == dtypes.end()) return std::nullopt;
  return it->second;
}

std::uint64_t non_negative(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0)) {
    bad(where + " must be a non-negative integer, got " + v.dump());
  }
  return v.get<std::uint64_t>();
}

struct Entry {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin, end;
};

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& info) {
  const std::string where = path + ": tensor " + name;
  if (!info.is_object()) bad(where + ": header entry is not an object");
  const auto dtype_it = info.find("dtype");
  const auto shape_it = info.find("shape");
  const auto offsets_it = info.find("data_offsets");
  if (dtype_it == info.end() || shape_it == info.end() || offsets_it == info.end()) {
    bad(where + ": header entry lacks dtype, shape or data_offsets");
  }
  if (!dtype_it->is_string()) bad(where + ": dtype is not a string");
  const auto dtype = parse_dtype(dtype_it->get<std::string>());
  if (!dtype) {
    bad(where + " has dtype " + dtype_it->get<std::string>() +
        ", which uninlu does not read (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
  }
  if (!shape_it->is_array()) bad(where + ": shape is not an array");
  Entry entry{name, *dtype, {}, 0, 0};
  std::uint64_t numel = 1;
  for (const auto& d : *shape_it) {
    const std::uint64_t dim = non_negative(d, where + ": shape " + shape_it->dump() + ": a dimension");
    if (dim > (std::uint64_t{1} << 62) || (dim != 0 && numel > (std::uint64_t{1} << 62) / dim)) {
      bad(where + ": shape " + shape_it->dump() + " is too large");
    }
    numel *= dim;
    entry.shape.push_back(static_cast<std::int64_t>(dim));
  }
  if (!offsets_it->is_array() || offsets_it->size() != 2) bad(where + ": data_offsets is not [begin, end]");
  entry.begin = non_negative((*offsets_it)[0], where + ": data_offsets begin");
  entry.end = non_negative((*offsets_it)[1], where + ": data_offsets end");
  const std::string offsets = "[" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + "]";
  if (entry.end < entry.begin) bad(where + ": data_offsets " + offsets + " end before they begin");
  const std::uint64_t expected = numel * dtype_size(*dtype);
  if (entry.end - entry.begin != expected) {
    bad(where + ": data_offsets " + offsets + " span " + std::to_string(entry.end - entry.begin) +
        " bytes, but shape " + shape_string(entry.shape) + " of " + std::string(dtype_name(*dtype)) + " needs " +
        std::to_string(expected));
  }
  return entry;
}

}  // namespace

Checkpoint read_safetensors(const std::string& path) {
  const std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  const std::string_view bytes = file->view();
  if (bytes.size() < 8) {
    bad(path + ": truncated safetensors file: " + std::to_string(bytes.size()) +
        " bytes, less than the 8-byte header length");
  }
  std::uint64_t header_length;
  std::memcpy(&header_length, bytes.data(), sizeof header_length);
  if (header_length > bytes.size() - 8) {
    bad(path + ": safetensors header length " + std::to_string(header_length) + " runs past the end of the file (" +
        std::to_string(bytes.size()) + " bytes): truncated or not a safetensors file");
  }
  if (header_length > kMaxHeaderBytes)
    bad(path + ": safetensors header of " + std::to_string(header_length) + " bytes is too large");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, static_cast<std::size_t>(header_length)));
  } catch (const nlohmann::json::exception& e) {
    bad(path + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) bad(path + ": safetensors header is not a JSON object");

  const std::uint64_t data_start = 8 + header_length;
  const std::uint64_t data_size = bytes.size() - data_start;
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;  // free-form strings (e.g. {"format": "pt"})
    Entry entry = parse_entry(path, name, info);
    if (entry.end > data_size) {
      bad(path + ": tensor " + name + ": data_offsets [" + std::to_string(entry.begin) + ", " +
          std::to_string(entry.end) + "] run past the end of the data (" + std::to_string(data_size) +
          " bytes): the file is truncated or corrupt");
    }
    entries.push_back(std::move(entry));
  }
  // File order, and no two tensors may share bytes.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  const Entry* previous = nullptr;  // the last non-empty tensor
  for (const auto& entry : entries) {
    if (entry.begin == entry.end) continue;
    if (previous != nullptr && entry.begin < previous->end) {
      bad(path + ": tensors " + previous->name + " and " + entry.name + " overlap (bytes " +
          std::to_string(entry.begin) + " to " + std::to_string(std::min(entry.end, previous->end)) + " of the data)");
    }
    previous = &entry;
  }

  Checkpoint checkpoint;
  checkpoint.path = path;
  checkpoint.format = "safetensors";
  checkpoint.tensors.reserve(entries.size());
  const std::shared_ptr<const void> owner = file;
  const auto* data = reinterpret_cast<const std::byte*>(bytes.data() + data_start);
  for (auto& entry : entries) {
    StridedView view;
    view.dtype = entry.dtype;
    view.size = entry.shape;
    view.stride.assign(entry.shape.size(), 1);
    for (std::size_t d = entry.shape.size(); d-- > 1;) view.stride[d - 1] = view.stride[d] * entry.shape[d];
    view.offset = 0;
    checkpoint.tensors.push_back({std::move(entry.name), tensor_from_view(view, data + entry.begin, owner)});
  }
  return checkpoint;
}

}  // namespace uninlu
