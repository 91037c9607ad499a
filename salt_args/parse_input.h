// Salt's salt.utils.args.parse_input(args, condition=False): argument words
// become positional and keyword arguments.
//
// A word matching KWARG_REGEX (`^([^\d\W][\w.-]*)=(?!=)(.*)$`, with Python's
// Unicode \w and \d) is a keyword argument `name=value`; every other word is
// positional. Every value goes through yamlify_arg (yamlify.h). A later
// keyword argument of the same name replaces an earlier one, as in Python's
// dict. Words that are not valid UTF-8 never match the regex and stay text.
// No exception escapes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salt_ipc/value.h"

namespace saltgw::salt_ipc {

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

}  // namespace saltgw::salt_ipc
