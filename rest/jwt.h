// HS256 JSON Web Tokens signed with a per-device secret (libsodium HMAC).
//
// The secret is 32 random bytes in a file created on first start with mode
// 0600; a file that other users can read is refused. Verification checks the
// header, the signature in constant time and the expiry (when set).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::rest {

class JwtSigner {
 public:
  // Loads the secret from `path`, creating it (and its folder) when missing.
  static salt_ipc::Result<JwtSigner> open(const std::string& path);
  explicit JwtSigner(std::string secret) : secret_(std::move(secret)) {}

  // header {"alg":"HS256","typ":"JWT"} . claims . signature
  std::string sign(const salt_ipc::Value& claims) const;
  // The claims of a valid token; kInvalidArgument otherwise.
  salt_ipc::Result<salt_ipc::Value> verify(std::string_view token, int64_t now_s) const;

 private:
  std::string secret_;
};

}  // namespace saltgw::rest
