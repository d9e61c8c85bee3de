#include "model/pickle_vm.h"

#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace uninlu::pickle {

namespace {

static_assert(std::endian::native == std::endian::little, "the unpickler assumes a little-endian host");

// Opcodes, as named in CPython's Lib/pickle.py.
// clang-format off
enum Op : std::uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BININT = 'J', BININT1 = 'K', BININT2 = 'M',
  NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c',
  APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j', EMPTY_LIST = ']', BINPUT = 'q', LONG_BINPUT = 'r',
  SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u', BINFLOAT = 'G', EMPTY_DICT = '}',
  PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a,
  LONG4 = 0x8b, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
};
// clang-format on

constexpr int kHighestProtocol = 5;

std::string hex_byte(std::uint8_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(byte));
  return buf;
}

bool same_key(const Value& a, const Value& b) {
  if (a.is<std::string>() && b.is<std::string>()) return a.as<std::string>() == b.as<std::string>();
  if (a.is<std::int64_t>() && b.is<std::int64_t>()) return a.as<std::int64_t>() == b.as<std::int64_t>();
  return false;
}

// The list, dict or tuple a value is (its identity), or nullptr.
const void* container_of(const Value& value) {
  if (const auto* l = std::get_if<std::shared_ptr<List>>(&value.v)) return l->get();
  if (const auto* d = std::get_if<std::shared_ptr<Dict>>(&value.v)) return d->get();
  if (const auto* t = std::get_if<std::shared_ptr<const Tuple>>(&value.v)) return t->get();
  return nullptr;
}

std::vector<const Value*> items_of(const Value& value) {
  std::vector<const Value*> out;
  if (const auto* l = std::get_if<std::shared_ptr<List>>(&value.v)) {
    for (const auto& item : (*l)->items) out.push_back(&item);
  } else if (const auto* d = std::get_if<std::shared_ptr<Dict>>(&value.v)) {
    for (const auto& [key, item] : (*d)->items) {
      out.push_back(&key);
      out.push_back(&item);
    }
  } else if (const auto* t = std::get_if<std::shared_ptr<const Tuple>>(&value.v)) {
    for (const auto& item : (*t)->items) out.push_back(&item);
  }
  return out;
}

// True when a value in `roots` reaches itself through items (iterative: a hostile pickle nests deeply).
bool has_cycle(const std::vector<Value>& roots) {
  std::unordered_map<const void*, bool> finished;  // false: on the current path
  struct Frame {
    const void* id;
    std::vector<const Value*> items;
    std::size_t next = 0;
  };
  std::vector<Frame> path;
  const auto enter = [&](const Value& value) {  // true: `value` is on the current path
    const void* id = container_of(value);
    if (id == nullptr) return false;
    const auto [it, fresh] = finished.try_emplace(id, false);
    if (!fresh) return !it->second;
    path.push_back(Frame{id, items_of(value)});
    return false;
  };
  for (const Value& root : roots) {
    if (enter(root)) return true;
    while (!path.empty()) {
      Frame& frame = path.back();
      if (frame.next == frame.items.size()) {
        finished[frame.id] = true;
        path.pop_back();
        continue;
      }
      if (enter(*frame.items[frame.next++])) return true;
    }
  }
  return false;
}

class Machine {
 public:
  Machine(std::string_view bytes, const Hooks& hooks) : in_(bytes), hooks_(hooks) {}
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  // Values share ownership, so a list or dict that holds itself (APPEND or SETITEM of a memo entry that
  // contains it) would never be freed: unless the pickle finished without such a cycle, every container
  // that was given items is emptied, which frees them all.
  ~Machine() {
    if (finished_) return;
    for (Value& container : filled_) {
      if (auto* list = std::get_if<std::shared_ptr<List>>(&container.v)) (*list)->items.clear();
      if (auto* dict = std::get_if<std::shared_ptr<Dict>>(&container.v)) (*dict)->items.clear();
    }
  }

  // The pickle's value; an error for a container that contains itself (a state dict never does).
  Value run_to_stop() {
    Value result = run();  // op_pos_ is STOP's
    if (has_cycle(filled_)) fail_here("the pickle builds a list or dict that contains itself");
    finished_ = true;
    return result;
  }

 private:
  Value run() {
    for (;;) {
      op_pos_ = pos_;
      const std::uint8_t op = read_u8();
      switch (op) {
        case PROTO: {
          const std::uint8_t protocol = read_u8();
          if (protocol > kHighestProtocol)
            fail_here("pickle protocol " + std::to_string(protocol) + " is not supported");
          break;
        }
        case FRAME: read_bytes(8); break;  // a length hint; frames are transparent here
        case STOP: return pop();
        case MARK: marks_.push_back(stack_.size()); break;
        case POP: pop(); break;
        case POP_MARK: pop_mark(); break;
        case DUP: push(top()); break;

        case NONE: push(Value{None{}}); break;
        case NEWTRUE: push(Value{true}); break;
        case NEWFALSE: push(Value{false}); break;
        case BININT: push(Value{std::int64_t{read_le<std::int32_t>()}}); break;
        case BININT1: push(Value{std::int64_t{read_u8()}}); break;
        case BININT2: push(Value{std::int64_t{read_le<std::uint16_t>()}}); break;
        case LONG1: push(Value{read_long(read_u8())}); break;
        case LONG4: push(Value{read_long(read_le<std::uint32_t>())}); break;
        case BINFLOAT: push(Value{read_big_endian_double()}); break;
        case SHORT_BINUNICODE: push(Value{std::string(read_bytes(read_u8()))}); break;
        case BINUNICODE: push(Value{std::string(read_bytes(read_le<std::uint32_t>()))}); break;
        case BINUNICODE8: push(Value{std::string(read_bytes(read_le<std::uint64_t>()))}); break;

        case EMPTY_TUPLE: push(make_tuple({})); break;
        case TUPLE1: push(make_tuple(pop_n(1))); break;
        case TUPLE2: push(make_tuple(pop_n(2))); break;
        case TUPLE3: push(make_tuple(pop_n(3))); break;
        case TUPLE: push(make_tuple(pop_mark())); break;
        case EMPTY_LIST: push(Value{std::make_shared<List>()}); break;
        case EMPTY_DICT: push(Value{std::make_shared<Dict>()}); break;
        case APPEND: {
          Value item = pop();
          list_at_top("APPEND").items.push_back(std::move(item));
          break;
        }
        case APPENDS: {
          std::vector<Value> items = pop_mark();
          auto& list = list_at_top("APPENDS").items;
          for (auto& item : items) list.push_back(std::move(item));
          break;
        }
        case SETITEM: {
          Value value = pop();
          Value key = pop();
          set_item(dict_at_top("SETITEM"), std::move(key), std::move(value));
          break;
        }
        case SETITEMS: {
          std::vector<Value> items = pop_mark();
          if (items.size() % 2 != 0) fail_here("SETITEMS with an odd number of items");
          Dict& dict = dict_at_top("SETITEMS");
          for (std::size_t i = 0; i < items.size(); i += 2)
            set_item(dict, std::move(items[i]), std::move(items[i + 1]));
          break;
        }

        case BINPUT: memo_[read_u8()] = top(); break;
        case LONG_BINPUT: memo_[read_le<std::uint32_t>()] = top(); break;
        case MEMOIZE: memo_[static_cast<std::uint32_t>(memo_.size())] = top(); break;
        case BINGET: push(memo_get(read_u8())); break;
        case LONG_BINGET: push(memo_get(read_le<std::uint32_t>())); break;

        case GLOBAL: {
          std::string module = read_line();
          std::string name = read_line();
          push(find_class(module, name));
          break;
        }
        case STACK_GLOBAL: {
          Value name = pop();
          Value module = pop();
          if (!name.is<std::string>() || !module.is<std::string>()) fail_here("STACK_GLOBAL needs two strings");
          push(find_class(module.as<std::string>(), name.as<std::string>()));
          break;
        }
        case REDUCE: {
          Value args = pop();
          Value callable = pop();
          const Tuple* tuple = args.tuple();
          if (tuple == nullptr) fail_here("REDUCE arguments have type " + args.type_name() + ", not tuple");
          push(call_hook([&] { return hooks_.reduce(callable, *tuple); }));
          break;
        }
        case BUILD: {
          Value state = pop();
          Value& object = top_ref();
          call_hook([&] {
            hooks_.build(object, state);
            return Value{};
          });
          break;
        }
        case BINPERSID: {
          Value pid = pop();
          push(call_hook([&] { return hooks_.persistent_load(pid); }));
          break;
        }
        default: fail_here(std::string("unsupported pickle opcode ") + opcode_name(op) + " (" + hex_byte(op) + ")");
      }
    }
  }

  [[noreturn]] void fail_here(const std::string& detail) const {
    fail(ErrorKind::ModelLoad, detail + " at byte " + std::to_string(op_pos_));
  }

  std::string_view read_bytes(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      fail_here("truncated pickle: the opcode needs " + std::to_string(n) + " more bytes, " +
                std::to_string(in_.size() - pos_) + " remain");
    }
    std::string_view out = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::uint8_t read_u8() {
    if (pos_ >= in_.size()) {
      op_pos_ = pos_;
      fail_here("truncated pickle: it ends without a STOP opcode");
    }
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  template <class T>
  T read_le() {
    T value;
    std::memcpy(&value, read_bytes(sizeof value).data(), sizeof value);
    return value;
  }
  double read_big_endian_double() {
    std::uint64_t bits = 0;
    for (const char c : read_bytes(8)) bits = (bits << 8) | static_cast<unsigned char>(c);
    return std::bit_cast<double>(bits);
  }
  // LONG1/LONG4: little-endian two's complement of any length; we take what fits in 64 bits.
  std::int64_t read_long(std::uint64_t n) {
    if (n > 8) fail_here("integer of " + std::to_string(n) + " bytes does not fit in 64 bits");
    const std::string_view bytes = read_bytes(n);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bits |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    if (n > 0 && n < 8 && (static_cast<unsigned char>(bytes[n - 1]) & 0x80u)) bits |= ~std::uint64_t{0} << (8 * n);
    return static_cast<std::int64_t>(bits);
  }
  std::string read_line() {
    const std::size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail_here("truncated pickle: GLOBAL without a newline");
    std::string line(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }

  void push(Value value) { stack_.push_back(std::move(value)); }
  Value pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail_here("pickle stack underflow");
    Value value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }
  std::vector<Value> pop_n(std::size_t n) {
    const std::size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() < floor + n) fail_here("pickle stack underflow");
    std::vector<Value> items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(n)),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(stack_.size() - n);
    return items;
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) fail_here("pickle opcode needs a MARK that is not there");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }
  Value& top_ref() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail_here("pickle stack underflow");
    return stack_.back();
  }
  const Value& top() { return top_ref(); }

  static Value make_tuple(std::vector<Value> items) {
    auto tuple = std::make_shared<Tuple>();
    tuple->items = std::move(items);
    return Value{std::shared_ptr<const Tuple>(std::move(tuple))};
  }
  List& list_at_top(const char* op) {
    Value& target = top_ref();
    if (!target.is<std::shared_ptr<List>>())
      fail_here(std::string(op) + " on an object of type " + target.type_name() + ", not a list");
    note_filled(target);
    return *target.as<std::shared_ptr<List>>();
  }
  Dict& dict_at_top(const char* op) {
    Value& target = top_ref();
    if (!target.is<std::shared_ptr<Dict>>())
      fail_here(std::string(op) + " on an object of type " + target.type_name() + ", not a dict");
    note_filled(target);
    return *target.as<std::shared_ptr<Dict>>();
  }
  // Only a container that is given items can close a cycle (a tuple is made of values that exist).
  void note_filled(const Value& container) {
    if (filled_ids_.insert(container_of(container)).second) filled_.push_back(container);
  }
  static void set_item(Dict& dict, Value key, Value value) {
    for (auto& [existing, old] : dict.items) {
      if (same_key(existing, key)) {
        old = std::move(value);
        return;
      }
    }
    dict.items.emplace_back(std::move(key), std::move(value));
  }
  Value memo_get(std::uint32_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail_here("pickle memo has no entry " + std::to_string(index));
    return it->second;
  }
  Value find_class(const std::string& module, const std::string& name) {
    std::optional<Value> found = call_hook([&] { return hooks_.find_class(module, name); });
    if (!found) fail_here("unsupported pickle global " + module + "." + name);
    return std::move(*found);
  }
  // Hooks throw Error with a bare detail; it leaves with the opcode's position appended.
  template <class F>
  auto call_hook(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const Error& e) {
      fail_here(e.what());
    }
  }

  std::string_view in_;
  const Hooks& hooks_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint32_t, Value> memo_;
  std::vector<Value> filled_;  // every list and dict given items, kept alive (so their addresses stay unique)
  std::unordered_set<const void*> filled_ids_;
  bool finished_ = false;
};

}  // namespace

const Tuple* Value::tuple() const noexcept {
  const auto* p = std::get_if<std::shared_ptr<const Tuple>>(&v);
  return p ? p->get() : nullptr;
}

const Dict* Value::dict() const noexcept {
  const auto* p = std::get_if<std::shared_ptr<Dict>>(&v);
  return p ? p->get() : nullptr;
}

const Object* Value::object(std::string_view type) const noexcept {
  const auto* p = std::get_if<Object>(&v);
  return p != nullptr && p->type == type ? p : nullptr;
}

std::string Value::type_name() const {
  struct Namer {
    std::string operator()(const None&) const { return "None"; }
    std::string operator()(bool) const { return "bool"; }
    std::string operator()(std::int64_t) const { return "int"; }
    std::string operator()(double) const { return "float"; }
    std::string operator()(const std::string&) const { return "str"; }
    std::string operator()(const std::shared_ptr<const Tuple>&) const { return "tuple"; }
    std::string operator()(const std::shared_ptr<List>&) const { return "list"; }
    std::string operator()(const std::shared_ptr<Dict>&) const { return "dict"; }
    std::string operator()(const Global& g) const { return g.dotted(); }
    std::string operator()(const Object& o) const { return o.type; }
  };
  return std::visit(Namer{}, v);
}

Value unpickle(std::string_view bytes, const std::string& source, const Hooks& hooks) {
  Machine machine(bytes, hooks);
  try {
    return machine.run_to_stop();
  } catch (const Error& e) {
    fail(ErrorKind::ModelLoad, source + ": " + e.what());
  }
}

const char* opcode_name(std::uint8_t opcode) noexcept {
  switch (opcode) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "UNKNOWN";
  }
}

}  // namespace uninlu::pickle
