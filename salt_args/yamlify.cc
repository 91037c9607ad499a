// Salt's yamlify_arg; see yamlify.h.
#include "salt_args/yamlify.h"

#include <deque>
#include <exception>
#include <optional>
#include <utility>

#include "salt_args/detail/python_number.h"
#include "salt_args/detail/python_text.h"
#include "salt_args/detail/yaml_compose.h"
#include "salt_args/detail/yaml_construct.h"
#include "salt_args/detail/yaml_error.h"
#include "salt_args/detail/yaml_reader.h"
#include "salt_args/detail/yaml_scanner.h"

namespace saltgw::salt_ipc {
namespace {

using salt_args::detail::compose;
using salt_args::detail::construct_document;
using salt_args::detail::Kind;
using salt_args::detail::libyaml_read;
using salt_args::detail::Node;
using salt_args::detail::Obj;
using salt_args::detail::py_strip;
using salt_args::detail::scan_tokens;
using salt_args::detail::utf8_decode;
using salt_args::detail::YamlError;

// yaml.load(word, Loader=SaltYamlSafeLoader); nullopt when it raises.
std::optional<Obj> yaml_load(std::string_view word) {
  try {
    std::u32string text;
    if (!utf8_decode(word, text) || !libyaml_read(text)) return std::nullopt;
    std::deque<Node> nodes;
    Node* root = compose(scan_tokens(std::move(text)), nodes);
    if (!root) return Obj{};
    return construct_document(root);
  } catch (const YamlError&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}


Value yamlify_impl(std::string_view word) {
  std::u32string u;
  if (!utf8_decode(word, u)) return Value(std::string(word));  // not text: keep
  std::u32string_view stripped = py_strip(u);
  if (stripped.empty() || stripped == U"---" || stripped == U"...") return Value(std::string(word));
  if (word.find('_') != std::string_view::npos) {
    bool all = true;
    for (char32_t c : stripped) {
      if (!((c >= U'0' && c <= U'9') || c == U'_')) {
        all = false;
        break;
      }
    }
    if (all) return Value(std::string(word));
  }
  if (word.find_first_of("\t\r\n") != std::string_view::npos) return Value(std::string(word));
  if (word.find('#') != std::string_view::npos) {
    auto parsed = yaml_load(word);
    if (!parsed || parsed->kind == Kind::kStr || parsed->kind == Kind::kNone) {
      return Value(std::string(word));
    }
    return std::move(parsed->value);
  }
  if (word == "None") return Value(nullptr);
  auto parsed = yaml_load(word);
  if (!parsed) return Value(std::string(word));
  switch (parsed->kind) {
    case Kind::kDict:
      if (word.empty() || word[0] != '{') return Value(std::string(word));
      return std::move(parsed->value);
    case Kind::kList:
      if (word.empty() || word[0] != '[') return Value(std::string(word));
      return std::move(parsed->value);
    case Kind::kNone:
      if (word == "!") return Value(std::string(word));
      return Value(nullptr);
    case Kind::kStr:
      if (parsed->value.as_string().empty() && (word == "|" || word == "!")) {
        return Value(std::string(word));
      }
      return std::move(parsed->value);
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
      return std::move(parsed->value);
    default:
      return Value(std::string(word));  // bytes, set: "we don't support this type"
  }
}

}  // namespace

Value yamlify_arg(std::string_view word) {
  try {
    return yamlify_impl(word);
  } catch (...) {
    return Value(std::string(word));
  }
}

std::string python_float_repr(double d) { return salt_args::detail::float_repr(d); }

}  // namespace saltgw::salt_ipc
