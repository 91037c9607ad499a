// Salt events: a tag and a data map, as carried on the minion's event bus.
//
// Wire form (salt.utils.event): tag bytes, "\n\n", msgpack(data). Releases
// before 2014.1 padded the tag with '|' to 20 characters instead of the
// separator; unpack accepts both. Tags are '/'-separated names such as
// "salt/job/<jid>/ret" or "__schedule_return".
#pragma once

#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/msgpack_codec.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

struct Event {
  std::string tag;
  Value data;
};

// The separator between tag and data.
inline constexpr std::string_view kTagEnd = "\n\n";
// Width of the padded tags of pre-2014.1 releases.
inline constexpr size_t kOldTagWidth = 20;

std::string event_pack(std::string_view tag, const Value& data);
Result<Event> event_unpack(std::string_view raw, const DecodeLimits& limits = {});

// Tag matching as Salt's "startswith" event_match_type: an empty prefix
// matches every tag.
inline bool tag_matches(std::string_view tag, std::string_view prefix) {
  return tag.substr(0, prefix.size()) == prefix;
}

}  // namespace saltgw::salt_ipc
