#include "rest/ui_assets.h"

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "rest/api_error.h"

namespace saltgw::rest {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One element of a comma-separated header with an optional ";q=" weight.
struct Weighted {
  std::string value;  // lower case, parameters dropped
  double q = 1.0;
};

std::vector<Weighted> weighted_list(std::string_view header) {
  std::vector<Weighted> items;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = item.find(';');
    Weighted w{lower(trim(item.substr(0, semi))), 1.0};
    if (w.value.empty()) continue;
    while (semi != std::string_view::npos) {
      std::string_view rest = item.substr(semi + 1);
      semi = rest.find(';');
      std::string_view param = trim(rest.substr(0, semi));
      item = rest;
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        std::string num(param.substr(2));
        char* end = nullptr;
        double q = std::strtod(num.c_str(), &end);
        w.q = (end && *end == '\0' && q >= 0 && q <= 1) ? q : 0.0;  // a malformed weight refuses
      }
    }
    items.push_back(std::move(w));
  }
  return items;
}

constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpResponse asset_response(const UiAsset& a, const HttpRequest& req, bool vary_accept) {
  HttpResponse r;
  r.headers.emplace_back("ETag", std::string(a.etag));
  r.headers.emplace_back("Cache-Control", a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("Vary", vary_accept ? "Accept, Accept-Encoding" : "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!a.immutable) {
    r.headers.emplace_back("Content-Security-Policy", kPageCsp);
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  if (etag_matches(req.if_none_match, a.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::string(a.content_type);
  if (accepts_gzip(req.accept_encoding)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body.assign(a.gzipped);
  } else {
    r.body.assign(a.plain);
  }
  return r;
}

}  // namespace

const UiAsset* find_ui_asset(std::string_view path) {
  if (path == "/ui" || path == "/ui/index.html") path = "/ui/";
  for (size_t i = 0; i < kUiAssetCount; ++i)
    if (kUiAssets[i].path == path) return &kUiAssets[i];
  return nullptr;
}

bool wants_html(std::string_view accept) {
  double html_q = -1, json_q = -1;
  size_t html_pos = 0, json_pos = 0;
  int json_rank = 0;  // 3: application/json, 2: application/*, 1: */*
  auto items = weighted_list(accept);
  for (size_t i = 0; i < items.size(); ++i) {
    const Weighted& w = items[i];
    if ((w.value == "text/html" || w.value == "application/xhtml+xml") && w.q > html_q) {
      html_q = w.q;
      html_pos = i;
    }
    int rank = w.value == "application/json" ? 3 : w.value == "application/*" ? 2 : w.value == "*/*" ? 1 : 0;
    if (rank > json_rank) {
      json_rank = rank;
      json_q = w.q;
      json_pos = i;
    }
  }
  if (html_q <= 0) return false;
  if (json_rank == 0) return true;
  return html_q > json_q || (html_q == json_q && html_pos < json_pos);
}

bool accepts_gzip(std::string_view accept_encoding) {
  double gzip_q = -1, star_q = -1;
  for (const auto& w : weighted_list(accept_encoding)) {
    if (w.value == "gzip" || w.value == "x-gzip") gzip_q = w.q;
    else if (w.value == "*") star_q = w.q;
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, as RFC 9110 13.1.2 asks
    if (tag == etag) return true;
  }
  return false;
}

std::optional<HttpResponse> ui_response(const HttpRequest& req) {
  bool root = req.path.find_first_not_of('/') == std::string::npos;
  bool ui = req.path == "/ui" || req.path.rfind("/ui/", 0) == 0;
  if (!root && !ui) return std::nullopt;
  if (root) {
    if (req.method != "GET" || !wants_html(req.accept)) return std::nullopt;  // the JSON answer, as ever
    return asset_response(*find_ui_asset("/ui/"), req, true);
  }
  if (req.method == "OPTIONS") {
    HttpResponse r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Allow", "GET, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, OPTIONS");
    return r;
  }
  if (req.method != "GET") {
    return error_response(ApiError(HttpKind::kMethodNotAllowed, "405 Method Not Allowed: " + req.method.substr(0, 20) +
                                                                    " is not allowed here; use GET, OPTIONS")
                              .with_header("Allow", "GET, OPTIONS"));
  }
  const UiAsset* a = find_ui_asset(req.path);
  if (!a) return error_response(ApiError(salt_ipc::ErrorKind::kNotFound, "404 Not Found: no page asset " + req.path.substr(0, 200)));
  return asset_response(*a, req, false);
}

}  // namespace saltgw::rest
