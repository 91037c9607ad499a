#include "rest/jwt.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "rest/json.h"

namespace saltgw::rest {

using salt_ipc::ErrorKind;
using salt_ipc::make_error;
using salt_ipc::Result;

namespace {

std::string b64url(std::string_view bin) {
  std::string out(sodium_base64_encoded_len(bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                    bin.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<std::string> unb64url(std::string_view s) {
  std::string out(s.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(), s.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string hmac(const std::string& key, std::string_view msg) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string(reinterpret_cast<char*>(mac), sizeof mac);
}

}  // namespace

Result<JwtSigner> JwtSigner::open(const std::string& path) {
  if (sodium_init() < 0) return make_error(ErrorKind::kInternal, "libsodium failed to initialise");
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return make_error(ErrorKind::kConfig, "cannot create secret file " + path + ": " + std::strerror(errno));
    unsigned char key[32];
    randombytes_buf(key, sizeof key);
    ssize_t n = ::write(fd, key, sizeof key);
    ::close(fd);
    if (n != static_cast<ssize_t>(sizeof key))
      return make_error(ErrorKind::kConfig, "cannot write secret file " + path);
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) return make_error(ErrorKind::kConfig, "cannot open secret file " + path + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  if (st.st_mode & 077) {
    ::close(fd);
    return make_error(ErrorKind::kConfig, "secret file " + path +
                                              " is accessible to other users; chmod 600 it");
  }
  std::string secret(64, '\0');
  ssize_t n = ::read(fd, secret.data(), secret.size());
  ::close(fd);
  if (n < 16) return make_error(ErrorKind::kConfig, "secret file " + path + " is too short");
  secret.resize(static_cast<size_t>(n));
  return JwtSigner(std::move(secret));
}

std::string JwtSigner::sign(const salt_ipc::Value& claims) const {
  std::string signing_input = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(json_write(claims));
  return signing_input + "." + b64url(hmac(secret_, signing_input));
}

Result<salt_ipc::Value> JwtSigner::verify(std::string_view token, int64_t now_s) const {
  auto bad = [](std::string why) { return make_error(ErrorKind::kInvalidArgument, "invalid token: " + why); };
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return bad("not a JWT");
  auto sig = unb64url(token.substr(d2 + 1));
  std::string expected = hmac(secret_, token.substr(0, d2));
  if (!sig || sig->size() != expected.size() ||
      sodium_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return bad("bad signature");
  auto header = unb64url(token.substr(0, d1));
  auto payload = unb64url(token.substr(d1 + 1, d2 - d1 - 1));
  if (!header || !payload) return bad("bad encoding");
  auto h = json_parse(*header);
  if (!h || !h->is_map() || !h->find("alg") || h->find("alg")->text() != "HS256")
    return bad("unsupported algorithm");
  auto claims = json_parse(*payload);
  if (!claims || !claims->is_map()) return bad("bad claims");
  if (const auto* exp = claims->find("exp"); exp && exp->is_int() && exp->as_int() < now_s)
    return bad("expired");
  return std::move(claims).value();
}

}  // namespace saltgw::rest
