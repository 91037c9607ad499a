// Unit tests for salt_ipc/packed_cursor.h: the items of a packed value come
// in the order and with the keys and numbers of its decoded value, with
// separators where a writer needs them, and the value is never decoded.
#include "salt_ipc/packed_cursor.h"

#include <gtest/gtest.h>

#include <string>

#include "salt_ipc/msgpack_codec.h"
#include "tests/unit/hex.h"

namespace saltgw::salt_ipc {
namespace {

using saltgw::testing::from_hex;
using Item = PackedCursor::Item;

// The items as a compact string: "{ k:a 1 , k:b [ 2 , 3 ] }".
std::string walk(const std::string& msgpack) {
  auto bytes = std::make_shared<const std::string>(msgpack);
  Value v = make_packed(bytes, *bytes);
  PackedCursor c(*v.packed());
  std::string out;
  Item it;
  while (c.next(it)) {
    if (!out.empty()) out += ' ';
    if (it.follows_sibling) out += ", ";
    switch (it.type) {
      case Item::kNull: out += "null"; break;
      case Item::kBool: out += it.b ? "true" : "false"; break;
      case Item::kInt: out += std::to_string(it.i); break;
      case Item::kDouble: out += "d" + std::to_string(it.d); break;
      case Item::kString: out += "s:" + std::string(it.text); break;
      case Item::kBytes: out += "b:" + std::string(it.text); break;
      case Item::kKey: out += "k:" + std::string(it.text); break;
      case Item::kListStart: out += "["; break;
      case Item::kListEnd: out += "]"; break;
      case Item::kMapStart: out += "{"; break;
      case Item::kMapEnd: out += "}"; break;
    }
  }
  EXPECT_FALSE(c.next(it));  // stays done
  EXPECT_FALSE(v.packed()->was_decoded());
  return out;
}

TEST(PackedCursorTest, Scalars) {
  EXPECT_EQ(walk(from_hex("c0")), "null");
  EXPECT_EQ(walk(from_hex("c3")), "true");
  EXPECT_EQ(walk(from_hex("d0ff")), "-1");
  EXPECT_EQ(walk(from_hex("cfffffffffffffffff")), "d18446744073709551616.000000");
  EXPECT_EQ(walk(from_hex("ca3fc00000")), "d1.500000");
  EXPECT_EQ(walk(from_hex("a3616263")), "s:abc");
  EXPECT_EQ(walk(from_hex("c40161")), "b:a");
  EXPECT_EQ(walk(from_hex("d40561")), "b:a");
}

TEST(PackedCursorTest, ListsWithSeparators) {
  EXPECT_EQ(walk(from_hex("90")), "[ ]");
  EXPECT_EQ(walk(from_hex("93" "01" "92" "02" "90" "a178")), "[ 1 , [ 2 , [ ] ] , s:x ]");
}

TEST(PackedCursorTest, MapsInDecodedOrder) {
  // Keys 2, "b", true, "a", "b" again (the last wins), nil: sorted names.
  EXPECT_EQ(walk(from_hex("86" "02a0" "a16201" "c302" "a16103" "a16204" "c005")),
            "{ k:2 s: , k:a 3 , k:b 4 , k:null 5 , k:true 2 }");
  EXPECT_EQ(walk(from_hex("80")), "{ }");
  EXPECT_EQ(walk(from_hex("82" "a17a" "81" "a179" "90" "a161" "91" "80")), "{ k:a [ { } ] , k:z { k:y [ ] } }");
}

TEST(PackedCursorTest, SameOrderAsTheDecodedMap) {
  std::string msg = from_hex("85" "01a0" "ffa0" "cb3ff8000000000000a0" "c2a0" "a2c3a9a0");
  auto decoded = msgpack_decode(msg);
  ASSERT_TRUE(decoded.ok());
  std::string want = "{";
  bool first = true;
  for (const auto& [k, v] : decoded->as_map()) {
    want += std::string(first ? " k:" : " , k:") + k + " s:";
    first = false;
  }
  EXPECT_EQ(walk(msg), want + " }");
}

}  // namespace
}  // namespace saltgw::salt_ipc
