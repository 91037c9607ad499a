// The configuration page (ui/), embedded in the binary, and how it is served.
//
// scripts/embed_ui.py gzips each file of ui/ at build time and emits the
// table kUiAssets: the page itself at /ui/ (no-cache, revalidated by ETag) and
// its script and style sheet under versioned names (/ui/app.<hash>.js,
// cached for a year, immutable). GET / answers the page only to clients that
// ask for HTML before JSON (browsers); every other client gets the JSON
// {"unit_id"} as before.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "rest/api.h"

namespace saltgw::rest {

struct UiAsset {
  std::string_view path;          // "/ui/", "/ui/app.<hash>.js", ...
  std::string_view content_type;
  std::string_view etag;          // strong: "\"<hex>\""
  bool immutable;                 // versioned name: cache for a year
  std::string_view gzipped;       // gzip member, mtime 0
  std::string_view plain;
};

extern const UiAsset kUiAssets[];
extern const size_t kUiAssetCount;

// The asset served at `path` ("/ui", "/ui/" and "/ui/index.html" are the
// page), or null.
const UiAsset* find_ui_asset(std::string_view path);

// True when an Accept header prefers HTML to JSON: text/html (or
// application/xhtml+xml) with a q-value above JSON's (application/json, else
// application/*, else */*), or equal and listed first. A missing Accept,
// "*/*" and "application/json" are JSON.
bool wants_html(std::string_view accept);

// True when Accept-Encoding allows gzip (q > 0, or "*" with q > 0 and gzip
// not refused).
bool accepts_gzip(std::string_view accept_encoding);

// True when an If-None-Match header lists `etag` (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// The answer to a request for the page or one of its assets; nullopt when the
// request is not for the page (the API answers it).
std::optional<HttpResponse> ui_response(const HttpRequest& req);

}  // namespace saltgw::rest
