// The route table (rest/routes.h): which paths exist, what they capture and
// which methods each serves.
#include "rest/routes.h"

#include <gtest/gtest.h>

namespace saltgw::rest {
namespace {

TEST(Routes, EveryRouteWithAndWithoutTrailingSlash) {
  struct Case {
    const char* path;
    Route route;
    const char* allow;
  } cases[] = {
      {"/", Route::kRoot, "GET, OPTIONS"},
      {"/auth/login/", Route::kLogin, "POST, OPTIONS"},
      {"/dongle/devices", Route::kDevices, "GET, OPTIONS"},
      {"/download_log/", Route::kLog, "GET, OPTIONS"},
      {"/logs", Route::kLogs, "GET, OPTIONS"},
      {"/info/", Route::kInfo, "GET, OPTIONS"},
      {"/dongle/u/execute/", Route::kExecute, "POST, OPTIONS"},
      {"/dongle/u/execute_raw", Route::kExecuteRaw, "POST, OPTIONS"},
      {"/dongle/u/settings/apn/", Route::kApn, "GET, PUT, OPTIONS"},
      {"/dongle/u/jobs/123/", Route::kJob, "GET, DELETE, OPTIONS"},
      {"/dongle/u/events", Route::kEvents, "GET, OPTIONS"},
  };
  for (const auto& c : cases) {
    auto m = match_route(c.path);
    ASSERT_TRUE(m) << c.path;
    EXPECT_EQ(m->route, c.route) << c.path;
    EXPECT_EQ(m->allow(), c.allow) << c.path;
  }
}

TEST(Routes, CapturesUnitAndJid) {
  auto m = match_route("/dongle/abc/jobs/20260101000000000001");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->unit, "abc");
  EXPECT_EQ(m->jid, "20260101000000000001");
  EXPECT_TRUE(m->serves("DELETE"));
  EXPECT_FALSE(m->serves("POST"));
  EXPECT_FALSE(m->serves("OPTIONS"));  // answered on every route before the table's methods
  EXPECT_TRUE(match_route("//dongle//abc/execute//"));
}

TEST(Routes, OnlyRootAndLoginAreOpen) {
  EXPECT_TRUE(match_route("/")->open());
  EXPECT_TRUE(match_route("/auth/login")->open());
  EXPECT_FALSE(match_route("/info")->open());
  EXPECT_FALSE(match_route("/dongle/u/execute")->open());
}

TEST(Routes, NoRoute) {
  for (const char* p : {"/nope", "/dongle", "/dongle/u", "/dongle/u/execute/more", "/auth", "/dongle/u/jobs",
                        "/dongle/u/settings/wifi", "/auth/login/x"})
    EXPECT_FALSE(match_route(p)) << p;
}

}  // namespace
}  // namespace saltgw::rest
