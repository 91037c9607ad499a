// Unit tests for salt_ipc/engine_support.h: which Salt releases the executor
// engine runs on, and what saltgw says about a minion older than that.
#include "salt_ipc/engine_support.h"

#include <gtest/gtest.h>

namespace saltgw::salt_ipc {
namespace {

TEST(EngineSupport, ReleaseNumberOfEachVersionStyle) {
  EXPECT_EQ(salt_release("2017.7.8"), 2017);
  EXPECT_EQ(salt_release("2019.2.0"), 2019);
  EXPECT_EQ(salt_release("3000"), 3000);
  EXPECT_EQ(salt_release("3006.23"), 3006);
  EXPECT_EQ(salt_release("3007.1rc1"), 3007);
  EXPECT_EQ(salt_release("3008.4+12.g1234"), 3008);
  EXPECT_EQ(salt_release(""), std::nullopt);
  EXPECT_EQ(salt_release("?"), std::nullopt);
  EXPECT_EQ(salt_release("v3006"), std::nullopt);
}

TEST(EngineSupport, OldFleetAndPre3006AreNotSupported) {
  EXPECT_FALSE(engine_supports_salt("2016.11.10"));
  EXPECT_FALSE(engine_supports_salt("2017.7.8"));  // AutoPi's Python 2.7 fleet
  EXPECT_FALSE(engine_supports_salt("2019.2.8"));
  EXPECT_FALSE(engine_supports_salt("3004.2"));
  EXPECT_FALSE(engine_supports_salt("3005.5"));
}

TEST(EngineSupport, From3006OnIsSupported) {
  EXPECT_TRUE(engine_supports_salt("3006.0"));
  EXPECT_TRUE(engine_supports_salt("3006.23"));
  EXPECT_TRUE(engine_supports_salt("3007.16"));
  EXPECT_TRUE(engine_supports_salt("3008.4"));
  // An engine or minion that does not say is not held against it.
  EXPECT_TRUE(engine_supports_salt(""));
}

TEST(EngineSupport, WordsNameTheVersionTheMinimumAndTheFallback) {
  std::string w = engine_unsupported_words("2017.7.8");
  EXPECT_NE(w.find("Salt 2017.7.8"), std::string::npos) << w;
  EXPECT_NE(w.find("Salt 3006 or newer"), std::string::npos) << w;
  EXPECT_NE(w.find("Python 3.7 or newer"), std::string::npos) << w;
  EXPECT_NE(w.find("scheduler (schedule)"), std::string::npos) << w;
}

}  // namespace
}  // namespace saltgw::salt_ipc
