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

Result<Event> event_unpack(std::string_view raw, const DecodeLimits& limits) {
  Event ev;
  std::string_view data;
  size_t sep = raw.find(kTagEnd);
  bool padded = raw.size() >= kOldTagWidth && raw[kOldTagWidth - 1] == '|' &&
                (sep == std::string_view::npos || sep > kOldTagWidth);
  if (!padded && sep != std::string_view::npos) {
    ev.tag.assign(raw.substr(0, sep));
    data = raw.substr(sep + kTagEnd.size());
  } else if (raw.size() >= kOldTagWidth) {
    std::string_view tag = raw.substr(0, kOldTagWidth);
    while (!tag.empty() && tag.back() == '|') tag.remove_suffix(1);
    ev.tag.assign(tag);
    data = raw.substr(kOldTagWidth);
  } else {
    return make_error(ErrorKind::kProtocol, "event has no tag separator");
  }
  if (data.empty()) {
    ev.data = Value(Map{});
    return ev;
  }
  auto v = msgpack_decode(data, limits);
  if (!v) return make_error(ErrorKind::kProtocol, "event '" + ev.tag + "': " + v.error().message);
  ev.data = std::move(v).value();
  return ev;
}

}  // namespace saltgw::salt_ipc
