// Unit tests for salt_ipc/digest.h. Expected values were computed with
// Python's hashlib (python3 -c 'import hashlib; print(hashlib.new(ALG, DATA).hexdigest())').
#include "salt_ipc/digest.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace saltgw::salt_ipc {
namespace {

// bytes(i % 251 for i in range(1000))
std::string thousand_bytes() {
  std::string s;
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<char>(i % 251));
  return s;
}

const std::string kMinionId = "e4f2c1a9b0d34e6f8a7c5b2d1e0f9a8b";

struct DigestCase {
  const char* name;
  std::string data;
  const char* md5;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

std::vector<DigestCase> cases() {
  return {
      {"empty", "", "d41d8cd98f00b204e9800998ecf8427e",
       "da39a3ee5e6b4b0d3255bfef95601890afd80709",
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2"
       "877eec2f63b931bd47417a81a538327af927da3e"},
      {"abc", "abc", "900150983cd24fb0d6963f7d28e17f72",
       "a9993e364706816aba3e25717850c26c9cd0d89d",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
       "a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
      {"thousand", thousand_bytes(), "a24f1e3ef66950e1327f210e3997ba2c",
       "c9c960a0b925474fab83942cc27d504fc24ac37b",
       "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d",
       "5096498d96f50f9a137c4db5b8b0cd38383ad55350fb5a98805fedc31fa1262f1f0cf4d6f12d7ecd8dedd933"
       "a4c9126344fe22e937a8ad35fdeae1e876ae698b"},
      {"minion_id", kMinionId, "34541e5f4205437912d0715fac93e976",
       "5267ab9be798f513f5c249aec74e23082b6d9049",
       "2c8ea1cd3f20363817b0c40445b7832f3ec157b015bc64ddf218a3fb1134c179",
       "06b6b0a052829f6d04ec0dbf5468724772b539756ae42238daa93934dae705c9772ee48e52f76c9012ca61a8"
       "0cc8dc9bd0b5c57a6d6d3e6b8741020abe7aed3b"},
      // Lengths around the 64-byte block and its padding boundary: b"x" * N.
      {"len55", std::string(55, 'x'), "04364420e25c512fd958a70738aa8f72",
       "cef734ba81a024479e09eb5a75b6ddae62e6abf1",
       "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
       "db9981645857e59805132f7699e78bbcf39f69380a41aac8e6fa158a0593f2017ffe48764687aa855dae3023"
       "fcceefd51a1551d57730423df18503e80ba381ba"},
      {"len56", std::string(56, 'x'), "668a72d5ba17f08e62dabcafad6db14b",
       "901305367c259952f4e7af8323f480d59f81335b",
       "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
       "a9436ec7761f9f0d5fa48e652d72b54622f763b36106e6551900b32f6cd7f4d88dbeaadeb866d7f5311663ed"
       "a3bbcda04ffb5a8e6779e14b84e95da5327c083e"},
      {"len63", std::string(63, 'x'), "7dc2ca208106a2f703567bdff99d8981",
       "0ddc4e0cccd9a12850deb5abb0853a4425559fec",
       "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
       "a6662db83dd0037dd13091be284aa0ece35d796b1cefe154a8ae10f7910a1f3cc6a097c0e8d068ca10099c5d"
       "0bfead8cefb93d4588b3a546017aa9a0f0509c12"},
      {"len64", std::string(64, 'x'), "c1bb4f81d892b2d57947682aeb252456",
       "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163",
       "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c",
       "791c91ff44685987a5c01d2811eede6f3a28d65e43709953c295931afc4941251e3a5dccbacabaf01dd72958"
       "9b1c4d47da93f6991c414f21188fb8449a2d1064"},
      {"len65", std::string(65, 'x'), "1bc932052302d074bdec39795fe00cf6",
       "78c741ddc482e4cdf8c474a0876347a0905b6233",
       "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9",
       "460d9da1179e60cf8ee45d2c687e45c963611cdf87d24f006e503608ddf286344cffdc6d4ecdc58ee6b0aa83"
       "dad625629e4bb0c22b0161135ea53597a4106850"},
      {"len119", std::string(119, 'x'), "ab347a5f68c8a443cfcddc633f12c24f",
       "4300320394f7ee239bcdce7d3b8bcee173a0cd5c",
       "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c",
       "c5df60b24c746cdac9aa906938286db6f9dbb7c419beca41e8189652575b3bc11b6d95931d561179dff68cfb"
       "ee1d4303ffca81dfe4c5d11f9bcaee2c191ea4be"},
      {"len120", std::string(120, 'x'), "fb98667f98096de92620b64f46e1c5b5",
       "ceb2821639c4b6dcb10bce0e522ca2e608ce056d",
       "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98",
       "13cdfbc65ba3c85548a7092021c6c0088c2fd745591fbb42dadbe00fbbc94d6894bcd7e9965fff3ab1481453"
       "c4b518c15b1938e2c01222ddf75a80c15cb82655"},
      {"len128", std::string(128, 'x'), "d69cb61a6ee87200676eb0d4b90edbcb",
       "150fa3fbdc899bd0b8f95a9fb6027f564d953762",
       "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464",
       "e2e22f8422b54b06e35c3ea30a383d1de7a8fbc27992923074103117020d8dd7024c3ecf7d6d1a15a6de5a75"
       "ff32fb486b9e8ced4c02ffe05822bf2cb734d0e0"},
  };
}

void expect_digest(const char* alg, const std::string& data, const char* want, const char* name) {
  auto r = hex_digest(alg, data);
  ASSERT_TRUE(r.ok()) << alg << " " << name << ": " << r.error().message;
  EXPECT_EQ(r.value(), want) << alg << " of " << name;
}

TEST(DigestTest, Md5) {
  for (const auto& c : cases()) expect_digest("md5", c.data, c.md5, c.name);
}

TEST(DigestTest, Sha1) {
  for (const auto& c : cases()) expect_digest("sha1", c.data, c.sha1, c.name);
}

TEST(DigestTest, Sha256) {
  for (const auto& c : cases()) expect_digest("sha256", c.data, c.sha256, c.name);
}

TEST(DigestTest, Sha512) {
  for (const auto& c : cases()) expect_digest("sha512", c.data, c.sha512, c.name);
}

TEST(DigestTest, OutputIsLowerCaseHexOfRightLength) {
  const std::pair<const char*, size_t> algs[] = {
      {"md5", 32}, {"sha1", 40}, {"sha256", 64}, {"sha512", 128}};
  for (const auto& [alg, len] : algs) {
    auto r = hex_digest(alg, "minion");
    ASSERT_TRUE(r.ok()) << alg;
    EXPECT_EQ(r->size(), len) << alg;
    EXPECT_EQ(r->find_first_not_of("0123456789abcdef"), std::string::npos) << *r;
  }
}

TEST(DigestTest, UnknownHashTypeIsConfigError) {
  for (const char* alg : {"", "sha3_256", "blake2b", "SHA256x", "md4", "sha224"}) {
    auto r = hex_digest(alg, "abc");
    ASSERT_FALSE(r.ok()) << alg << " gave " << r.value();
    EXPECT_EQ(r.error().kind, ErrorKind::kConfig) << alg;
    EXPECT_FALSE(r.error().message.empty());
  }
}

}  // namespace
}  // namespace saltgw::salt_ipc
