// Internal. libyaml 0.2.5's scalar scanners (scanner.c's
// yaml_parser_scan_block_scalar, _flow_scalar and _plain_scalar): the text
// of one scalar token, as the scanner (yaml_scanner.h) meets it.
//
// Guarantees: the token's value is what libyaml gives: line folding (one
// break becomes a space, more are kept), block scalar chomping (`-` strip,
// `+` keep) and indentation indicators, single-quote doubling, every
// double-quoted escape of YAML 1.1 (`\x`, `\u`, `\U` checked: no
// surrogates, nothing above U+10FFFF). The reader is left after the scalar.
// Errors (a tab as indentation, an unknown escape, an unterminated quoted
// scalar, a document indicator inside one, `:` before a flow indicator in a
// plain scalar) throw YamlError (yaml_error.h).
#pragma once

#include <cstddef>

#include "salt_args/detail/yaml_reader.h"
#include "salt_args/detail/yaml_scanner.h"

namespace saltgw::salt_args::detail {

// A block scalar, at its `|` (literal) or `>` (folded) indicator;
// parent_indent is the block indentation it is in (-1 at the top).
Token scan_block_scalar(YamlReader& r, bool literal, ptrdiff_t parent_indent);

// A quoted scalar, at its opening `'` (single) or `"`.
Token scan_flow_scalar(YamlReader& r, bool single);

// A plain scalar, at its first character; in_flow inside flow collections;
// a continuation line must be indented beyond parent_indent (block context).
// after_break: whether the scalar ended after a line break (a simple key may
// start next).
Token scan_plain_scalar(YamlReader& r, bool in_flow, ptrdiff_t parent_indent, bool& after_break);

}  // namespace saltgw::salt_args::detail
