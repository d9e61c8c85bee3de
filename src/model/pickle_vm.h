#pragma once
// A small unpickler for the subset of Python's pickle format that torch.save writes for a state dict
// (protocol 2 by default; the framing and memo opcodes of protocols 4/5 are accepted too). It knows
// nothing about torch: globals, REDUCE, BUILD and persistent ids are resolved by caller-supplied hooks,
// so nothing outside an allow-list can ever be "called". Any other opcode is an error naming the opcode
// and its byte offset.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace uninlu::pickle {

struct Tuple;
struct List;
struct Dict;

struct None {};

// A module-level name (GLOBAL / STACK_GLOBAL) that a hook accepted.
struct Global {
  std::string module;
  std::string name;
  std::string dotted() const { return module + "." + name; }
  bool is(std::string_view m, std::string_view n) const { return module == m && name == n; }
};

// Whatever a hook built (a storage, a tensor): opaque to the machine.
struct Object {
  std::string type;
  std::shared_ptr<const void> payload;
};

struct Value {
  std::variant<None, bool, std::int64_t, double, std::string, std::shared_ptr<const Tuple>, std::shared_ptr<List>,
               std::shared_ptr<Dict>, Global, Object>
      v;

  template <class T>
  bool is() const noexcept {
    return std::holds_alternative<T>(v);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(v);
  }
  const Tuple* tuple() const noexcept;
  const Dict* dict() const noexcept;
  const Global* global() const noexcept { return std::get_if<Global>(&v); }
  const Object* object(std::string_view type) const noexcept;
  // "int", "str", "tuple", "dict", "torch.FloatStorage", "tensor"... for error messages.
  std::string type_name() const;
};

struct Tuple {
  std::vector<Value> items;
};
struct List {
  std::vector<Value> items;
};
// Insertion-ordered, like Python's dict; SETITEM on an existing key replaces its value.
struct Dict {
  std::vector<std::pair<Value, Value>> items;
};

struct Hooks {
  // GLOBAL / STACK_GLOBAL: the value to push, or nullopt for a name outside the allow-list.
  std::function<std::optional<Value>(const std::string& module, const std::string& name)> find_class;
  // REDUCE: call `callable` (a value find_class returned) with `args`.
  std::function<Value(const Value& callable, const Tuple& args)> reduce;
  // BINPERSID: resolve a persistent id (torch: ('storage', StorageType, key, location, numel)).
  std::function<Value(const Value& pid)> persistent_load;
  // BUILD: apply `state` to `object` (in place); throw to refuse.
  std::function<void(Value& object, const Value& state)> build;
};

// Runs the pickle in `bytes` to its STOP opcode. Hooks report problems by throwing
// Error(ModelLoad, detail); every error leaves as Error(ModelLoad) "<source>: <detail> (at byte N)".
Value unpickle(std::string_view bytes, const std::string& source, const Hooks& hooks);

// "BINUNICODE", "EMPTY_SET"...; "UNKNOWN" for a byte that is no pickle opcode.
const char* opcode_name(std::uint8_t opcode) noexcept;

}  // namespace uninlu::pickle
