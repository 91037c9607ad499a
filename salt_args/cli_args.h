// Salt's command-line argument parsing, for the execute_raw endpoint.
//
// execute_raw receives one string such as `test.arg 1 yes [1,2] {a: b} k=v`.
// The Python Local API splits it with shlex.split() and hands the words after
// the function name to salt.utils.args.parse_input(words, condition=False):
// `name=value` words (KWARG_REGEX) become keyword arguments, everything else
// is positional, and every value goes through salt.utils.args.yamlify_arg,
// i.e. Salt's YAML loader (SaltYamlSafeLoader on PyYAML's CSafeLoader, which
// is libyaml underneath) plus Salt's own exceptions. This library
// reproduces that behaviour natively; tests/differential/ checks it against
// Salt itself, line by line, on a corpus of commands.
//
// The YAML part is our own small implementation of what libyaml's scanner and
// parser, PyYAML's composer/resolver (YAML 1.1 implicit types) and
// SafeConstructor + SaltYamlSafeLoader do with one word; yaml-cpp is not used
// because it follows YAML 1.2 and differs from libyaml on many edge cases.
// The libyaml reproduced is 0.2.5, inside PyYAML 6.0.1: what Salt 3006's
// onedir ships and scripts/salt-requirements.txt pins (newer PyYAML wheels
// carry a 2024 parser fix that reads `[?]` as `[{null: null}]`; 0.2.5
// rejects it, so the word stays a string). libyaml's own nesting limit (1000)
// is never reached because ours (kMaxYamlDepth) is lower.
//
// The library (salt_args/, one static library) has one file pair per concern;
// this header is what callers include:
//   shlex.h        shell_split: Python's shlex.split
//   parse_input.h  parse_kwarg, parse_cli_args, parse_cli_values: Salt's
//                  parse_input
//   yamlify.h      yamlify_arg: Salt's YAML loading of one value, with how
//                  Python values map onto salt_ipc::Value and the guards
//   detail/        the internals, not part of the API: python_text and
//                  python_number (Python's str, int(), float() and
//                  repr(float)), big_int, and the YAML stages
//                  yaml_reader.h -> yaml_scanner + yaml_scalars (tokens) ->
//                  yaml_compose (+ yaml_resolve's tags: nodes) ->
//                  yaml_construct (values), failing through yaml_error.h.
// Each file has its unit tests in tests/unit/salt_args/.
// It depends on salt_ipc's Value and Result types only (salt_ipc/value.h,
// salt_ipc/error.h), not on the rest of salt_ipc, and salt_ipc does not use
// it. The API stays in namespace saltgw::salt_ipc, where it was first
// declared; the internals are in saltgw::salt_args::detail.
// No exception escapes any function declared in these headers.
#pragma once

#include "salt_args/parse_input.h"
#include "salt_args/shlex.h"
#include "salt_args/yamlify.h"
