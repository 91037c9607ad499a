// Internal. libyaml 0.2.5's parser (the parser.c state machine) and PyYAML's
// composer, the second stage of yaml.load: tokens in, one document's node
// graph out.
//
// Guarantees: a token stream libyaml's parser rejects (a second document,
// `[?]` in 0.2.5, undefined tag handles, duplicate %TAG or %YAML, a %YAML
// other than 1.1/1.2) is rejected; tags are resolved through the document's
// %TAG handles and PyYAML's implicit resolvers (yaml_resolve.h); anchors and
// aliases follow PyYAML (a duplicate anchor fails, an alias shares its node).
// Limits: collections nested deeper than kMaxYamlDepth fail; an alias to a
// node still being composed (`&a [*a]`, a self-containing value in PyYAML)
// fails. Errors throw YamlError (yaml_error.h).
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "salt_args/detail/yaml_scanner.h"

namespace saltgw::salt_args::detail {

struct Node {
  enum Kind { kScalar, kSeq, kMap } kind = kScalar;
  std::string tag;
  std::string value;
  std::vector<Node*> items;
  std::vector<std::pair<Node*, Node*>> pairs;
  bool complete = false;
};

// Composes the single document of the token stream. Its nodes are created in
// nodes (which the caller keeps alive while it uses them); returns the root,
// or nullptr for an empty stream (yaml.load returns None). Throws YamlError.
Node* compose(std::vector<Token> tokens, std::deque<Node>& nodes);

}  // namespace saltgw::salt_args::detail
