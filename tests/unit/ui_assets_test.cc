// The embedded configuration page (rest/ui_assets.h): what was embedded, and
// how a request picks the page, its encoding and its cache answers.
#include "rest/ui_assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace saltgw::rest {
namespace {

HttpRequest get(std::string path, std::string accept = "", std::string encoding = "", std::string inm = "") {
  HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.accept = std::move(accept);
  r.accept_encoding = std::move(encoding);
  r.if_none_match = std::move(inm);
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

constexpr const char* kBrowserAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

TEST(UiAssets, EmbeddedAssetsAreSmallVersionedAndTagged) {
  ASSERT_GE(kUiAssetCount, 3u);
  size_t gz_total = 0;
  std::regex versioned(R"(^/ui/[a-z]+\.[0-9a-f]{12}\.(js|css)$)");
  std::regex strong_etag(R"(^"[0-9a-f]{32}"$)");
  const UiAsset* page = find_ui_asset("/ui/");
  ASSERT_NE(page, nullptr);
  for (size_t i = 0; i < kUiAssetCount; ++i) {
    const UiAsset& a = kUiAssets[i];
    SCOPED_TRACE(std::string(a.path));
    gz_total += a.gzipped.size();
    EXPECT_TRUE(std::regex_match(std::string(a.etag), strong_etag));
    // A gzip member (magic, deflate) whose trailer gives the plain size.
    ASSERT_GT(a.gzipped.size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>(a.gzipped[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(a.gzipped[1]), 0x8b);
    auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(a.gzipped[a.gzipped.size() - 4 + k])); };
    EXPECT_EQ(b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24, a.plain.size());
    EXPECT_LT(a.gzipped.size(), a.plain.size());
    if (&a == page) {
      EXPECT_FALSE(a.immutable);
      continue;
    }
    EXPECT_TRUE(a.immutable);
    EXPECT_TRUE(std::regex_match(std::string(a.path), versioned));
    // The page refers to every asset by its versioned name.
    EXPECT_NE(page->plain.find(std::string(a.path)), std::string_view::npos);
  }
  EXPECT_LT(gz_total, 100u * 1024) << "the whole page, gzipped, must stay under 100 KB";
  // No inline script or style (the Content-Security-Policy forbids them).
  EXPECT_EQ(page->plain.find("<script>"), std::string_view::npos);
  EXPECT_EQ(page->plain.find("<style"), std::string_view::npos);
  EXPECT_EQ(page->plain.find(" style="), std::string_view::npos);
  EXPECT_EQ(page->plain.find("http://"), std::string_view::npos);
  EXPECT_EQ(page->plain.find("https://"), std::string_view::npos);
}

TEST(UiAssets, WantsHtmlOnlyWhenHtmlComesBeforeJson) {
  EXPECT_TRUE(wants_html(kBrowserAccept));
  EXPECT_TRUE(wants_html("text/html"));
  EXPECT_TRUE(wants_html("text/html, application/json"));
  EXPECT_TRUE(wants_html("application/xhtml+xml, */*;q=0.5"));
  EXPECT_TRUE(wants_html("text/html;q=0.9, application/json;q=0.8"));
  EXPECT_TRUE(wants_html("TEXT/HTML; charset=utf-8"));

  EXPECT_FALSE(wants_html(""));
  EXPECT_FALSE(wants_html("*/*"));
  EXPECT_FALSE(wants_html("application/json"));
  EXPECT_FALSE(wants_html("application/json, text/html"));
  EXPECT_FALSE(wants_html("text/html;q=0.5, application/json"));
  EXPECT_FALSE(wants_html("text/html;q=0.5, */*"));
  EXPECT_FALSE(wants_html("text/html;q=0, */*;q=0.1"));
  EXPECT_FALSE(wants_html("text/html;q=bogus"));
  EXPECT_FALSE(wants_html("application/x-ndjson"));
  EXPECT_FALSE(wants_html("text/*"));
  EXPECT_FALSE(wants_html(", ,;q=1"));
}

TEST(UiAssets, GzipOnlyWhenAccepted) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("br;q=1, gzip;q=0.5"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
}

TEST(UiAssets, EtagMatching) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("abc", "\"abc\""));
}

TEST(UiAssets, RootAnswersThePageOnlyToBrowsers) {
  EXPECT_FALSE(ui_response(get("/")).has_value());
  EXPECT_FALSE(ui_response(get("/", "*/*")).has_value());
  EXPECT_FALSE(ui_response(get("/", "application/json")).has_value());
  HttpRequest post = get("/", kBrowserAccept);
  post.method = "POST";
  EXPECT_FALSE(ui_response(post).has_value());  // the API's 405, as before
  EXPECT_FALSE(ui_response(get("/dongle/devices/", kBrowserAccept)).has_value());
  EXPECT_FALSE(ui_response(get("/uix", kBrowserAccept)).has_value());

  auto page = ui_response(get("/", kBrowserAccept, "gzip, deflate"));
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(*page, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(*page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*page, "Vary"), "Accept, Accept-Encoding");
  EXPECT_NE(header(*page, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page->body, std::string(find_ui_asset("/ui/")->gzipped));

  auto plain = ui_response(get("/ui/", "", "identity"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(header(*plain, "Content-Encoding"), "");
  EXPECT_NE(plain->body.find("<!doctype html>"), std::string::npos);
  EXPECT_EQ(header(*plain, "ETag"), header(*page, "ETag"));
}

TEST(UiAssets, AssetsCacheAnd304) {
  const UiAsset* css = nullptr;
  for (size_t i = 0; i < kUiAssetCount; ++i)
    if (kUiAssets[i].path.find(".css") != std::string_view::npos) css = &kUiAssets[i];
  ASSERT_NE(css, nullptr);
  auto r = ui_response(get(std::string(css->path), "text/css,*/*;q=0.1", "gzip"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(header(*r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r->content_type, "text/css; charset=utf-8");

  auto again = ui_response(get(std::string(css->path), "", "gzip", std::string(css->etag)));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(header(*again, "ETag"), std::string(css->etag));

  auto missing = ui_response(get("/ui/app.000000000000.js"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"error\""), std::string::npos);

  HttpRequest put = get("/ui/");
  put.method = "PUT";
  auto refused = ui_response(put);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 405);
  EXPECT_EQ(header(*refused, "Allow"), "GET, HEAD, OPTIONS");
}

}  // namespace
}  // namespace saltgw::rest
