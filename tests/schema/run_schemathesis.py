#!/usr/bin/env python3
"""API fuzzing of saltgw against docs/openapi.yaml with Schemathesis.

Starts its own saltgw (SALTGW_BIN) in front of the running sandbox minion
(SALTGW_MINION_CONFIG, started by scripts/test.sh), with a configuration made
for fuzzing (generous job limits, a function policy that keeps random input
away from anything that changes the machine), runs `st run` with a fixed seed
and a time budget, and checks every answer:

  not_a_server_error           no 5xx but the ones the spec documents
  status_code_conformance      every status code is documented for its route
  content_type_conformance     every Content-Type is documented
  response_headers_conformance documented headers are present and valid
  response_schema_conformance  every JSON body matches its schema

and the checks of st_hooks.py (the kind that goes with a 5xx, CORS headers,
NDJSON stream lines, every operation answering 2xx at least once).

Run it with the Python of the Schemathesis environment
(scripts/schemathesis-deps.sh prints its path):

    run_schemathesis.py --st VENV/bin/st --junitxml RESULTS/schemathesis.xml [--max-time 120]

Prints `schemathesis: N passed, N failed` last (one test case per API
operation, plus one for saltgw itself: it must keep running, log no crash
and stop cleanly) and exits 1 on any failure. Nothing is skipped: a saltgw
that does not start, a Schemathesis that does not run or writes no report
counts as a failure.
"""
import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SPEC = os.path.join(ROOT, "docs", "openapi.yaml")

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance"]
# tests/schema/st_hooks.py
CUSTOM_CHECKS = ["documented_server_error", "cors_headers", "ndjson_stream", "EveryOperationSucceeds"]

# Fuzzed `command`s run on a real minion (as root, in production and in CI).
# Only harmless functions may run; whatever else a random name spells is
# refused with 403 before it reaches the minion. test.* functions that sleep,
# loop on their argument, call other functions by name or write to a device
# are refused too. no.such* is allowed so that unknown functions reach the
# minion's function list (400 unknown_function) rather than the policy.
FUNCTIONS_ALLOW = ["test.*", "grains.get", "grains.item", "grains.items", "grains.ls",
                   "config.get", "sys.list_functions", "sys.doc", "no.such*"]
FUNCTIONS_DENY = ["cmd.*", "system.*", "state.*", "file.*", "pkg.*", "service.*", "network.*",
                  "saltutil.*", "schedule.*", "event.*", "minion.*", "ps.*", "cp.*",
                  "test.sleep", "test.rand_sleep", "test.fib", "test.collatz", "test.cross_test",
                  "test.try*", "test.tty", "test.attr_call"]

# Values the generator mixes with random ones, so the fuzzing reaches past the
# first check of each route (unit id, function name, log file name).
COMMANDS = ["test.ping", "test.echo", "test.arg", "test.kwarg", "test.exception", "test.false",
            "test.retcode", "test.version", "test.outputter", "grains.get", "grains.items",
            "config.get", "no.such_function", "cmd.run", "test.sleep", "test.echo 'unterminated",
            "test.arg a b=c 'd e'", "grains.get os"]
LOG_FILES = ["syslog", "salt/minion", "nope", "../outside", "escape", "salt", "/etc/passwd"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, data=None, timeout=5):
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Gateway:
    def __init__(self, binary, minion_config, work):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        logs = os.path.join(work, "logs")
        os.makedirs(os.path.join(logs, "salt"), exist_ok=True)
        with open(os.path.join(logs, "syslog"), "w") as f:
            f.write("line one\nline two\n")
        with open(os.path.join(logs, "salt", "minion"), "w") as f:
            f.write("minion log\n")
        with open(os.path.join(work, "outside"), "w") as f:
            f.write("must never be served\n")
        os.symlink(os.path.join(work, "outside"), os.path.join(logs, "escape"))
        cfg = os.path.join(work, "saltgw.yaml")
        with open(cfg, "w") as f:
            f.write("max_jobs: 10000\nmax_jobs_per_client: 10000\njob_timeout: 20\n"
                    f"functions_allow: {FUNCTIONS_ALLOW!r}\nfunctions_deny: {FUNCTIONS_DENY!r}\n")
        self.log_path = os.path.join(work, "saltgw.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--config", cfg, "--minion-config", minion_config, "--listen", f"127.0.0.1:{self.port}",
             "--log-root", logs, "--secret-file", os.path.join(work, "secret")],
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, limit=40):
        """Until GET / answers and a test.ping goes through the minion."""
        deadline = time.time() + limit
        unit = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"saltgw exited with {self.proc.returncode}")
            try:
                if unit is None:
                    status, body = get(self.url + "/")
                    if status == 200:
                        import json
                        unit = json.loads(body)["unit_id"]
                if unit is not None:
                    status, _ = get(f"{self.url}/dongle/{unit}/execute/", b'{"command": "test.ping"}', timeout=30)
                    if status == 200:
                        return unit
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError("saltgw never answered a test.ping within %ds" % limit)

    def stop(self):
        """SIGTERM; the exit code (None when it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.log.close()
                return None
        self.log.close()
        return self.proc.returncode

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_list(items):
    return "[" + ", ".join(toml_str(i) for i in items) + "]"


def server_error_overrides():
    """[[operations]] entries: each operation's documented 5xx codes are the
    ones not_a_server_error accepts there (documented_server_error in
    st_hooks.py then checks the kind that goes with the code)."""
    import yaml
    spec = yaml.safe_load(open(SPEC))
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            codes = sorted(int(c) for c in op.get("responses", {}) if str(c).startswith("5"))
            if codes:
                expected = ", ".join(['"1xx"', '"2xx"', '"3xx"', '"4xx"'] + [str(c) for c in codes])
                out.append(f"""
[[operations]]
include-path = {toml_str(path)}
include-method = {toml_str(method.upper())}
checks.not_a_server_error.expected-statuses = [{expected}]
""")
    return "".join(out)


def write_st_config(path, url, unit, other_unit, args):
    units = [unit, unit.replace("-", ""), unit.upper(), other_unit, "not-a-unit-id"]
    text = f"""
base-url = {toml_str(url)}
seed = {args.seed}
workers = {args.workers}
max-failures = 200
continue-on-failure = true
request-timeout = 30
suppress-health-check = ["too_slow", "filter_too_much", "large_base_example", "data_too_large"]
warnings = {str(args.warnings).lower()}
hooks = "st_hooks"

[generation]
max-examples = {args.max_examples}
deterministic = false
allow-x00 = true
database = "none"

[checks]
enabled = false
{chr(10).join(f"{c}.enabled = true" for c in CHECKS + CUSTOM_CHECKS)}

# Unexpected methods: HTTP's own (TRACE included) get 405 with Allow from the
# API. QUERY is left out because saltgw does not implement it at all and so
# answers 501 (RFC 9110 15.6.2), which Schemathesis counts as a server error
# whatever the reason; tests/api/test_limits_policy.py checks that answer (JSON,
# one answer only, the connection closed, the body never parsed).
[phases.coverage]
unexpected-methods = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "TRACE"]

[phases.stateful]
enabled = {str(args.stateful).lower()}

[dictionaries]
units = {{ values = {toml_list(units)} }}
commands = {{ values = {toml_list(COMMANDS)} }}
logs = {{ values = {toml_list(LOG_FILES)} }}
assets = {{ values = ["index.html"] }}

[parameters]
"path.unit_id" = {{ dictionary = "units", probability = 0.9 }}
"body.command" = {{ dictionary = "commands", probability = 0.5 }}
"query.file" = {{ dictionary = "logs", probability = 0.5 }}
"path.asset" = {{ dictionary = "assets", probability = 0.5 }}

# The event stream never ends: read it for half a second per request.
[[operations]]
include-path = "/dongle/{{unit_id}}/events"
request-timeout = 0.5
generation.max-examples = 5
""" + server_error_overrides()
    with open(path, "w") as f:
        f.write(text)


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = [c for s in suites for c in s.iter("testcase")]
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    return root, cases, failed


def generated_line(st_log):
    """Schemathesis' own count ("2843 generated, 2843 passed")."""
    try:
        text = open(st_log, errors="replace").read()
    except OSError:
        return "no Schemathesis output"
    m = re.findall(r"^\s*(\d+ generated[^\n]*)$", text, re.M)
    return "test cases: " + (m[-1].strip() if m else "no count")


def requests_line(saltgw_log):
    """How many requests saltgw answered, by status code (its access log)."""
    counts = collections.Counter()
    try:
        for line in open(saltgw_log, errors="replace"):
            m = re.search(r" access: \S+ \S+ (\d{3}) ", line)
            if m:
                counts[m.group(1)] += 1
    except OSError:
        pass
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    return f"saltgw answered {sum(counts.values())} requests ({by_status})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--st", required=True, help="the Schemathesis CLI (VENV/bin/st)")
    ap.add_argument("--junitxml", required=True)
    ap.add_argument("--max-time", type=int, default=120, help="time budget of the whole st run, seconds")
    ap.add_argument("--max-examples", type=int, default=60, help="test cases per operation and phase")
    ap.add_argument("--seed", type=int, default=20260901)
    # One worker: with two, Hypothesis parses lambda sources from two threads at
    # once, which trips a CPython 3.11 bug ("AST constructor recursion depth
    # mismatch") and costs test cases as runtime errors.
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--stateful", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--warnings", action="store_true", help="show Schemathesis' warnings")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    # Stopped from outside (CI's own time limit): still stop saltgw.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    binary = os.environ.get("SALTGW_BIN")
    minion_config = os.environ.get("SALTGW_MINION_CONFIG")
    work = tempfile.mkdtemp(prefix="saltgw-schemathesis.")
    junit = os.path.abspath(args.junitxml)
    os.makedirs(os.path.dirname(junit), exist_ok=True)
    extra_cases = []  # (name, failure message or None)
    started = time.time()
    gw = None
    st_rc = None
    try:
        if not binary or not minion_config:
            raise RuntimeError("SALTGW_BIN and SALTGW_MINION_CONFIG must be set (scripts/test.sh sets them)")
        if not os.access(args.st, os.X_OK):
            raise RuntimeError(f"no Schemathesis CLI at {args.st} (scripts/schemathesis-deps.sh installs it)")
        gw = Gateway(binary, minion_config, work)
        unit = gw.wait_ready()
        st_config = os.path.join(work, "schemathesis.toml")
        write_st_config(st_config, gw.url, unit, "3f1d2c4b-0000-4000-8000-000000000001", args)
        st_junit = os.path.join(work, "st-junit.xml")
        cmd = [args.st, "--config-file", st_config, "run", SPEC, "--max-time", str(args.max_time),
               "--report", "junit,ndjson", "--report-junit-path", st_junit,
               "--report-ndjson-path", os.path.join(work, "events.ndjson"), "--no-color"]
        print("schemathesis: " + " ".join(cmd), flush=True)
        with open(os.path.join(work, "st.log"), "wb") as out:
            # The run's own output, to this stage's log; the budget is enforced
            # by st itself (--max-time), with a hard stop on top.
            env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=work, env=env)
            hard_stop = args.max_time + 60
            killed = threading.Event()

            def kill():
                killed.set()
                proc.kill()

            timer = threading.Timer(hard_stop, kill)
            timer.start()
            try:
                for line in proc.stdout:
                    out.write(line)
                    sys.stdout.buffer.write(line)
                proc.wait()
            finally:
                timer.cancel()
            if killed.is_set():
                extra_cases.append(("st-run", f"st did not finish within {hard_stop}s and was killed"))
        st_rc = proc.returncode
        sys.stdout.flush()
        if not os.path.exists(st_junit):
            extra_cases.append(("st-report", f"st exited {st_rc} without a JUnit report"))
            root, cases, failed = None, [], []
        else:
            root, cases, failed = junit_counts(st_junit)
            if not cases:
                extra_cases.append(("st-report", "the JUnit report has no test case"))
            elif st_rc != 0 and not failed:
                extra_cases.append(("st-exit", f"st exited {st_rc} though its report shows no failure"))
    except Exception as exc:  # noqa: BLE001 - any failure to run is a failed stage
        extra_cases.append(("setup", f"{type(exc).__name__}: {exc}"))
        root, cases, failed = None, [], []
    finally:
        if gw is not None:
            alive = gw.proc.poll() is None
            rc = gw.stop()
            tail = gw.log_tail()
            problems = []
            if not alive:
                problems.append(f"saltgw died during the run (exit {gw.proc.returncode})")
            elif rc != 0:
                problems.append(f"saltgw did not stop cleanly on SIGTERM (exit {rc})")
            for word in ("AddressSanitizer", "terminate called", "Segmentation fault", "Assertion", "FATAL"):
                if word in tail:
                    problems.append(f"saltgw log mentions '{word}'")
            extra_cases.append(("saltgw-survives", "; ".join(problems) + "\n" + tail if problems else None))

    # One JUnit file: Schemathesis' test cases (one per operation) and ours.
    lines = []
    n_fail = len(failed) + sum(1 for _, m in extra_cases if m)
    n_total = len(cases) + len(extra_cases)
    lines.append(f'<testsuite name="schemathesis" tests="{n_total}" failures="{n_fail}" '
                 f'time="{time.time() - started:.1f}">')
    for c in cases:
        lines.append(ET.tostring(c, encoding="unicode").strip())
    for name, msg in extra_cases:
        if msg:
            lines.append(f'<testcase name={quoteattr(name)}><failure message={quoteattr(msg.splitlines()[0])}>'
                         f'{escape(msg)}</failure></testcase>')
        else:
            lines.append(f"<testcase name={quoteattr(name)}/>")
    lines.append("</testsuite>")
    with open(junit, "w") as f:
        f.write("\n".join(lines) + "\n")
    for name, msg in extra_cases:
        if msg:
            print(f"schemathesis: {name}: {msg}")
    print(f"schemathesis: {generated_line(os.path.join(work, 'st.log'))}; "
          f"{requests_line(os.path.join(work, 'saltgw.log'))}; {time.time() - started:.0f}s in all")
    if args.keep or n_fail:
        print(f"schemathesis: work folder kept: {work} (saltgw.log, st.log, schemathesis.toml)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"schemathesis: {n_total - n_fail} passed, {n_fail} failed")
    sys.exit(1 if n_fail else 0)


if __name__ == "__main__":
    main()
