#include "rest/http/response_codec.h"

#include <cstdio>

namespace saltgw::rest::http {

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 400 ? "OK" : "Error";
  }
}

Framing framing_for(int status, bool length_known) {
  if (status == 204 || status == 304 || (status >= 100 && status < 200)) return Framing::kNone;
  return length_known ? Framing::kLength : Framing::kChunked;
}

void encode_head(const ResponseHead& head, std::string& out) {
  char line[64];
  std::snprintf(line, sizeof line, "HTTP/1.1 %d ", head.status);
  out.append(line).append(reason_phrase(head.status)).append("\r\n");
  for (const auto& [name, value] : head.fields) out.append(name).append(": ").append(value).append("\r\n");
  switch (head.framing) {
    case Framing::kLength: out.append("Content-Length: ").append(std::to_string(head.length)).append("\r\n"); break;
    case Framing::kChunked: out.append("Transfer-Encoding: chunked\r\n"); break;
    case Framing::kNone: break;
  }
  out.append(head.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

void encode_chunk(std::string_view data, std::string& out) {
  if (data.empty()) return;
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size).append(data).append("\r\n");
}

}  // namespace saltgw::rest::http
