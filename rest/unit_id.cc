#include "rest/unit_id.h"

#include <cctype>

namespace saltgw::rest {

std::optional<std::string> parse_uuid(std::string_view t) {
  auto strip = [&](std::string_view prefix) {
    if (t.size() >= prefix.size()) {
      bool eq = true;
      for (size_t i = 0; i < prefix.size(); ++i)
        eq = eq && std::tolower(static_cast<unsigned char>(t[i])) == prefix[i];
      if (eq) t.remove_prefix(prefix.size());
    }
  };
  strip("urn:");
  strip("uuid:");
  if (t.size() >= 2 && t.front() == '{' && t.back() == '}') t = t.substr(1, t.size() - 2);
  std::string hex;
  for (char c : t) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() != 32) return std::nullopt;
  return hex;
}

std::string dashed_uuid(std::string_view h) {
  std::string s;
  s.reserve(36);
  s.append(h.substr(0, 8)).append("-").append(h.substr(8, 4)).append("-");
  s.append(h.substr(12, 4)).append("-").append(h.substr(16, 4)).append("-").append(h.substr(20));
  return s;
}

UnitId::UnitId(std::string minion_id) : minion_id_(std::move(minion_id)) {
  hex_ = parse_uuid(minion_id_);
  display_ = hex_ ? dashed_uuid(*hex_) : minion_id_;
}

UnitIdMatch UnitId::match(std::string_view from_url) const {
  if (!hex_) return from_url == minion_id_ ? UnitIdMatch::kMatch : UnitIdMatch::kMismatch;
  auto other = parse_uuid(from_url);
  if (!other) return UnitIdMatch::kMalformed;
  return *other == *hex_ ? UnitIdMatch::kMatch : UnitIdMatch::kMismatch;
}

}  // namespace saltgw::rest
