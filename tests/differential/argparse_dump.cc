// Our side of the execute_raw argument-parsing differential test.
//
//   argparse_dump [corpus.txt]
//
// Reads the corpus (format in salt_reference.py) and prints, for each
// command, the same canonical JSON line salt_reference.py prints from Salt:
// shell_split, first word = function, parse_cli_args on the rest.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "salt_args/cli_args.h"
#include "salt_args/detail/python_text.h"  // utf8_append

namespace {

using saltgw::salt_args::detail::utf8_append;
using saltgw::salt_ipc::Bytes;
using saltgw::salt_ipc::List;
using saltgw::salt_ipc::Map;
using saltgw::salt_ipc::Value;

// Decodes a JSON string literal (the text after "@@"). False on bad input.
bool json_string(const std::string& s, std::string& out) {
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || s[i] != '"') return false;
  ++i;
  auto hex4 = [&](size_t at, unsigned long& v) {
    if (at + 4 > s.size()) return false;
    v = std::stoul(s.substr(at, 4), nullptr, 16);
    return true;
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') return true;
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (++i >= s.size()) return false;
    char e = s[i++];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        unsigned long v;
        if (!hex4(i, v)) return false;
        i += 4;
        if (v >= 0xD800 && v <= 0xDBFF && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
          unsigned long lo;
          if (!hex4(i + 2, lo)) return false;
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        utf8_append(out, static_cast<char32_t>(v));
        break;
      }
      default: return false;
    }
  }
  return false;
}

// json.dumps(ensure_ascii=False) string escaping.
void put_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void put_value(std::string& out, const Value& v) {
  if (v.is_null()) {
    out += "null";
  } else if (v.is_bool()) {
    out += v.as_bool() ? "true" : "false";
  } else if (v.is_int()) {
    out += "{\"i\":\"" + std::to_string(v.as_int()) + "\"}";
  } else if (v.is_double()) {
    out += "{\"f\":\"" + saltgw::salt_ipc::python_float_repr(v.as_double()) + "\"}";
  } else if (v.is_string()) {
    put_string(out, v.as_string());
  } else if (v.is_bytes()) {
    static const char* hex = "0123456789abcdef";
    out += "{\"b\":\"";
    for (unsigned char c : v.as_bytes().data) {
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
    out += "\"}";
  } else if (v.is_list()) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v.as_list()) {
      if (!first) out.push_back(',');
      first = false;
      put_value(out, e);
    }
    out.push_back(']');
  } else {
    out += "{\"m\":{";
    bool first = true;
    for (const auto& [k, e] : v.as_map()) {
      if (!first) out.push_back(',');
      first = false;
      put_string(out, k);
      out.push_back(':');
      put_value(out, e);
    }
    out += "}}";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "tests/differential/corpus.txt";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "argparse_dump: cannot open " << path << "\n";
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  std::vector<std::string> lines;
  size_t start = 0;
  for (;;) {
    size_t nl = all.find('\n', start);
    lines.push_back(all.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string out;
  for (const auto& raw : lines) {
    if (raw.empty() || raw.rfind(";;", 0) == 0) continue;
    std::string cmd;
    if (raw.rfind("@@", 0) == 0) {
      if (!json_string(raw.substr(2), cmd)) {
        std::cerr << "argparse_dump: bad @@ line: " << raw << "\n";
        return 2;
      }
    } else {
      cmd = raw;
    }
    auto words = saltgw::salt_ipc::shell_split(cmd);
    if (!words.ok()) {
      out += "{\"error\":";
      put_string(out, words.error().message);
      out += "}\n";
      continue;
    }
    if (words->empty()) {
      out += "{\"error\":\"empty\"}\n";
      continue;
    }
    std::vector<std::string> rest(words->begin() + 1, words->end());
    auto parsed = saltgw::salt_ipc::parse_cli_args(rest);
    out += "{\"args\":";
    put_value(out, Value(parsed.args));
    out += ",\"fun\":";
    put_string(out, words->front());
    out += ",\"kwargs\":{";
    bool first = true;
    for (const auto& [k, v] : parsed.kwargs) {
      if (!first) out.push_back(',');
      first = false;
      put_string(out, k);
      out.push_back(':');
      put_value(out, v);
    }
    out += "}}\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
