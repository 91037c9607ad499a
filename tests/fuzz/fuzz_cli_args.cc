// libFuzzer target: the execute_raw parser (salt_args/cli_args.h), i.e. what
// POST /dongle/<id>/execute_raw/ does with {"command": "<input>"}:
// shell_split, then parse_cli_args (parse_kwarg + yamlify_arg per word).
//
// Invariants: no exception, no sanitizer report, no hang (libFuzzer's
// -timeout); words re-quoted the POSIX way split back to the same words;
// a kwarg word is "name=value"; every parsed value survives msgpack (it is
// sent to the minion) and JSON-like re-encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salt_args/cli_args.h"
#include "salt_ipc/msgpack_codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace saltgw;
using saltgw::fuzz::brief;
using saltgw::fuzz::values_equal;

namespace {

// shlex.quote: single quotes around everything, ' written as '"'"'.
std::string quote(const std::string& w) {
  std::string q = "'";
  for (char c : w) {
    if (c == '\'') q += "'\"'\"'";
    else q.push_back(c);
  }
  return q + "'";
}

void check_sendable(const salt_ipc::Value& v) {
  salt_ipc::DecodeLimits limits;
  limits.max_depth = salt_ipc::kMaxYamlDepth + 8;
  limits.max_elements = salt_ipc::kMaxYamlValues + 8;
  std::string enc = salt_ipc::msgpack_encode(v);
  auto back = salt_ipc::msgpack_decode(enc, limits);
  FUZZ_CHECK(back.ok(), "parsed value does not survive msgpack: " + back.error().message + " " + brief(v));
  FUZZ_CHECK(values_equal(back.value(), v), "msgpack changed a parsed value: " + brief(v));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view command(reinterpret_cast<const char*>(data), size);

  auto words = salt_ipc::shell_split(command);
  if (!words) {
    FUZZ_CHECK(words.error().kind == salt_ipc::ErrorKind::kInvalidArgument, "shell_split error kind");
    const auto& m = words.error().message;
    FUZZ_CHECK(m == "No closing quotation" || m == "No escaped character", "unexpected message: " + m);
  } else {
    std::string requoted;
    for (const auto& w : words.value()) requoted += quote(w) + " ";
    auto again = salt_ipc::shell_split(requoted);
    FUZZ_CHECK(again.ok() && again.value() == words.value(), "re-quoted words split differently");

    if (!words->empty()) {
      std::vector<std::string> rest(words->begin() + 1, words->end());
      auto parsed = salt_ipc::parse_cli_args(rest);
      FUZZ_CHECK(parsed.args.size() + parsed.kwargs.size() <= rest.size(), "more arguments than words");
      for (const auto& a : parsed.args) check_sendable(a);
      for (const auto& [k, v] : parsed.kwargs) {
        FUZZ_CHECK(!k.empty(), "empty keyword name");
        check_sendable(v);
      }
    }
  }

  // The whole input as one word (JSON list bodies hand words over unsplit).
  salt_ipc::Value v = salt_ipc::yamlify_arg(command);
  check_sendable(v);
  if (auto kw = salt_ipc::parse_kwarg(command)) {
    std::string joined = kw->first + "=" + kw->second;
    FUZZ_CHECK(joined == command || joined + "\n" == command, "parse_kwarg does not split name=value");
  }
  return 0;
}
