// read_torch_checkpoint: PyTorch's zip container. `<prefix>/data.pkl` is a pickle of the state dict in
// which every tensor is `_rebuild_tensor_v2(storage, offset, size, stride, ...)` and every storage a
// persistent id ('storage', torch.<Type>Storage, key, location, numel) naming the record
// `<prefix>/data/<key>`. The prefix is the file's stem for torch <= 1.13 and "archive" for later ones.
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "core/mapped_file.h"
#include "model/checkpoint.h"
#include "model/checkpoint_format.h"
#include "model/pickle_vm.h"
#include "model/tensor_view.h"
#include "model/zip_archive.h"

namespace uninlu {

namespace {

using pickle::Value;

constexpr const char* kStorageObject = "storage";
constexpr const char* kTensorObject = "tensor";

struct StorageRef {
  DType dtype;
  std::string key;
  std::int64_t numel;
};

struct TensorRef {
  std::shared_ptr<const StorageRef> storage;
  StridedView view;
};

std::optional<DType> storage_dtype(const std::string& type_name) {
  static const std::unordered_map<std::string, DType> types = {
      {"FloatStorage", DType::F32},  {"HalfStorage", DType::F16}, {"BFloat16Storage", DType::BF16},
      {"DoubleStorage", DType::F64}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16},  {"CharStorage", DType::I8},  {"ByteStorage", DType::U8},
      {"BoolStorage", DType::Bool},
  };
  const auto it = types.find(type_name);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

[[noreturn]] void bad(const std::string& detail) { fail(ErrorKind::ModelLoad, detail); }

std::int64_t int_arg(const Value& v, const char* what) {
  if (!v.is<std::int64_t>()) bad(std::string(what) + " is a " + v.type_name() + ", expected an int");
  return v.as<std::int64_t>();
}

std::vector<std::int64_t> int_tuple_arg(const Value& v, const char* what) {
  const pickle::Tuple* tuple = v.tuple();
  if (tuple == nullptr) bad(std::string(what) + " is a " + v.type_name() + ", expected a tuple of ints");
  std::vector<std::int64_t> out;
  out.reserve(tuple->items.size());
  for (const auto& item : tuple->items) out.push_back(int_arg(item, what));
  return out;
}

const TensorRef& tensor_arg(const Value& v, const char* what) {
  const pickle::Object* object = v.object(kTensorObject);
  if (object == nullptr) bad(std::string(what) + " is a " + v.type_name() + ", expected a tensor");
  return *std::static_pointer_cast<const TensorRef>(object->payload);
}

Value make_object(const char* type, std::shared_ptr<const void> payload) {
  return Value{pickle::Object{type, std::move(payload)}};
}

// The allow-list: what a state dict needs, and nothing that could run code.
pickle::Hooks state_dict_hooks() {
  pickle::Hooks hooks;
  hooks.find_class = [](const std::string& module, const std::string& name) -> std::optional<Value> {
    const bool known = (module == "collections" && name == "OrderedDict") ||
                       (module == "torch._utils" && (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter" ||
                                                     name == "_rebuild_parameter_with_state")) ||
                       (module == "torch" && storage_dtype(name).has_value());
    if (!known) return std::nullopt;
    return Value{pickle::Global{module, name}};
  };

  hooks.reduce = [](const Value& callable, const pickle::Tuple& tuple) -> Value {
    const pickle::Global* global = callable.global();
    if (global == nullptr) bad("REDUCE calls a " + callable.type_name() + ", which is not callable");
    const auto& args = tuple.items;
    if (global->is("collections", "OrderedDict")) {
      if (!args.empty()) bad("collections.OrderedDict is called with arguments; a state dict builds it empty");
      return Value{std::make_shared<pickle::Dict>()};
    }
    if (global->is("torch._utils", "_rebuild_tensor_v2")) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (args.size() != 6 && args.size() != 7) {
        bad("torch._utils._rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(args.size()));
      }
      const pickle::Object* storage = args[0].object(kStorageObject);
      if (storage == nullptr) bad("the storage of _rebuild_tensor_v2 is a " + args[0].type_name());
      auto tensor = std::make_shared<TensorRef>();
      tensor->storage = std::static_pointer_cast<const StorageRef>(storage->payload);
      tensor->view.dtype = tensor->storage->dtype;
      tensor->view.offset = int_arg(args[1], "the storage offset");
      tensor->view.size = int_tuple_arg(args[2], "the size");
      tensor->view.stride = int_tuple_arg(args[3], "the stride");
      return make_object(kTensorObject, std::move(tensor));
    }
    if (global->is("torch._utils", "_rebuild_parameter")) {
      // (data, requires_grad, backward_hooks): a Parameter is its data here.
      if (args.size() != 3)
        bad("torch._utils._rebuild_parameter takes 3 arguments, got " + std::to_string(args.size()));
      tensor_arg(args[0], "the data of _rebuild_parameter");
      return args[0];
    }
    if (global->is("torch._utils", "_rebuild_parameter_with_state")) {
      // (data, requires_grad, backward_hooks, state): the Python attributes in `state` do not matter here.
      if (args.size() != 4) {
        bad("torch._utils._rebuild_parameter_with_state takes 4 arguments, got " + std::to_string(args.size()));
      }
      tensor_arg(args[0], "the data of _rebuild_parameter_with_state");
      return args[0];
    }
    bad("calling " + global->dotted() + " is not supported");
  };

  hooks.persistent_load = [](const Value& pid) -> Value {
    const pickle::Tuple* id = pid.tuple();
    if (id == nullptr || id->items.size() != 5 || !id->items[0].is<std::string>() ||
        id->items[0].as<std::string>() != "storage") {
      bad("persistent id is not ('storage', type, key, location, numel)");
    }
    const pickle::Global* type = id->items[1].global();
    const std::optional<DType> dtype = type ? storage_dtype(type->name) : std::nullopt;
    if (!dtype) bad("persistent id names storage type " + id->items[1].type_name());
    if (!id->items[2].is<std::string>()) bad("persistent id has a storage key of type " + id->items[2].type_name());
    const std::int64_t numel = int_arg(id->items[4], "the storage's element count");
    if (numel < 0) bad("storage " + id->items[2].as<std::string>() + " has a negative element count");
    // The location ('cpu', 'cuda:0') does not matter: weights are read into host memory.
    auto storage = std::make_shared<StorageRef>(StorageRef{*dtype, id->items[2].as<std::string>(), numel});
    return make_object(kStorageObject, std::move(storage));
  };

  hooks.build = [](Value& object, const Value& state) {
    // model.state_dict() is an OrderedDict carrying a `_metadata` attribute (module versions): unused.
    if (object.dict() != nullptr) return;
    bad("BUILD (setting the state of a " + object.type_name() + " from a " + state.type_name() + ") is not supported");
  };
  return hooks;
}

// `<prefix>/data.pkl`, whatever the prefix.
std::string find_archive_prefix(const ZipArchive& zip, const std::string& path) {
  std::string prefix;
  bool found = false;
  for (const auto& entry : zip.entries()) {
    const std::string& name = entry.name;
    const auto slash = name.find('/');
    if (slash == std::string::npos || name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (found) bad(path + ": the archive holds two pickles, " + prefix + "/data.pkl and " + name);
    prefix = name.substr(0, slash);
    found = true;
  }
  if (!found) {
    bad(path + ": the zip archive holds no <name>/data.pkl record, so it is not a torch.save checkpoint (" +
        std::to_string(zip.entries().size()) + " entries" +
        (zip.entries().empty() ? std::string() : ", the first is " + zip.entries().front().name) + ")");
  }
  return prefix;
}

void check_byte_order(const ZipArchive& zip, const std::string& prefix, const std::string& path) {
  const ZipEntry* record = zip.find(prefix + "/byteorder");
  if (record == nullptr) return;  // torch < 2.1 writes none: the data is little-endian
  const std::string_view order = zip.contents(*record);
  if (order == "little") return;
  if (order == "big") {
    bad(path + ": the checkpoint was saved on a big-endian machine (" + record->name +
        " says \"big\"); uninlu reads little-endian data only: re-save it on a little-endian machine");
  }
  bad(path + ": unknown byte order \"" + std::string(order) + "\" in " + record->name);
}

NamedTensor resolve_tensor(const std::string& name, const TensorRef& ref, const ZipArchive& zip,
                           const std::string& prefix, const std::string& path,
                           const std::shared_ptr<const void>& owner) {
  const StorageRef& storage = *ref.storage;
  const std::string record_name = prefix + "/data/" + storage.key;
  const ZipEntry* record = zip.find(record_name);
  if (record == nullptr) bad(path + ": tensor " + name + ": storage record " + record_name + " is missing");
  const std::uint64_t elem = dtype_size(storage.dtype);
  if (static_cast<std::uint64_t>(storage.numel) > record->size / elem) {
    bad(path + ": tensor " + name + ": storage record " + record_name + " holds " + std::to_string(record->size) +
        " bytes, too small for its " + std::to_string(storage.numel) + " " + std::string(dtype_name(storage.dtype)) +
        " elements");
  }
  const std::optional<std::int64_t> needed = storage_elements_needed(ref.view);
  const std::string view_text = "size " + shape_string(ref.view.size) + ", stride " + shape_string(ref.view.stride) +
                                ", offset " + std::to_string(ref.view.offset);
  if (!needed) bad(path + ": tensor " + name + " has an invalid view (" + view_text + ")");
  if (*needed > storage.numel) {
    bad(path + ": tensor " + name + " (" + view_text + ") reaches element " + std::to_string(*needed - 1) +
        " of storage " + record_name + ", which holds only " + std::to_string(storage.numel) + " elements");
  }
  const auto* base = reinterpret_cast<const std::byte*>(zip.contents(*record).data());
  return NamedTensor{name, tensor_from_view(ref.view, base, owner)};
}

}  // namespace

Checkpoint read_torch_checkpoint(const std::string& path) {
  const std::shared_ptr<const MappedFile> file = MappedFile::open(path);
  const CheckpointFormat format = detect_checkpoint_format(file->view());
  if (format == CheckpointFormat::TorchLegacy || format == CheckpointFormat::TorchTar) {
    bad(legacy_torch_message(path, format));
  }
  if (format != CheckpointFormat::TorchZip) {
    bad(path + " is not a PyTorch zip checkpoint (it does not start with the zip signature PK\\3\\4)");
  }
  const ZipArchive zip = ZipArchive::parse(file->view(), path);
  const std::string prefix = find_archive_prefix(zip, path);
  if (zip.find(prefix + "/constants.pkl") != nullptr) {
    bad(path + " is a TorchScript archive (torch.jit.save), not a state dict saved with torch.save");
  }
  check_byte_order(zip, prefix, path);

  const ZipEntry& pickle_record = *zip.find(prefix + "/data.pkl");
  if (!zip.crc_matches(pickle_record))
    bad(path + ": " + pickle_record.name + " fails its CRC-32 check: the file is corrupt");
  const Value root =
      pickle::unpickle(zip.contents(pickle_record), path + ": " + pickle_record.name, state_dict_hooks());

  const pickle::Dict* dict = root.dict();
  if (dict == nullptr) {
    bad(path + ": the checkpoint holds an object of type " + root.type_name() +
        "; expected a state dict (name -> tensor)");
  }
  Checkpoint checkpoint;
  checkpoint.path = path;
  checkpoint.format = "pytorch-zip";
  checkpoint.tensors.reserve(dict->items.size());
  const std::shared_ptr<const void> owner = file;
  for (const auto& [key, value] : dict->items) {
    if (!key.is<std::string>()) bad(path + ": the state dict has a key of type " + key.type_name());
    const std::string& name = key.as<std::string>();
    const pickle::Object* tensor = value.object(kTensorObject);
    if (tensor == nullptr)
      bad(path + ": state dict entry " + name + " has type " + value.type_name() + "; expected a tensor");
    checkpoint.tensors.push_back(
        resolve_tensor(name, *std::static_pointer_cast<const TensorRef>(tensor->payload), zip, prefix, path, owner));
  }
  return checkpoint;
}

}  // namespace uninlu
