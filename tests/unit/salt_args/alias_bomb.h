// Test input shared by the salt_args unit tests: a YAML "billion laughs"
// word, for the alias-expansion guard (kMaxYamlValues, yamlify.h).
#pragma once

#include <string>

namespace saltgw::salt_args::test_input {

// `[&a [x,x,...], &b [*a,*a,...], ...]`: `levels` anchored lists of ten
// entries, each made of ten aliases of the one before, so the value expands
// to 10^levels scalars (levels from 1 to 26).
inline std::string alias_bomb(int levels) {
  std::string word = "[&a [x,x,x,x,x,x,x,x,x,x]";
  for (char c = 'b'; c < 'a' + levels; ++c) {
    word += std::string(", &") + c + " [";
    for (int i = 0; i < 10; ++i) word += std::string(i ? ",*" : "*") + static_cast<char>(c - 1);
    word += "]";
  }
  return word + "]";
}

}  // namespace saltgw::salt_args::test_input
