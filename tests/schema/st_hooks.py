"""Schemathesis checks of our own, loaded by run_schemathesis.py (config `hooks`).

documented_server_error  a 5xx is only acceptable as documented in
                         docs/api-errors.md: JSON with the `kind` that maps to
                         that status, and Retry-After on 503. A 500 whose kind
                         is `internal` (or none) is a saltgw bug, even on a
                         route whose spec lists 500 for `function_failed`.
cors_headers             every answer carries Access-Control-Allow-Origin
                         (the spec's promise: CORS for any origin), but those
                         Pistache gives itself to methods it does not know.
ndjson_stream            a streamed job (application/x-ndjson) is a sequence
                         of StreamLine objects (docs/openapi.yaml): accepted,
                         progress..., result or error, with the X-Salt-Jid jid.
EveryOperationSucceeds   each operation answered 2xx at least once during the
                         run (409 counts for DELETE of a job: the jid was real,
                         the job had ended), so the fuzzing got past the
                         unit-id and body checks instead of only collecting 4xx.
"""
import json

import schemathesis

def header(response, name):
    """A response header's first value, or None (Schemathesis keeps lowercase names, list values)."""
    values = response.headers.get(name.lower())
    return values[0] if values else None


KINDS_BY_STATUS = {
    500: {"function_failed"},
    502: {"connection_lost", "result_trimmed", "protocol"},
    503: {"minion_unreachable", "engine_unavailable", "overloaded", "cancelled"},
    504: {"timeout"},
    501: {"not_implemented"},  # the connection gate: a method saltgw does not serve
    505: {"http_version_not_supported"},
}


@schemathesis.check
def documented_server_error(ctx, response, case):
    status = response.status_code
    if status < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} answer is not JSON: {response.content[:200]!r}")
    kind = body.get("kind") if isinstance(body, dict) else None
    allowed = KINDS_BY_STATUS.get(status, set())
    if kind not in allowed:
        raise AssertionError(f"{status} with kind {kind!r}; docs/api-errors.md allows {sorted(allowed)} "
                             f"for {status}: {response.content[:300]!r}")
    if status == 503 and header(response, "Retry-After") is None:
        raise AssertionError("503 without Retry-After")
    return None


@schemathesis.check
def cors_headers(ctx, response, case):
    # Every answer, the connection gate's (501 for an unknown method, say) too.
    if header(response, "Access-Control-Allow-Origin") is None:
        raise AssertionError(f"{response.status_code} answer without Access-Control-Allow-Origin")
    return None


@schemathesis.check
class EveryOperationSucceeds:
    """Fail if an operation never answered 2xx during the run."""

    def __init__(self):
        self.reached = set()
        self.tested = set()

    def after_response(self, ctx, response, case):
        label = case.operation.label
        self.tested.add(label)
        if 200 <= response.status_code < 300 or (response.status_code == 409 and case.method.upper() == "DELETE"):
            self.reached.add(label)

    def after_run(self, ctx):
        missing = sorted(self.tested - self.reached)
        if missing:
            raise AssertionError("never answered 2xx: " + ", ".join(missing))


def _spec():
    import os

    import yaml

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "openapi.yaml")
    with open(path) as f:
        return yaml.safe_load(f)


def _resolve(node, spec):
    """Inline every $ref (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, spec)
        return {k: _resolve(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, spec) for v in node]
    return node


_LINE_VALIDATOR = None


def _line_validator():
    global _LINE_VALIDATOR
    if _LINE_VALIDATOR is None:
        import jsonschema_rs

        spec = _spec()
        _LINE_VALIDATOR = jsonschema_rs.validator_for(_resolve(spec["components"]["schemas"]["StreamLine"], spec))
    return _LINE_VALIDATOR


@schemathesis.check
def ndjson_stream(ctx, response, case):
    """A streamed job: every line a StreamLine (docs/openapi.yaml), accepted
    first, one result or error last, all with the jid of X-Salt-Jid; an error
    line's status is the one its kind gets unstreamed."""
    ctype = (header(response, "Content-Type") or "").split(";")[0].strip()
    if ctype != "application/x-ndjson":
        return None
    text = response.content.decode("utf-8")
    if not text.endswith("\n"):
        raise AssertionError(f"NDJSON stream does not end with a newline: ...{text[-200:]!r}")
    lines = []
    # NDJSON lines end at "\n" only: a JSON string may hold U+0085 or U+2028
    # raw, which str.splitlines() would take for line ends too.
    for i, raw in enumerate(text[:-1].split("\n")):
        try:
            line = json.loads(raw)
        except ValueError:
            raise AssertionError(f"NDJSON line {i} is not JSON: {raw[:200]!r}")
        errors = [e.message for e in _line_validator().iter_errors(line)]
        if errors:
            raise AssertionError(f"NDJSON line {i} is not a StreamLine: {errors[0]}: {raw[:300]!r}")
        lines.append(line)
    if len(lines) < 2 or lines[0]["type"] != "accepted" or lines[-1]["type"] not in ("result", "error"):
        raise AssertionError(f"NDJSON stream is not accepted, progress..., result|error: {text[:500]!r}")
    if any(line["type"] not in ("progress",) for line in lines[1:-1]):
        raise AssertionError(f"NDJSON stream has accepted/result/error lines in the middle: {text[:500]!r}")
    jid = header(response, "X-Salt-Jid")
    for line in (lines[0], lines[-1]):
        if line["jid"] != jid:
            raise AssertionError(f"NDJSON line jid {line['jid']!r} is not X-Salt-Jid {jid!r}")
    last = lines[-1]
    if last["type"] == "error":
        allowed = KINDS_BY_STATUS.get(last["status"], set()) | (
            {"invalid_argument", "unknown_function"} if last["status"] == 400 else set())
        if last["kind"] not in allowed:
            raise AssertionError(f"NDJSON error line: status {last['status']} with kind {last['kind']!r}")
    return None
