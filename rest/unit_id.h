// Unit ids: how the API shows and compares the minion id.
//
// AutoPi minion ids are 32 hex digits. The API shows such an id as a dashed,
// lower-case UUID and compares ids in URLs as UUIDs (case and dashes do not
// matter; "{...}" and "urn:uuid:" forms are accepted as Python's uuid.UUID
// does). A minion id that is not a UUID is shown and compared verbatim.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace saltgw::rest {

// The 32 lower-case hex digits of a UUID in any accepted form, or nullopt.
std::optional<std::string> parse_uuid(std::string_view text);

// "3f1d2c4b-0000-4000-8000-000000000001" from 32 hex digits.
std::string dashed_uuid(std::string_view hex32);

enum class UnitIdMatch { kMatch, kMismatch, kMalformed };

class UnitId {
 public:
  explicit UnitId(std::string minion_id);
  // What GET / shows.
  const std::string& display() const { return display_; }
  bool is_uuid() const { return hex_.has_value(); }
  // kMalformed: this device's id is a UUID and `from_url` is not one (404).
  // kMismatch: a well-formed id of some other device (401).
  UnitIdMatch match(std::string_view from_url) const;

 private:
  std::string minion_id_;
  std::optional<std::string> hex_;
  std::string display_;
};

}  // namespace saltgw::rest
