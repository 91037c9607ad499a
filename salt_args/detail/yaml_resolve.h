// Internal. PyYAML's YAML 1.1 implicit resolvers (yaml/resolver.py), as
// registered for SaltYamlSafeLoader: which tag a plain scalar gets from its
// text (bool, int, float, null, merge `<<`, value `=`, the `!`/`&`/`*`
// yaml tag, else str), with Python's re semantics (`$` also matches before
// one final newline). The timestamp resolver is left out on purpose: Salt
// constructs timestamps as the plain text, exactly like str. Also the tag
// names the composer and constructor use.
#pragma once

#include <string_view>

namespace saltgw::salt_args::detail {

inline constexpr std::string_view kTagNull = "tag:yaml.org,2002:null";
inline constexpr std::string_view kTagBool = "tag:yaml.org,2002:bool";
inline constexpr std::string_view kTagInt = "tag:yaml.org,2002:int";
inline constexpr std::string_view kTagFloat = "tag:yaml.org,2002:float";
inline constexpr std::string_view kTagStr = "tag:yaml.org,2002:str";
inline constexpr std::string_view kTagSeq = "tag:yaml.org,2002:seq";
inline constexpr std::string_view kTagMap = "tag:yaml.org,2002:map";
inline constexpr std::string_view kTagMerge = "tag:yaml.org,2002:merge";
inline constexpr std::string_view kTagValue = "tag:yaml.org,2002:value";
inline constexpr std::string_view kTagYaml = "tag:yaml.org,2002:yaml";
inline constexpr std::string_view kTagTimestamp = "tag:yaml.org,2002:timestamp";
inline constexpr std::string_view kTagBinary = "tag:yaml.org,2002:binary";
inline constexpr std::string_view kTagOmap = "tag:yaml.org,2002:omap";
inline constexpr std::string_view kTagPairs = "tag:yaml.org,2002:pairs";
inline constexpr std::string_view kTagSet = "tag:yaml.org,2002:set";
inline constexpr std::string_view kTagPyUnicode = "tag:yaml.org,2002:python/unicode";

// The tag PyYAML's resolver gives a scalar with this text; implicit is false
// for quoted scalars and for those tagged `!` (always str then).
std::string_view resolve_scalar(std::string_view v, bool implicit);

}  // namespace saltgw::salt_args::detail
