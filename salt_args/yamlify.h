// Salt's salt.utils.args.yamlify_arg for one value: the word is loaded with
// yaml.load(word, Loader=SaltYamlSafeLoader) (libyaml 0.2.5 scanning and
// parsing, PyYAML's YAML 1.1 resolver, SafeConstructor + SaltYamlSafeLoader)
// and then kept as the plain string wherever Salt keeps it (text that is
// only digits and underscores, tabs or newlines, `#` that does not give a
// structure, a map not written as `{...}`, a list not written as `[...]`,
// bytes and sets, and every word that does not load).
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
//     as equal (`{1: a, 1.0: b}`, `{1: a, true: b}`, `{.nan: a, .NaN: b}`:
//     PyYAML's every `.nan` is one object) are duplicates, which Salt
//     rejects, so the word stays a string.
//
// Guards (none of which Salt has; each leaves the word as the plain string):
// collections nested deeper than kMaxYamlDepth, values larger than
// kMaxYamlValues nodes after alias expansion ("billion laughs"), recursive
// aliases (`&a [*a]`, which PyYAML turns into a self-containing list).
// No exception escapes any function here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

inline constexpr size_t kMaxYamlDepth = 256;
inline constexpr size_t kMaxYamlValues = 200000;

// salt.utils.args.yamlify_arg for one value.
Value yamlify_arg(std::string_view word);

// Python's repr() of a float ("1.0", "1e+16", "inf", "nan"), the text a float
// map key becomes; exposed for the differential test's canonical output.
std::string python_float_repr(double d);

}  // namespace saltgw::salt_ipc
