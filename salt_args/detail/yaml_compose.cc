// libyaml's parser and PyYAML's composer; see yaml_compose.h.
#include "salt_args/detail/yaml_compose.h"

#include <initializer_list>
#include <unordered_map>
#include <utility>

#include "salt_args/detail/yaml_error.h"
#include "salt_args/detail/yaml_resolve.h"
#include "salt_args/yamlify.h"

namespace saltgw::salt_args::detail {
namespace {

using salt_ipc::kMaxYamlDepth;

class Composer {
 public:
  Composer(std::vector<Token> tokens, std::deque<Node>& nodes)
      : tokens_(std::move(tokens)), nodes_(nodes) {}

  // nullptr for an empty stream (yaml.load returns None).
  Node* compose();

 private:
  const Token& peek() const { return pos_ < tokens_.size() ? tokens_[pos_] : tokens_.back(); }

  // yaml_parser_process_directives: %YAML / %TAG, then the default handles.
  void process_directives();

  Node* new_node(Node::Kind kind);
  Node* empty_scalar();
  void register_anchor(const std::string& anchor, Node* n) {
    if (!anchor.empty()) anchors_[anchor] = n;
  }

  // The properties in front of a node: an anchor and a tag, in either order.
  struct Properties {
    std::string anchor;
    bool has_anchor = false, has_tag = false;
    std::string tag;  // the full tag, its handle resolved through %TAG
  };

  Properties parse_properties();
  Node* parse_node(bool block, bool indentless, size_t depth);

  // The collection that starts at a token of this type, or nullptr when none
  // does (block collections only where block is true; an indentless
  // sequence, `- a` right under a mapping key, only where indentless is).
  Node* parse_collection(TT type, bool block, bool indentless, const Properties& p,
                         bool nonspecific, size_t depth);

  Node* start_collection(Node::Kind kind, const std::string& tag, bool nonspecific,
                         const std::string& anchor, size_t depth);

  // The node at the next token, or an empty scalar where that token is one of
  // stops (libyaml's "process empty scalar" cases).
  Node* node_unless(std::initializer_list<TT> stops, bool block, bool indentless, size_t depth);

  // Inside a block collection: true, past the entry token, where one of type
  // entry (`-` or `?`) follows; false, past it, at BLOCK-END; else an error.
  bool next_block_entry(TT entry);

  void parse_block_sequence(Node* n, size_t depth);
  void parse_indentless_sequence(Node* n, size_t depth);
  void parse_block_mapping(Node* n, size_t depth);

  // The value after a mapping key: `: node` (an empty scalar where a token
  // of stops follows the `:`), or an empty scalar where there is no `:`.
  Node* empty_scalar_unless_value(std::initializer_list<TT> stops, bool block, bool indentless,
                                  size_t depth);

  // The entries of a flow collection, from its start token to its end token:
  // `,` between them and optionally after the last; entry parses each, given
  // the type of its first token.
  template <class Entry>
  void parse_flow_entries(TT end, Entry entry);

  void parse_flow_sequence(Node* n, size_t depth);

  // A single-pair mapping inside a flow sequence (`[a: 1]`, `[? a]`), at its
  // KEY token.
  Node* parse_flow_pair(size_t depth);

  void parse_flow_mapping(Node* n, size_t depth);

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::deque<Node>& nodes_;
  std::unordered_map<std::string, Node*> anchors_;
  std::vector<std::pair<std::string, std::string>> tag_directives_;
};

Node* Composer::compose() {
  if (peek().type != TT::kStreamStart) fail();
  ++pos_;
  Node* root = nullptr;
  TT t = peek().type;
  if (t != TT::kDirective && t != TT::kDocumentStart && t != TT::kStreamEnd) {
    process_directives();
    root = parse_node(true, false, 0);
  } else if (t != TT::kStreamEnd) {
    process_directives();
    if (peek().type != TT::kDocumentStart) fail();
    ++pos_;  // DOCUMENT-START
    t = peek().type;
    if (t == TT::kDirective || t == TT::kDocumentStart || t == TT::kDocumentEnd ||
        t == TT::kStreamEnd) {
      root = empty_scalar();
    } else {
      root = parse_node(true, false, 0);
    }
  } else {
    return nullptr;
  }
  if (peek().type == TT::kDocumentEnd) ++pos_;
  while (peek().type == TT::kDocumentEnd) ++pos_;
  if (peek().type != TT::kStreamEnd) fail();  // a second document, or an error
  return root;
}

void Composer::process_directives() {
  bool have_version = false;
  while (peek().type == TT::kDirective) {
    const Token& t = peek();
    if (t.value == "YAML") {
      if (have_version) fail();
      if (t.major != 1 || (t.minor != 1 && t.minor != 2)) fail();
      have_version = true;
    } else {
      for (auto& d : tag_directives_) {
        if (d.first == t.handle) fail();  // duplicate %TAG
      }
      tag_directives_.emplace_back(t.handle, t.suffix);
    }
    ++pos_;
  }
  for (auto def : {std::pair<std::string, std::string>{"!", "!"},
                   std::pair<std::string, std::string>{"!!", "tag:yaml.org,2002:"}}) {
    bool found = false;
    for (auto& d : tag_directives_) found = found || d.first == def.first;
    if (!found) tag_directives_.push_back(def);
  }
}

Node* Composer::new_node(Node::Kind kind) {
  nodes_.emplace_back();
  nodes_.back().kind = kind;
  return &nodes_.back();
}

Node* Composer::empty_scalar() {
  Node* n = new_node(Node::kScalar);
  n->tag = std::string(resolve_scalar("", true));
  n->complete = true;
  return n;
}

Composer::Properties Composer::parse_properties() {
  Properties p;
  std::string handle, suffix;
  const Token* t = &peek();
  if (t->type == TT::kAnchor) {
    p.anchor = t->value;
    p.has_anchor = true;
    ++pos_;
    t = &peek();
    if (t->type == TT::kTag) {
      p.has_tag = true;
      handle = t->handle;
      suffix = t->suffix;
      ++pos_;
    }
  } else if (t->type == TT::kTag) {
    p.has_tag = true;
    handle = t->handle;
    suffix = t->suffix;
    ++pos_;
    t = &peek();
    if (t->type == TT::kAnchor) {
      p.anchor = t->value;
      p.has_anchor = true;
      ++pos_;
    }
  }
  if (p.has_tag) {
    if (handle.empty()) {
      p.tag = suffix;
    } else {
      bool found = false;
      for (auto& d : tag_directives_) {
        if (d.first == handle) {
          p.tag = d.second + suffix;
          found = true;
          break;
        }
      }
      if (!found) fail();  // undefined tag handle
    }
  }
  return p;
}

Node* Composer::parse_node(bool block, bool indentless, size_t depth) {
  if (peek().type == TT::kAlias) {
    auto it = anchors_.find(peek().value);
    if (it == anchors_.end()) fail();          // undefined alias
    if (!it->second->complete) fail();         // recursive structure
    ++pos_;
    return it->second;
  }
  Properties p = parse_properties();
  // Anchors are checked for duplicates where the node starts (PyYAML).
  if (p.has_anchor && anchors_.count(p.anchor)) fail();
  bool implicit = !p.has_tag || p.tag.empty();
  bool nonspecific = !p.has_tag || p.tag == "!";
  const Token* t = &peek();
  if (t->type == TT::kScalar) {
    bool plain_implicit =
        (t->style == Style::kPlain && !p.has_tag) || (p.has_tag && p.tag == "!");
    Node* n = new_node(Node::kScalar);
    n->value = t->value;
    n->tag = nonspecific ? std::string(resolve_scalar(n->value, plain_implicit)) : p.tag;
    ++pos_;
    register_anchor(p.anchor, n);
    n->complete = true;
    return n;
  }
  if (Node* n = parse_collection(t->type, block, indentless, p, nonspecific, depth)) return n;
  if (p.has_anchor || p.has_tag) {
    Node* n = new_node(Node::kScalar);
    // Empty scalar: plain_implicit = implicit; a "!" tag still resolves,
    // but with implicit false, i.e. to str.
    n->tag = nonspecific ? std::string(resolve_scalar("", implicit)) : p.tag;
    register_anchor(p.anchor, n);
    n->complete = true;
    return n;
  }
  fail();
}

Node* Composer::parse_collection(TT type, bool block, bool indentless, const Properties& p,
                                 bool nonspecific, size_t depth) {
  Node::Kind kind;
  void (Composer::*parse_body)(Node*, size_t);
  if (indentless && type == TT::kBlockEntry) {
    kind = Node::kSeq;
    parse_body = &Composer::parse_indentless_sequence;
  } else if (type == TT::kFlowSequenceStart) {
    kind = Node::kSeq;
    parse_body = &Composer::parse_flow_sequence;
  } else if (type == TT::kFlowMappingStart) {
    kind = Node::kMap;
    parse_body = &Composer::parse_flow_mapping;
  } else if (block && type == TT::kBlockSequenceStart) {
    kind = Node::kSeq;
    parse_body = &Composer::parse_block_sequence;
  } else if (block && type == TT::kBlockMappingStart) {
    kind = Node::kMap;
    parse_body = &Composer::parse_block_mapping;
  } else {
    return nullptr;
  }
  Node* n = start_collection(kind, p.tag, nonspecific, p.anchor, depth);
  (this->*parse_body)(n, depth + 1);
  n->complete = true;
  return n;
}

Node* Composer::start_collection(Node::Kind kind, const std::string& tag, bool nonspecific,
                                 const std::string& anchor, size_t depth) {
  if (depth + 1 > kMaxYamlDepth) fail();
  Node* n = new_node(kind);
  n->tag = nonspecific ? std::string(kind == Node::kSeq ? kTagSeq : kTagMap) : tag;
  register_anchor(anchor, n);
  return n;
}

Node* Composer::node_unless(std::initializer_list<TT> stops, bool block, bool indentless,
                            size_t depth) {
  TT t = peek().type;
  for (TT stop : stops) {
    if (t == stop) return empty_scalar();
  }
  return parse_node(block, indentless, depth);
}

bool Composer::next_block_entry(TT entry) {
  TT t = peek().type;
  if (t != entry && t != TT::kBlockEnd) fail();
  ++pos_;
  return t == entry;
}

void Composer::parse_block_sequence(Node* n, size_t depth) {
  ++pos_;  // BLOCK-SEQUENCE-START
  while (next_block_entry(TT::kBlockEntry)) {
    n->items.push_back(node_unless({TT::kBlockEntry, TT::kBlockEnd}, true, false, depth));
  }
}

void Composer::parse_indentless_sequence(Node* n, size_t depth) {
  while (peek().type == TT::kBlockEntry) {
    ++pos_;
    n->items.push_back(node_unless({TT::kBlockEntry, TT::kKey, TT::kValue, TT::kBlockEnd}, true,
                                   false, depth));
  }
}

void Composer::parse_block_mapping(Node* n, size_t depth) {
  const std::initializer_list<TT> kStops = {TT::kKey, TT::kValue, TT::kBlockEnd};
  ++pos_;  // BLOCK-MAPPING-START
  while (next_block_entry(TT::kKey)) {
    Node* key = node_unless(kStops, true, true, depth);
    Node* value = empty_scalar_unless_value(kStops, true, true, depth);
    n->pairs.emplace_back(key, value);
  }
}

Node* Composer::empty_scalar_unless_value(std::initializer_list<TT> stops, bool block,
                                          bool indentless, size_t depth) {
  if (peek().type != TT::kValue) return empty_scalar();
  ++pos_;
  return node_unless(stops, block, indentless, depth);
}

template <class Entry>
void Composer::parse_flow_entries(TT end, Entry entry) {
  ++pos_;  // [ or {
  for (bool first = true;; first = false) {
    TT t = peek().type;
    if (t != end && !first) {
      if (t != TT::kFlowEntry) fail();
      ++pos_;
      t = peek().type;
    }
    if (t == end) {
      ++pos_;
      return;
    }
    entry(t);
  }
}

void Composer::parse_flow_sequence(Node* n, size_t depth) {
  parse_flow_entries(TT::kFlowSequenceEnd, [&](TT t) {
    n->items.push_back(t == TT::kKey ? parse_flow_pair(depth + 1)
                                     : parse_node(false, false, depth));
  });
}

Node* Composer::parse_flow_pair(size_t depth) {
  if (depth > kMaxYamlDepth) fail();
  ++pos_;  // KEY
  Node* m = new_node(Node::kMap);
  m->tag = std::string(kTagMap);
  TT t = peek().type;
  Node* key;
  if (t == TT::kFlowSequenceEnd) {
    // `[?]`: libyaml 0.2.5, inside PyYAML 6.0.1 (what Salt 3006's onedir
    // ships and scripts/salt-requirements.txt pins), rejects it; newer
    // libyaml reads [{null: null}].
    fail();
  } else if (t == TT::kValue || t == TT::kFlowEntry) {
    ++pos_;  // libyaml 0.2.5 consumes a VALUE or ',' here
    key = empty_scalar();
  } else {
    key = parse_node(false, false, depth);
  }
  Node* value = empty_scalar_unless_value({TT::kFlowEntry, TT::kFlowSequenceEnd}, false, false,
                                          depth);
  m->pairs.emplace_back(key, value);
  m->complete = true;
  return m;
}

void Composer::parse_flow_mapping(Node* n, size_t depth) {
  const std::initializer_list<TT> kStops = {TT::kFlowEntry, TT::kFlowMappingEnd};
  parse_flow_entries(TT::kFlowMappingEnd, [&](TT t) {
    if (t == TT::kKey) {
      ++pos_;
      Node* key = node_unless({TT::kValue, TT::kFlowEntry, TT::kFlowMappingEnd}, false, false,
                              depth);
      Node* value = empty_scalar_unless_value(kStops, false, false, depth);
      n->pairs.emplace_back(key, value);
    } else {
      Node* key = parse_node(false, false, depth);
      n->pairs.emplace_back(key, empty_scalar());
    }
  });
}

}  // namespace

Node* compose(std::vector<Token> tokens, std::deque<Node>& nodes) {
  Composer composer(std::move(tokens), nodes);
  return composer.compose();
}

}  // namespace saltgw::salt_args::detail
