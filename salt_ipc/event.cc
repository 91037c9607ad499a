#include "salt_ipc/event.h"

namespace saltgw::salt_ipc {

std::string event_pack(std::string_view tag, const Value& data) {
  std::string out;
  out.reserve(tag.size() + 64);
  out.append(tag);
  out.append(kTagEnd);
  msgpack_encode(data, out);
  return out;
}

namespace {

Result<Event> decode(std::string tag, std::string_view data, const DecodeLimits& limits) {
  Event ev;
  ev.tag = std::move(tag);
  if (data.empty()) {
    ev.data = Value(Map{});
    return ev;
  }
  auto v = msgpack_decode(data, limits);
  if (!v) return make_error(ErrorKind::kProtocol, "event '" + ev.tag + "': " + v.error().message);
  ev.data = std::move(v).value();
  return ev;
}

Result<Event> decode_padded(std::string_view raw, const DecodeLimits& limits) {
  std::string_view tag = raw.substr(0, kOldTagWidth);
  while (!tag.empty() && tag.back() == '|') tag.remove_suffix(1);
  return decode(std::string(tag), raw.substr(kOldTagWidth), limits);
}

}  // namespace

Result<Event> event_unpack(std::string_view raw, const DecodeLimits& limits) {
  size_t sep = raw.find(kTagEnd);
  bool could_be_padded = raw.size() >= kOldTagWidth && raw[kOldTagWidth - 1] == '|';
  if (sep != std::string_view::npos) {
    // Like Salt, the separator decides. Only when what follows it is not
    // msgpack, and the event could be an old padded one whose data happens to
    // hold "\n\n", is the padded form tried.
    auto ev = decode(std::string(raw.substr(0, sep)), raw.substr(sep + kTagEnd.size()), limits);
    if (ev || !could_be_padded || sep < kOldTagWidth) return ev;
    auto padded = decode_padded(raw, limits);
    return padded ? padded : ev;
  }
  if (raw.size() >= kOldTagWidth) return decode_padded(raw, limits);
  return make_error(ErrorKind::kProtocol, "event has no tag separator");
}

}  // namespace saltgw::salt_ipc
