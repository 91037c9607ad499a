// Internal. PyYAML's SafeConstructor with SaltYamlSafeLoader's overrides, the
// last stage of yaml.load: a composed node graph in, one value out.
//
// Builds what Python would build, already mapped onto salt_ipc::Value as
// yamlify.h describes (ints outside int64 as decimal text, timestamps as
// text, !!binary as Bytes, sets/omap/pairs as lists, non-text map keys as
// their JSON text), and keeps the Python type in Obj::kind because yamlify's
// rules depend on it. Merge keys (`<<`) and `=` value keys are applied as
// PyYAML does; keys Python treats as equal (1, 1.0, true; two `.nan`) are
// duplicates and fail, as in SaltYamlSafeLoader.
// Limits: depth beyond kMaxYamlDepth and more than kMaxYamlValues values
// after alias expansion fail; ints whose decimal text exceeds Python's 4300
// digits fail (Python raises converting them). Errors throw YamlError.
#pragma once

#include <cstddef>
#include <string>

#include "salt_args/detail/yaml_compose.h"
#include "salt_ipc/value.h"

namespace saltgw::salt_args::detail {

// The Python type a YAML value was constructed as.
enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kSet, kDict };

struct Obj {
  Kind kind = Kind::kNone;
  salt_ipc::Value value;
  size_t size = 1;        // nodes in value, for the expansion budget
  std::string int_text;   // kInt: decimal text (for key comparison)
  // kFloat from `.nan`: PyYAML returns its one nan_value object for every
  // `.nan`, so as map keys they are the same key (Python's `in` tests
  // identity first); any other NaN is its own object, equal only to itself
  // (the same node again, through an alias).
  bool shared_nan = false;
};

// Constructs the document rooted at root. Throws YamlError.
Obj construct_document(Node* root);

}  // namespace saltgw::salt_args::detail
