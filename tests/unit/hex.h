// Hex fixtures for unit tests: bytes captured or packed elsewhere (Python's
// msgpack, a live minion) are pasted into the tests as hex strings.
#pragma once

#include <string>
#include <string_view>

namespace saltgw::testing {

// "82a4..." -> the bytes; upper or lower case, no separators.
inline std::string from_hex(std::string_view hex) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(nib(hex[i]) * 16 + nib(hex[i + 1])));
  return out;
}

// The bytes as lower-case hex.
inline std::string to_hex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace saltgw::testing
