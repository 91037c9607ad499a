// Internal. libyaml 0.2.5's scanner (scanner.c), the first stage of
// yaml.load: decoded text in, the token stream out.
//
// Reproduces which input libyaml accepts and which tokens it emits for it:
// simple keys (and their 1024-character / one-line limits), block
// indentation, flow collections, anchors, aliases, tags (with %-escapes),
// %YAML / %TAG directives, plain, quoted and block scalars with libyaml's
// line folding (their text is read by yaml_scalars.h, on the cursor of
// yaml_reader.h). The text must already have passed libyaml's reader
// (libyaml_read in yaml_reader.h: no BOM, only printable characters;
// yamlify calls it).
// Limits: flow nesting and block indentation deeper than kMaxYamlDepth fail.
// Any scanning error throws YamlError (yaml_error.h); no token list is
// returned then.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace saltgw::salt_args::detail {

enum class TT {
  kStreamStart,
  kStreamEnd,
  kDirective,
  kDocumentStart,
  kDocumentEnd,
  kBlockSequenceStart,
  kBlockMappingStart,
  kBlockEnd,
  kFlowSequenceStart,
  kFlowSequenceEnd,
  kFlowMappingStart,
  kFlowMappingEnd,
  kBlockEntry,
  kFlowEntry,
  kKey,
  kValue,
  kAlias,
  kAnchor,
  kTag,
  kScalar,
};

enum class Style { kPlain, kSingle, kDouble, kLiteral, kFolded };

struct Mark {
  size_t index = 0, line = 0, column = 0;
};

struct Token {
  TT type;
  Mark mark;
  std::string value;   // scalar, anchor, alias
  std::string handle;  // tag
  std::string suffix;  // tag; %TAG prefix
  int major = 0, minor = 0;  // %YAML
  Style style = Style::kPlain;
};

// Scans the whole text (STREAM-START ... STREAM-END). Throws YamlError.
std::vector<Token> scan_tokens(std::u32string text);

}  // namespace saltgw::salt_args::detail
