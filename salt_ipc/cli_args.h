// Salt's command-line argument parsing, for the execute_raw endpoint.
//
// execute_raw receives one string such as `test.arg 1 yes [1,2] {a: b} k=v`.
// The Python Local API splits it with shlex.split() and hands the words after
// the function name to salt.utils.args.parse_input(words, condition=False):
// `name=value` words (KWARG_REGEX) become keyword arguments, everything else
// is positional, and every value goes through salt.utils.args.yamlify_arg,
// i.e. Salt's YAML loader (SaltYamlSafeLoader on PyYAML's CSafeLoader, which
// is libyaml underneath) plus Salt's own exceptions. This file
// reproduces that behaviour natively; tests/differential/ checks it against
// Salt itself, line by line, on a corpus of commands.
//
// The YAML part is our own small implementation of what libyaml's scanner and
// parser, PyYAML's composer/resolver (YAML 1.1 implicit types) and
// SafeConstructor + SaltYamlSafeLoader do with one word; yaml-cpp is not used
// because it follows YAML 1.2 and differs from libyaml on many edge cases.
//
// How Python values map onto salt_ipc::Value (what a Salt function receives
// after Salt's msgpack transport, given that Value maps have string keys):
//   * None/bool/float/str map directly; ints within int64 are ints.
//   * Ints outside int64 become their decimal text: salt.payload turns ints
//     msgpack cannot carry into str(). (Deviation: Salt would still send
//     2**63..2**64-1 as msgpack uint64; Value has no uint64, so text too.)
//     Ints whose decimal form would exceed Python's 4300-digit limit leave the
//     word unparsed (Python raises while converting them).
//   * Dates: SaltYamlSafeLoader registers construct_scalar for YAML
//     timestamps, so `2024-01-02` or `2001-12-14t21:59:43.10-05:00` arrive
//     as the plain string, exactly as typed. No date type is ever produced.
//   * !!binary gives Bytes (msgpack bin); tuples (!!omap, !!pairs) and sets
//     (!!set) become lists, as msgpack does with them. A set keeps the
//     document order of its members (Python's is hash order).
//   * Map keys that are not text in YAML (`{1: a, true: b, ~: c, 1.5: d}`)
//     are turned into the text JSON would use, the same convention as
//     msgpack_codec.h: 1 -> "1", true -> "true", null -> "null",
//     1.5 -> "1.5" (Python repr), inf -> "Infinity", nan -> "NaN", bytes keys
//     -> their raw bytes. Keys distinct in Python but equal as text
//     (`{1: a, "1": b}`) collapse; the later entry wins. Keys Python treats
//     as equal (`{1: a, 1.0: b}`, `{1: a, true: b}`) are duplicates, which
//     Salt rejects, so the word stays a string.
//
// Guards (none of which Salt has; each leaves the word as the plain string):
// collections nested deeper than kMaxYamlDepth, values larger than
// kMaxYamlValues nodes after alias expansion ("billion laughs"), recursive
// aliases (`&a [*a]`, which PyYAML turns into a self-containing list).
// No exception escapes any function here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salt_ipc/error.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

inline constexpr size_t kMaxYamlDepth = 256;
inline constexpr size_t kMaxYamlValues = 200000;

// shlex.split(s) in POSIX mode (quotes, backslash escapes, no comments).
// Error (kind kInvalidArgument) with Python's messages "No closing quotation"
// or "No escaped character".
Result<std::vector<std::string>> shell_split(std::string_view command);

// salt.utils.args.yamlify_arg for one value.
Value yamlify_arg(std::string_view word);

// salt.utils.args.parse_kwarg: {name, value} when the word matches
// KWARG_REGEX (`^([^\d\W][\w.-]*)=(?!=)(.*)$`, Unicode-aware), else nullopt.
std::optional<std::pair<std::string, std::string>> parse_kwarg(std::string_view word);

struct ParsedArgs {
  List args;
  Map kwargs;
};

// Salt's CLI parsing of argument words (the function name NOT included):
// salt.utils.args.parse_input(words, condition=False).
ParsedArgs parse_cli_args(const std::vector<std::string>& words);

// parse_input for already-typed items (the JSON-list body of execute): text
// items are parsed like words, a map with "__kwarg__" == true contributes
// keyword arguments (any "__kwarg__" key is removed, as Salt pops it), every
// other item is a positional argument as is.
ParsedArgs parse_cli_values(const List& items);

// Python's repr() of a float ("1.0", "1e+16", "inf", "nan"), exposed for the
// differential test's canonical output.
std::string python_float_repr(double d);

}  // namespace saltgw::salt_ipc
