"""docs/openapi.yaml stays true: every route saltgw serves is documented, and
real answers from the running server (with the sandbox minion) match the
documented status codes and schemas."""
import json
import os
import re

import jsonschema
import pytest
import requests
import yaml

SPEC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
SPEC = yaml.safe_load(open(SPEC_PATH))


def resolve(node):
    """Inline every $ref (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = SPEC
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


def to_jsonschema(schema):
    """OpenAPI 3.0 schema -> JSON Schema (nullable)."""
    if isinstance(schema, dict):
        out = {k: to_jsonschema(v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable") and "type" in schema:
            out["type"] = [schema["type"], "null"]
        return out
    if isinstance(schema, list):
        return [to_jsonschema(v) for v in schema]
    return schema


def check(method, template, response):
    op = resolve(SPEC["paths"][template][method])
    status = str(response.status_code)
    assert status in op["responses"], f"{method.upper()} {template} answered {status}, not documented"
    doc = op["responses"][status]
    ctype = response.headers.get("Content-Type", "").split(";")[0]
    content = doc.get("content", {})
    if not content:
        return
    assert ctype in content, f"{method.upper()} {template} {status}: Content-Type {ctype} not documented"
    schema = content[ctype].get("schema")
    if ctype == "application/json" and schema:
        jsonschema.validate(response.json(), to_jsonschema(schema))


# (method, path template, concrete path or callable, kwargs)
def cases(gw):
    u = gw.unit_id
    other = "3f1d2c4b-0000-4000-8000-000000000001"
    return [
        ("get", "/", "/", {}),
        ("post", "/auth/login/", "/auth/login/", {}),
        ("get", "/dongle/devices/", "/dongle/devices/", {}),
        ("get", "/download_log/", "/download_log/?file=syslog", {}),
        ("get", "/download_log/", "/download_log/?file=../etc/passwd", {}),
        ("get", "/download_log/", "/download_log/", {}),
        ("get", "/download_log/", "/download_log/?file=syslog&tail=5", {}),
        ("get", "/download_log/", "/download_log/?file=syslog&tail=0", {}),
        ("get", "/logs/", "/logs/", {}),
        ("get", "/info/", "/info/", {}),
        ("get", "/", "/", {"headers": {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}}),
        ("get", "/ui/", "/ui/", {}),
        ("get", "/ui/{asset}", "/ui/nope.js", {}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"json": {"command": "test.ping"}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"json": ["test.arg", "a", "k=v"]}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/?async=1", {"json": {"command": "test.ping"}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"json": {"command": "no.such"}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"json": {"arg": []}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{other}/execute/", {"json": {"command": "test.ping"}}),
        ("post", "/dongle/{unit_id}/execute/", "/dongle/nope/execute/", {"json": {"command": "test.ping"}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"json": {"command": "test.exception", "arg": ["x"]}}),
        ("post", "/dongle/{unit_id}/execute/", f"/dongle/{u}/execute/", {"data": b"x" * (1 << 21)}),
        ("post", "/dongle/{unit_id}/execute_raw/", f"/dongle/{u}/execute_raw/", {"json": {"command": "test.echo hi"}}),
        ("post", "/dongle/{unit_id}/execute_raw/", f"/dongle/{u}/execute_raw/", {"json": {"command": "test.echo 'x"}}),
        ("get", "/dongle/{unit_id}/settings/apn/", f"/dongle/{u}/settings/apn/", {}),
        ("put", "/dongle/{unit_id}/settings/apn/", f"/dongle/{u}/settings/apn/", {"json": {"apn": "internet", "mtu": 1400}}),
        ("put", "/dongle/{unit_id}/settings/apn/", f"/dongle/{u}/settings/apn/", {"json": {"nope": 1}}),
        ("get", "/dongle/{unit_id}/jobs/{jid}", f"/dongle/{u}/jobs/20000101000000000000", {}),
        ("delete", "/dongle/{unit_id}/jobs/{jid}", f"/dongle/{u}/jobs/20000101000000000000", {}),
    ]


def test_every_documented_operation_is_exercised(gw):
    exercised = {(m, t) for m, t, _, _ in cases(gw)} | {("get", "/dongle/{unit_id}/events")}
    documented = {(m, t) for t, ops in SPEC["paths"].items() for m in ops if m != "parameters"}
    assert documented == exercised | {("get", "/dongle/{unit_id}/jobs/{jid}")}


@pytest.mark.parametrize("index", range(29))
def test_answers_match_the_spec(gw, index):
    method, template, path, kw = cases(gw)[index]
    r = requests.request(method, gw.url + path, timeout=60, **kw)
    check(method, template, r)


def test_job_and_events_match_the_spec(gw):
    r = gw.execute("test.echo", ["x"])
    jid = r.headers["X-Salt-Jid"]
    j = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}")
    check("get", "/dongle/{unit_id}/jobs/{jid}", j)
    with requests.get(f"{gw.url}/dongle/{gw.unit_id}/events", stream=True, timeout=10) as e:
        check("get", "/dongle/{unit_id}/events", e)


def test_every_served_route_is_documented():
    """The router in rest/api.cc and the spec list the same paths."""
    src = open(os.path.join(os.path.dirname(__file__), "..", "..", "rest", "api.h")).read()
    served = set(re.findall(r"^//\s+(?:GET|POST|PUT|DELETE|GET\|DELETE)\s+(/\S*)", src, re.M))
    norm = lambda p: re.sub(r"<(\w+)>", r"{\1}", p.split("?")[0])  # noqa: E731
    documented = set(SPEC["paths"])
    for p in served:
        p = norm(p)
        assert p in documented or p + "/" in documented or p.rstrip("/") in documented, p


def test_policy_refusal_matches_the_spec(gateway_factory):
    """403: functions_deny refuses a function, on both job routes."""
    g = gateway_factory(config_text="functions_deny: ['cmd.*']\n")
    r = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "cmd.run", "arg": ["true"]}, timeout=30)
    assert r.status_code == 403
    check("post", "/dongle/{unit_id}/execute/", r)
    r = requests.post(f"{g.url}/dongle/{g.unit_id}/execute_raw/", json={"command": "cmd.run true"}, timeout=30)
    assert r.status_code == 403
    check("post", "/dongle/{unit_id}/execute_raw/", r)


def test_async_answer_has_the_documented_headers(gw):
    r = requests.post(f"{gw.url}/dongle/{gw.unit_id}/execute/?async=1", json={"command": "test.ping"}, timeout=30)
    check("post", "/dongle/{unit_id}/execute/", r)
    doc = resolve(SPEC["paths"]["/dongle/{unit_id}/execute/"]["post"]["responses"]["202"])
    for name, h in doc["headers"].items():
        if h.get("required"):
            assert name in r.headers, name
    assert r.headers["Location"] == f"/dongle/{gw.unit_id}/jobs/{r.json()['jid']}"


@pytest.mark.parametrize("body", [{"command": "test.echo", "arg": ["x"]}, {"command": "no.such"},
                                  {"command": "test.exception", "arg": ["boom"]}])
def test_stream_lines_match_the_spec(gw, body):
    """Every NDJSON line is a StreamLine: accepted first, result or error last."""
    r = requests.post(f"{gw.url}/dongle/{gw.unit_id}/execute/?stream=1", json=body, timeout=60)
    check("post", "/dongle/{unit_id}/execute/", r)
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    schema = to_jsonschema(resolve(SPEC["components"]["schemas"]["StreamLine"]))
    lines = [json.loads(x) for x in r.text.splitlines()]
    for line in lines:
        jsonschema.validate(line, schema)
    assert lines[0]["type"] == "accepted" and lines[-1]["type"] in ("result", "error")
    assert lines[-1]["jid"] == r.headers["X-Salt-Jid"]
