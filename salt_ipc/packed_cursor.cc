#include "salt_ipc/packed_cursor.h"

#include <algorithm>

#include "salt_ipc/msgpack_reader.h"

namespace saltgw::salt_ipc {

PackedCursor::PackedCursor(const Packed& packed) : in_(packed.msgpack()) {}

bool PackedCursor::next(Item& item) {
  item = Item{};
  if (!started_) {
    started_ = true;
    value_at(0, item);
    return true;
  }
  if (stack_.empty()) return false;
  Frame& f = stack_.back();
  if (!f.map) {
    if (f.left == 0) {
      stack_.pop_back();
      item.type = Item::kListEnd;
      return true;
    }
    item.follows_sibling = !f.first;
    f.first = false;
    f.left--;
    size_t at = f.off;
    f.off = msgpack_skip(in_, at);
    value_at(at, item);  // may open a container: f is not used after
    return true;
  }
  if (f.value_next) {
    f.value_next = false;
    value_at(f.keys[f.index - 1].second, item);
    return true;
  }
  if (f.index == f.keys.size()) {
    stack_.pop_back();
    item.type = Item::kMapEnd;
    return true;
  }
  item.follows_sibling = !f.first;
  f.first = false;
  key_ = std::move(f.keys[f.index].first);
  f.index++;
  f.value_next = true;
  item.type = Item::kKey;
  item.text = key_;
  return true;
}

void PackedCursor::value_at(size_t off, Item& item) {
  MsgpackToken t;
  if (!read_token(in_, off, t)) return;  // checked when packed: cannot happen (a null)
  switch (t.type) {
    case MsgpackToken::kNil: item.type = Item::kNull; return;
    case MsgpackToken::kBool: item.type = Item::kBool; item.b = t.b; return;
    case MsgpackToken::kInt: item.type = Item::kInt; item.i = t.i; return;
    case MsgpackToken::kUint: item.type = Item::kDouble; item.d = static_cast<double>(t.u); return;
    case MsgpackToken::kDouble: item.type = Item::kDouble; item.d = t.d; return;
    case MsgpackToken::kStr: item.type = Item::kString; item.text = t.data; return;
    case MsgpackToken::kBin:
    case MsgpackToken::kExt: item.type = Item::kBytes; item.text = t.data; return;
    case MsgpackToken::kArray: {
      item.type = Item::kListStart;
      Frame f;
      f.off = off;
      f.left = t.count;
      stack_.push_back(std::move(f));
      return;
    }
    case MsgpackToken::kMap: {
      item.type = Item::kMapStart;
      Frame f;
      f.map = true;
      // The decoded map's order: keys sorted, the last of repeated keys wins.
      std::vector<std::pair<std::string, size_t>> all;
      all.reserve(t.count);
      for (uint32_t i = 0; i < t.count && off != SIZE_MAX; ++i) {
        MsgpackToken k;
        std::string name;
        if (!read_token(in_, off, k) || !msgpack_key_string(k, name)) break;
        all.emplace_back(std::move(name), off);
        off = msgpack_skip(in_, off);
      }
      std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < all.size(); ++i)
        if (i + 1 == all.size() || all[i + 1].first != all[i].first) f.keys.push_back(std::move(all[i]));
      stack_.push_back(std::move(f));
      return;
    }
  }
}

}  // namespace saltgw::salt_ipc
