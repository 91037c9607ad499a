#!/usr/bin/env python3
"""Lists C++ functions longer than a limit (default 80 lines).

    python3 scripts/long-functions.py [--limit N] [PATH...]

PATHs are files or folders (default: the product code, gateway/ rest/
salt_ipc/ salt_args/); folders are searched for *.cc and *.h. Prints one
line per function over the limit, longest first:

    LINES  FILE:LINE  NAME

and exits 1 when there is any (0 otherwise), so it can guard a build.

How it measures (a small, honest heuristic, not a C++ parser):
  - comments, string and character literals (raw strings too) are blanked
    first, so braces inside them do not count;
  - preprocessor lines are blanked too;
  - the text before a `{` since the last `;`, `{` or `}` is its header; a
    `{` whose header has no `(` and names namespace, class, struct, union,
    enum or extern opens a container; a `{` opens a function body when
    everything around it is a container (or the file itself) and its header
    has a `(` and does not start with a control keyword; braces inside a function body (blocks,
    lambdas, initialisers) belong to that function;
  - a function's length is counted from the line of its header's first
    token to the line of its closing brace, both included; blank lines and
    comments count (they are lines a reader scrolls past);
  - its name is the first `name(` of the header (the qualified name of a
    definition; `operator()` is recognised).
Known limits: a constructor whose initialiser list uses braces (`a_{x}`) is
measured from the brace after its last initialiser; macros that open braces
confuse it. Lambdas defined at namespace scope count as functions.
"""
import argparse
import os
import re
import sys

DEFAULT_PATHS = ["gateway", "rest", "salt_ipc", "salt_args"]
CONTAINER = re.compile(r"(^|[\s;}])(namespace|class|struct|union|enum|extern)\b")
CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|do|else|try|return)\b")
NAME = re.compile(r"([\w:]*operator\s*\(\s*\)|[\w:]*operator\s*[^\s(]+|~?[A-Za-z_][\w:~<>,*&\s]*?)\s*\(")


def blank_literals(text):
    """Comments, strings and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)

    def keep_newlines(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(keep_newlines(text[i:j]))
            i = j
        elif c == "R" and i + 1 < n and text[i + 1] == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(keep_newlines(text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(keep_newlines(text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    # Preprocessor lines (with their continuations) say nothing about scopes.
    return re.sub(r"(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", lambda m: keep_newlines(m.group(0)), "".join(out))


def strip_templates(header):
    """template <...> prefixes removed (their `class` is not a container)."""
    while True:
        m = re.search(r"\btemplate\s*<", header)
        if not m:
            return header
        depth, j = 0, m.end() - 1
        while j < len(header):
            if header[j] == "<":
                depth += 1
            elif header[j] == ">":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        header = header[:m.start()] + header[j + 1:]


def functions(path):
    """(name, first line, last line) of each top-level function body in the file."""
    text = blank_literals(open(path, encoding="utf-8", errors="replace").read())
    found = []
    stack = []  # "container", "function", "other"
    header_start = 0  # offset just after the last ; { }
    line_of = lambda off: text.count("\n", 0, off) + 1  # noqa: E731
    open_fn = None  # (name, header offset, depth)
    for i, c in enumerate(text):
        if c == ";":
            header_start = i + 1
        elif c == "{":
            header = text[header_start:i]
            if all(s == "container" for s in stack):
                h = strip_templates(header)
                if "(" not in h and CONTAINER.search(h):
                    stack.append("container")
                elif "(" in h and not CONTROL.match(h):
                    m = NAME.search(h.strip())
                    name = m.group(1).split()[-1] if m else h.strip()[:60]
                    if name.startswith("operator"):
                        name = re.sub(r"\s+", "", m.group(1))
                    first = len(header) - len(header.lstrip())
                    open_fn = (name, header_start + first, len(stack))
                    stack.append("function")
                else:
                    stack.append("other")
            else:
                stack.append("other")
            header_start = i + 1
        elif c == "}":
            if stack:
                kind = stack.pop()
                if kind == "function" and open_fn and open_fn[2] == len(stack):
                    found.append((open_fn[0], line_of(open_fn[1]), line_of(i)))
                    open_fn = None
            header_start = i + 1
    return found


def sources(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith((".cc", ".h")):
                        yield os.path.join(root, f)
        elif os.path.isfile(p):
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=80)
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = args.paths or [os.path.join(here, d) for d in DEFAULT_PATHS]
    long_ones = []
    for path in sources(paths):
        for name, first, last in functions(path):
            lines = last - first + 1
            if lines > args.limit:
                long_ones.append((lines, os.path.relpath(path, here), first, name))
    for lines, path, first, name in sorted(long_ones, key=lambda t: (-t[0], t[1], t[2])):
        print(f"{lines:5d}  {path}:{first}  {name}")
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main())
