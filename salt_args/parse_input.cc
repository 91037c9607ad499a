// Salt's parse_input; see parse_input.h.
#include "salt_args/parse_input.h"

#include "salt_args/detail/python_text.h"
#include "salt_args/yamlify.h"

namespace saltgw::salt_ipc {

using salt_args::detail::is_py_word;
using salt_args::detail::py_decimal_value;
using salt_args::detail::utf8_append;
using salt_args::detail::utf8_decode;

namespace {

// One argument word: a keyword argument when it matches KWARG_REGEX, else
// positional; its value yamlified either way.
void add_word(ParsedArgs& out, const std::string& word) {
  if (auto kw = parse_kwarg(word)) {
    out.kwargs[kw->first] = yamlify_arg(kw->second);
  } else {
    out.args.push_back(yamlify_arg(word));
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_kwarg(std::string_view word) {
  std::u32string u;
  if (!utf8_decode(word, u)) return std::nullopt;
  if (u.empty()) return std::nullopt;
  char32_t first = u[0];
  if (!is_py_word(first) || py_decimal_value(first) >= 0) return std::nullopt;
  size_t i = 1;
  while (i < u.size() && (is_py_word(u[i]) || u[i] == U'.' || u[i] == U'-')) ++i;
  if (i >= u.size() || u[i] != U'=') return std::nullopt;
  if (i + 1 < u.size() && u[i + 1] == U'=') return std::nullopt;
  // (.*)$ : no newline inside the value, except one final newline, which
  // `$` matches before (and which is then not part of the value).
  std::u32string_view rest = std::u32string_view(u).substr(i + 1);
  if (!rest.empty() && rest.back() == U'\n') rest.remove_suffix(1);
  if (rest.find(U'\n') != std::u32string_view::npos) return std::nullopt;
  std::string name, value;
  for (size_t k = 0; k < i; ++k) utf8_append(name, u[k]);
  for (char32_t c : rest) utf8_append(value, c);
  return std::make_pair(std::move(name), std::move(value));
}

ParsedArgs parse_cli_args(const std::vector<std::string>& words) {
  ParsedArgs out;
  for (const auto& w : words) add_word(out, w);
  return out;
}

ParsedArgs parse_cli_values(const List& items) {
  ParsedArgs out;
  for (const auto& item : items) {
    if (item.is_string()) {
      add_word(out, item.as_string());
    } else if (item.is_map() && item.find("__kwarg__")) {
      Map m = item.as_map();
      const Value* flag = item.find("__kwarg__");
      bool is_kwarg = flag->is_bool() && flag->as_bool();
      m.erase(m.find("__kwarg__"));
      if (is_kwarg) {
        for (auto& [k, v] : m) out.kwargs[k] = std::move(v);
      } else {
        out.args.push_back(Value(std::move(m)));
      }
    } else {
      out.args.push_back(item);
    }
  }
  return out;
}

}  // namespace saltgw::salt_ipc
