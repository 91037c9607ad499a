// Internal. How the YAML stages (scanner, composer, constructor) report that
// a word does not load: they throw YamlError, which yamlify catches together
// with any std::exception (std::bad_alloc) and turns into "keep the word as
// text", as Salt does when yaml.load raises. YamlError never leaves the
// library.
#pragma once

namespace saltgw::salt_args::detail {

struct YamlError {};

[[noreturn]] inline void fail() { throw YamlError{}; }

}  // namespace saltgw::salt_args::detail
