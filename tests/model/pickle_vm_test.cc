// The unpickler on small hand-assembled pickles (opcode by opcode, as CPython's pickletools lists them).
#include "model/pickle_vm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "test_support.h"

namespace uninlu::pickle {
namespace {

using ::testing::HasSubstr;
using namespace std::string_view_literals;
using uninlu::testing::load_error;

// Hex escapes end where the next character is no hex digit, so literals are split after them.
std::string bytes(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

// A length-prefixed BINUNICODE.
std::string binunicode(std::string_view s) {
  std::string out = "X";
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xffu);
  return out + std::string(s);
}

// Allows collections.OrderedDict only; persistent ids become the string "pid:<id>".
Hooks test_hooks() {
  Hooks hooks;
  hooks.find_class = [](const std::string& module, const std::string& name) -> std::optional<Value> {
    if (module == "collections" && name == "OrderedDict") return Value{Global{module, name}};
    return std::nullopt;
  };
  hooks.reduce = [](const Value& callable, const Tuple& args) -> Value {
    if (callable.global() != nullptr && callable.global()->is("collections", "OrderedDict") && args.items.empty()) {
      return Value{std::make_shared<Dict>()};
    }
    fail(ErrorKind::ModelLoad, "cannot call " + callable.type_name());
  };
  hooks.persistent_load = [](const Value& pid) -> Value {
    if (!pid.is<std::string>()) fail(ErrorKind::ModelLoad, "no such storage");
    return Value{"pid:" + pid.as<std::string>()};
  };
  hooks.build = [](Value& object, const Value&) {
    if (object.dict() == nullptr) fail(ErrorKind::ModelLoad, "cannot build a " + object.type_name());
  };
  return hooks;
}

Value run(std::string_view pickle) { return unpickle(pickle, "test.pkl", test_hooks()); }

const Value& item(const Value& dict_value, std::string_view key) {
  for (const auto& [k, v] : dict_value.dict()->items) {
    if (k.is<std::string>() && k.as<std::string>() == key) return v;
  }
  throw std::runtime_error("no key " + std::string(key));
}

TEST(PickleVm, ReadsTheScalarsAndContainersOfAProtocol2Dict) {
  // pickle.dumps({'a': 1, 'b': [1.5, None, True], 'c': (-2, 300, 70000)}, protocol=2)
  const std::string p = bytes({"\x80\x02"sv, "}"sv, "q\x00"sv, "("sv,     // PROTO 2, EMPTY_DICT, BINPUT 0, MARK
                               binunicode("a"), "K\x01"sv,                  // 'a': BININT1 1
                               binunicode("b"), "]"sv, "q\x01"sv, "("sv,    // 'b': EMPTY_LIST, BINPUT 1, MARK
                               "G\x3f\xf8\x00\x00\x00\x00\x00\x00"sv,       // BINFLOAT 1.5 (big-endian)
                               "N"sv, "\x88"sv, "e"sv,                      // NONE, NEWTRUE, APPENDS
                               binunicode("c"), "\x8a\x01\xfe"sv,           // 'c': LONG1 -2
                               "M\x2c\x01"sv, "J\x70\x11\x01\x00"sv,        // BININT2 300, BININT 70000
                               "\x87"sv, "u"sv, "."sv});                    // TUPLE3, SETITEMS, STOP
  const Value root = run(p);
  ASSERT_NE(root.dict(), nullptr);
  ASSERT_EQ(root.dict()->items.size(), 3u);
  EXPECT_EQ(root.dict()->items[0].first.as<std::string>(), "a");  // insertion order is kept
  EXPECT_EQ(item(root, "a").as<std::int64_t>(), 1);
  const auto& list = item(root, "b").as<std::shared_ptr<List>>()->items;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].as<double>(), 1.5);
  EXPECT_TRUE(list[1].is<None>());
  EXPECT_TRUE(list[2].as<bool>());
  const Tuple* tuple = item(root, "c").tuple();
  ASSERT_NE(tuple, nullptr);
  ASSERT_EQ(tuple->items.size(), 3u);
  EXPECT_EQ(tuple->items[0].as<std::int64_t>(), -2);
  EXPECT_EQ(tuple->items[1].as<std::int64_t>(), 300);
  EXPECT_EQ(tuple->items[2].as<std::int64_t>(), 70000);
}

TEST(PickleVm, MemoSharesMutableContainers) {
  // d = {}; d['x'] = l = []; d['y'] = l; l.append(7): the memo holds the same list, not a copy.
  const std::string p = bytes({"\x80\x02"sv, "}"sv, "q\x00"sv, binunicode("x"), "]"sv, "q\x01"sv, "s"sv,  // d['x'] = []
                               "h\x00"sv, binunicode("y"), "h\x01"sv, "s"sv, "0"sv,  // d['y'] = memo[1]; POP
                               "h\x01"sv, "K\x07"sv, "a"sv, "0"sv,                   // memo[1].append(7); POP
                               "."sv});
  const Value root = run(p);
  EXPECT_EQ(item(root, "y").as<std::shared_ptr<List>>()->items.size(), 1u);
  EXPECT_EQ(item(root, "x").as<std::shared_ptr<List>>().get(), item(root, "y").as<std::shared_ptr<List>>().get());
}

TEST(PickleVm, SetItemOnAnExistingKeyReplacesItsValueInPlace) {
  const std::string p = bytes({"\x80\x02"sv, "}"sv, "("sv, binunicode("k"), "K\x01"sv, binunicode("j"), "K\x02"sv,
                               binunicode("k"), "K\x03"sv, "u"sv, "."sv});
  const Value root = run(p);
  ASSERT_EQ(root.dict()->items.size(), 2u);
  EXPECT_EQ(root.dict()->items[0].first.as<std::string>(), "k");
  EXPECT_EQ(item(root, "k").as<std::int64_t>(), 3);
}

TEST(PickleVm, LongIntegersAreTwosComplement) {
  // LONG1 with 8 bytes: -2**63; LONG1 with 0 bytes: 0; LONG4 with 2 bytes: 0x7fff.
  const std::string p = bytes({"\x80\x02"sv, "("sv, "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"sv, "\x8a\x00"sv,
                               "\x8b\x02\x00\x00\x00\xff\x7f"sv, "t"sv, "."sv});
  const Value root = run(p);
  const Tuple* t = root.tuple();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->items[0].as<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(t->items[1].as<std::int64_t>(), 0);
  EXPECT_EQ(t->items[2].as<std::int64_t>(), 0x7fff);
  EXPECT_THAT(load_error([] { run(bytes({"\x80\x02"sv, "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01"sv, "."sv})); }),
              HasSubstr("integer of 9 bytes does not fit in 64 bits at byte 2"));
}

TEST(PickleVm, Protocol4FramesMemoizeAndStackGlobal) {
  // pickle.dumps(collections.OrderedDict(), protocol=4)
  const std::string p = bytes({"\x80\x04"sv, "\x95\x22\x00\x00\x00\x00\x00\x00\x00"sv, "\x8c\x0b" "collections"sv,
                               "\x94"sv, "\x8c\x0b" "OrderedDict"sv, "\x94"sv, "\x93"sv, "\x94"sv, ")"sv, "R"sv,
                               "\x94"sv, "."sv});
  const Value root = run(p);
  ASSERT_NE(root.dict(), nullptr);
  EXPECT_TRUE(root.dict()->items.empty());
}

TEST(PickleVm, BuildAndPersistentIdsGoThroughTheHooks) {
  // OrderedDict() with state {'_metadata': {}} (what model.state_dict() pickles), holding a persistent id.
  const std::string p = bytes({"\x80\x02"sv, "ccollections\nOrderedDict\n"sv, ")"sv, "R"sv, "("sv, binunicode("w"),
                               binunicode("storage-0"), "Q"sv, "u"sv, "}"sv, binunicode("_metadata"), "}"sv, "s"sv,
                               "b"sv, "."sv});
  const Value root = run(p);
  EXPECT_EQ(item(root, "w").as<std::string>(), "pid:storage-0");
}

TEST(PickleVm, AGlobalOutsideTheAllowListIsNamedWithItsOffset) {
  EXPECT_THAT(load_error([] { run("\x80\x02" "cos\nsystem\n."sv); }),
              HasSubstr("test.pkl: unsupported pickle global os.system at byte 2"));
  // PROTO (2 bytes), SHORT_BINUNICODE 'builtins' (10), SHORT_BINUNICODE 'eval' (6), STACK_GLOBAL at 18.
  EXPECT_THAT(load_error([] { run("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93."sv); }),
              HasSubstr("unsupported pickle global builtins.eval at byte 18"));
}

TEST(PickleVm, AnUnsupportedOpcodeIsNamedWithItsOffset) {
  EXPECT_THAT(load_error([] { run("\x80\x04\x8f."sv); }),
              HasSubstr("test.pkl: unsupported pickle opcode EMPTY_SET (0x8f) at byte 2"));
  EXPECT_THAT(load_error([] { run("\x80\x02N0I1\n."sv); }), HasSubstr("unsupported pickle opcode INT (0x49) at byte 4"));
  EXPECT_THAT(load_error([] { run("\x80\x02\xff."sv); }), HasSubstr("unsupported pickle opcode UNKNOWN (0xff) at byte 2"));
}

TEST(PickleVm, MalformedPicklesAreErrorsNotCrashes) {
  EXPECT_THAT(load_error([] { run("\x80\x02X\x05\x00\x00\x00" "ab"sv); }), HasSubstr("truncated pickle"));
  EXPECT_THAT(load_error([] { run("\x80\x02N"sv); }), HasSubstr("ends without a STOP opcode"));
  EXPECT_THAT(load_error([] { run("\x80\x02t."sv); }), HasSubstr("needs a MARK"));
  EXPECT_THAT(load_error([] { run("\x80\x02."sv); }), HasSubstr("stack underflow"));
  EXPECT_THAT(load_error([] { run("\x80\x02h\x05."sv); }), HasSubstr("memo has no entry 5 at byte 2"));
  EXPECT_THAT(load_error([] { run("\x80\x02K\x00K\x01K\x02s."sv); }),
              HasSubstr("SETITEM on an object of type int, not a dict at byte 8"));
  EXPECT_THAT(load_error([] { run("\x80\x09N."sv); }), HasSubstr("pickle protocol 9 is not supported"));
  EXPECT_THAT(load_error([] { run("\x80\x02NK\x01R."sv); }), HasSubstr("REDUCE arguments have type int, not tuple"));
}

// Found by torch_pickle_fuzz: values share ownership, so a container holding itself leaked (ASan's leak
// check on this test sees it); it is refused now, and every container the pickle filled is freed.
TEST(PickleVm, AContainerThatContainsItselfIsRefusedAndFreed) {
  // l = []; l.append(l)
  EXPECT_THAT(load_error([] { run("\x80\x02]q\x00h\x00" "a."sv); }),
              HasSubstr("test.pkl: the pickle builds a list or dict that contains itself at byte 8"));
  // d = {}; d['k'] = (d,): through a tuple
  EXPECT_THAT(load_error([] { run(bytes({"\x80\x02}q\x00"sv, binunicode("k"), "h\x00\x85s."sv})); }),
              HasSubstr("contains itself"));
  // l = []; l.append(l); then dropped: the result (None) does not reach the cycle, which would still leak
  EXPECT_THAT(load_error([] { run("\x80\x02]q\x00h\x00" "a0N."sv); }), HasSubstr("contains itself"));
  // ...and a later error frees it too: l.append(l), then an unsupported opcode
  EXPECT_THAT(load_error([] { run("\x80\x02]q\x00h\x00" "aF"sv); }), HasSubstr("unsupported pickle opcode FLOAT"));
}

TEST(PickleVm, HookErrorsCarryTheSourceAndOffset) {
  EXPECT_THAT(load_error([] { run("\x80\x02K\x01Q."sv); }), HasSubstr("test.pkl: no such storage at byte 4"));
  EXPECT_THAT(load_error([] { run("\x80\x02]K\x01" "b."sv); }), HasSubstr("test.pkl: cannot build a list at byte 5"));
}

TEST(PickleVm, OpcodeNames) {
  EXPECT_STREQ(opcode_name('X'), "BINUNICODE");
  EXPECT_STREQ(opcode_name(0x93), "STACK_GLOBAL");
  EXPECT_STREQ(opcode_name(0x98), "READONLY_BUFFER");
  EXPECT_STREQ(opcode_name(0x00), "UNKNOWN");
}

}  // namespace
}  // namespace uninlu::pickle
