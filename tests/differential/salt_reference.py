#!/usr/bin/env python3
"""Reference side of the execute_raw argument-parsing differential test.

Run with the Python of the Salt virtual environment (Salt 3006.x and its
dependencies PyYAML with libyaml, looseversion, ...):

    .venv/salt-3006.23/bin/python tests/differential/salt_reference.py [corpus.txt]

For every command in the corpus it runs exactly what the Python Local API
does for execute_raw: shlex.split(command), first word = function, remaining
words through Salt's own salt.utils.args.parse_input(words, condition=False)
(which applies KWARG_REGEX and salt.utils.args.yamlify_arg). It prints one
canonical JSON line per command; argparse_dump.cc prints the same for our
C++ parser, and run_differential.py compares the two.

Canonical encoding (one JSON object per line, keys sorted, no spaces,
non-ASCII written as UTF-8):
  {"fun": "<name>", "args": [V...], "kwargs": {"<name>": V, ...}}
  {"error": "<shlex message>"}   shlex.split failed ("No closing quotation",
                                  "No escaped character")
  {"error": "empty"}              the command has no words at all
  {"error": "recursive value"}    Salt built a self-containing value (the
                                  gateway keeps such words as text instead)
where a value V is
  null / true / false             None / bool
  "text"                          str
  {"i": "<decimal>"}              int within int64
  {"f": "<repr>"}                 float: Python repr(), or "inf", "-inf", "nan"
  {"b": "<hex>"}                  bytes (YAML !!binary)
  [V, ...]                        list; tuples (!!omap/!!pairs) and sets are
                                  lists too, as after Salt's msgpack transport
  {"m": {"<key>": V, ...}}        dict; keys converted to text as described
The transformations applied before encoding are the ones the gateway's value
model (salt_ipc::Value) documents, i.e. what a function receives through
Salt's msgpack transport with string-only map keys:
  * ints outside int64 become their decimal text (salt.payload turns ints
    msgpack cannot carry into str(); the uint64 range is turned into text
    too, a documented deviation of the gateway);
  * non-text dict keys become the text JSON would use: None -> "null",
    True -> "true", 1 -> "1", 1.5 -> "1.5", inf -> "Infinity", nan -> "NaN",
    bytes keys -> their raw bytes; when two keys collide the later one wins.
  * SaltYamlSafeLoader constructs YAML timestamps as plain strings, so no
    datetime ever appears.

Corpus format: one command per line. Lines starting with ";;" are comments,
empty lines are skipped, and a line starting with "@@" holds a JSON string
literal after the "@@" (for commands needing a newline, tab, NUL, ...).
"""
import json
import math
import os
import shlex
import sys


def load_corpus(path):
    out = []
    with open(path, encoding="utf-8", newline="\n") as fh:
        for raw in fh.read().split("\n"):
            if raw.startswith(";;") or raw == "":
                continue
            if raw.startswith("@@"):
                out.append(json.loads(raw[2:]))
            else:
                out.append(raw)
    return out


INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def key_text(key):
    if key is None:
        return "null"
    if key is True:
        return "true"
    if key is False:
        return "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        if math.isnan(key):
            return "NaN"
        if math.isinf(key):
            return "Infinity" if key > 0 else "-Infinity"
        return repr(key)
    if isinstance(key, bytes):
        return key.decode("utf-8", "surrogateescape")
    if isinstance(key, str):
        return key
    raise TypeError(f"unexpected key type {type(key)}")


class RecursiveValue(Exception):
    """PyYAML built a self-containing value (`&a [*a]`); see salt_args/yamlify.h."""


def canon(obj, _path=None):
    if _path is None:
        _path = set()
    if isinstance(obj, (list, tuple, set, frozenset, dict)):
        if id(obj) in _path:
            raise RecursiveValue()
        _path = _path | {id(obj)}
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        if INT64_MIN <= obj <= INT64_MAX:
            return {"i": str(obj)}
        return str(obj)
    if isinstance(obj, float):
        if math.isnan(obj):
            return {"f": "nan"}
        if math.isinf(obj):
            return {"f": "inf" if obj > 0 else "-inf"}
        return {"f": repr(obj)}
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return {"b": bytes(obj).hex()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [canon(x, _path) for x in obj]
    if isinstance(obj, dict):
        m = {}
        for k, v in obj.items():
            m[key_text(k)] = canon(v, _path)
        return {"m": m}
    raise TypeError(f"unexpected value type {type(obj)}")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = argv[1] if len(argv) > 1 else os.path.join(here, "corpus.txt")
    try:
        import yaml  # noqa: F401  (Salt's dependency)
        import salt.utils.args
    except ImportError as exc:
        sys.stderr.write(
            f"salt_reference: cannot import Salt ({exc}); run with the Salt venv's python "
            "and make sure Salt's dependencies (PyYAML, looseversion, ...) are installed\n")
        return 2
    if not getattr(yaml, "__with_libyaml__", False):
        sys.stderr.write("salt_reference: warning: PyYAML without libyaml; Salt normally "
                         "uses CSafeLoader, results may differ\n")
    out = sys.stdout
    for cmd in load_corpus(corpus):
        try:
            words = shlex.split(cmd)
        except ValueError as exc:
            rec = {"error": str(exc)}
        else:
            if not words:
                rec = {"error": "empty"}
            else:
                args, kwargs = salt.utils.args.parse_input(words[1:], condition=False)
                try:
                    rec = {"fun": words[0], "args": canon(args),
                           "kwargs": {k: canon(v) for k, v in kwargs.items()}}
                except RecursiveValue:
                    rec = {"error": "recursive value"}
        out.write(json.dumps(rec, sort_keys=True, ensure_ascii=False,
                             separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
