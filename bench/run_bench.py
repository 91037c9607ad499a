#!/usr/bin/env python3
"""saltgw benchmark suite: one run, every figure measured side by side.

Started by scripts/bench.sh (which builds saltgw and installs wrk, nginx and
matplotlib). Starts a sandbox minion with the executor engine, then measures:

  * salt-call test.ping as a subprocess (what the CLI costs today);
  * the bare ZeroMQ round trip to the executor engine (pyzmq DEALER, no saltgw):
    the floor for the engine path;
  * saltgw with dispatch schedule and with dispatch engine, for test.ping,
    cmd.run "echo hi", grains.get id, state.sls gwtest and GET /:
    sequential latency (wrk, 1 connection: p50/p90/p99) and throughput at
    1, 8 and 64 concurrent connections (wrk, default requests: no Connection
    header);
  * nginx serving the same GET / body from memory, as a ceiling;
  * saltgw RSS idle and under load, time from exec to first answered request,
    peak RSS while returning a 20 MB result;
  * the whole footprint (bench/footprint.py): PSS of saltgw, of the executor
    engine's process and of the minion's own processes, beside a second,
    stock minion without the engine (which the schedule dispatch runs
    against), idle and after the load; idle wake-ups of saltgw and of the
    engine over --idle-seconds (default 60).

Prints a markdown table, writes docs/benchmarks.md (with the machine
described) and docs/bench-latency.png. Figures are measurements, not
pass/fail assertions.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import footprint  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def http(url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


class Saltgw:
    def __init__(self, binary, minion_config, dispatch, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        t0 = time.perf_counter()
        # Limits high enough that the load tool measures saltgw, not its
        # per-client admission control (all wrk connections are one client).
        cfg = os.path.join(tmp, f"bench-{dispatch}.yaml")
        with open(cfg, "w") as f:
            f.write("max_jobs: 4096\nmax_jobs_per_client: 4096\njob_timeout: 120\n")
        self.proc = subprocess.Popen(
            [binary, "--minion-config", minion_config, "--listen", f"127.0.0.1:{self.port}",
             "--dispatch", dispatch, "--secret-file", os.path.join(tmp, f"secret-{dispatch}"),
             "--log-level", "warning", "--config", cfg],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, f"saltgw-{dispatch}.log"), "wb"))
        while True:
            try:
                status, body = http(self.url + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.001)
                if time.perf_counter() - t0 > 30:
                    raise RuntimeError("saltgw did not start")
        self.ready_ms = (time.perf_counter() - t0) * 1000
        self.unit = json.loads(body)["unit_id"]
        # Wait until jobs go through (bus connected, function list loaded).
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if http(f"{self.url}/dongle/{self.unit}/execute/", {"command": "test.ping"})[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        time.sleep(1.0)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(url, connections, seconds, body=None, threads=None):
    threads = threads or min(2, connections)
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url]
    script = None
    if body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f"wrk.body = {json.dumps(json.dumps(body))}\n")
        script.close()
        args[1:1] = ["-s", script.name]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60).stdout
    if script:
        os.unlink(script.name)

    def ms(text):
        m = re.match(r"([\d.]+)(us|ms|s)", text)
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]

    res = {"rps": 0.0, "p50": None, "p90": None, "p99": None, "errors": 0, "requests": 0}
    for line in out.splitlines():
        line = line.strip()
        for p in ("50", "90", "99"):
            if line.startswith(p + "%"):
                res["p" + p] = ms(line.split()[1])
        if line.startswith("Requests/sec:"):
            res["rps"] = float(line.split()[1])
        m = re.match(r"(\d+) requests in", line)
        if m:
            res["requests"] = int(m.group(1))
        if line.startswith("Non-2xx or 3xx responses:"):
            res["errors"] += int(line.split()[-1])
        if line.startswith("Socket errors:"):
            res["errors"] += sum(int(x) for x in re.findall(r"\d+", line))
    return res


def salt_call_ping(venv, conf_dir, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([os.path.join(venv, "bin", "salt-call"), "--local", "-c", conf_dir, "test.ping"],
                       capture_output=True, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return times


def zmq_rtt(sock_dir, n):
    import msgpack
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.connect(f"ipc://{sock_dir}/saltgw.ipc")
    times = []
    for i in range(n):
        msg = msgpack.packb({"op": "run", "id": str(i), "jid": f"2026{i:016d}", "fun": "test.ping",
                             "arg": [], "kwarg": {}}, use_bin_type=True)
        t = time.perf_counter()
        s.send(msg)
        s.recv()
        times.append((time.perf_counter() - t) * 1000)
    s.close(0)
    ctx.term()
    return times


def unknown_function_ms(url, unit, n):
    """Sequential POSTs of a function the minion does not have, on one
    keep-alive connection: how fast saltgw refuses it (400)."""
    import http.client
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"command": "no_such_module.nothing", "arg": [], "kwarg": {}})
    times, statuses = [], set()
    for _ in range(n):
        t = time.perf_counter()
        conn.request("POST", f"/dongle/{unit}/execute/", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
        statuses.add(r.status)
    conn.close()
    return times, statuses


def pss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def nginx_baseline(body, tmp, seconds):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        return None
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    location = / {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
""")
    p = subprocess.Popen([nginx, "-c", conf, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            http(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    res = wrk(f"http://127.0.0.1:{port}/", 64, seconds)
    p.terminate()
    p.wait(10)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saltgw", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="shorter runs, fewer cases")
    ap.add_argument("--idle-seconds", type=float, default=60, help="window for idle wake-ups")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"))
    a = ap.parse_args()
    secs = 2 if a.quick else a.seconds
    py = os.path.join(a.venv, "bin", "python")
    tmp = tempfile.mkdtemp(prefix="saltgw-bench.")
    sandbox = os.path.join(tmp, "minion")
    stock = os.path.join(tmp, "minion-stock")  # no engine: the schedule dispatch's, and the comparison
    sandbox_py = os.path.join(ROOT, "tests/sandbox/sandbox_minion.py")
    minion_config = subprocess.run([py, sandbox_py, "start", sandbox, "--engine"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    stock_config = subprocess.run([py, sandbox_py, "start", stock],
                                  capture_output=True, text=True, check=True).stdout.strip()
    conf_dir = os.path.dirname(minion_config)
    sock_dir = os.path.join(sandbox, "run", "minion")
    salt_version = subprocess.run([os.path.join(a.venv, "bin", "salt-call"), "--version"], capture_output=True,
                                  text=True).stdout.split()[1]
    rows = []
    extra = {}
    gws = []
    try:
        print("footprint at rest ...", file=sys.stderr)
        g_engine = Saltgw(a.saltgw, minion_config, "engine", tmp)
        gws.append(g_engine)
        minions = {"engine": int(open(os.path.join(sandbox, "sandbox.pid")).read()),
                   "stock": int(open(os.path.join(stock, "sandbox.pid")).read())}
        time.sleep(2)
        extra["footprint_idle"] = footprint_now(g_engine, minions)
        eng = extra["footprint_idle"]["engine_pid"]
        woke = footprint.wakeups([g_engine.proc.pid, eng], a.idle_seconds)
        extra["wakeups"] = (a.idle_seconds, woke[g_engine.proc.pid], woke[eng])
        print("salt-call test.ping ...", file=sys.stderr)
        sc = salt_call_ping(a.venv, conf_dir, 3 if a.quick else 5)
        extra["salt_call_p50"] = statistics.median(sc)
        print("bare ZeroMQ round trip to the engine ...", file=sys.stderr)
        z = zmq_rtt(sock_dir, 500 if a.quick else 3000)
        extra["zmq_p50"], extra["zmq_p99"] = pct(z, 50), pct(z, 99)

        cases = [("test.ping", {"command": "test.ping", "arg": [], "kwarg": {}}),
                 ("cmd.run echo hi", {"command": "cmd.run", "arg": ["echo hi"], "kwarg": {}}),
                 ("grains.get id", {"command": "grains.get", "arg": ["id"], "kwarg": {}}),
                 ("state.sls gwtest", {"command": "state.sls", "arg": ["gwtest"], "kwarg": {"queue": True}}),
                 ("GET /", None)]
        for dispatch in ("schedule", "engine"):
            if dispatch == "engine":
                g = g_engine  # at rest so far
            else:
                g = Saltgw(a.saltgw, stock_config, dispatch, tmp)
                gws.append(g)
            extra[f"ready_ms_{dispatch}"] = g.ready_ms
            extra["unit"] = g.unit
            extra[f"rss_idle_{dispatch}"] = rss_kb(g.proc.pid)
            extra[f"pss_idle_{dispatch}"] = pss_kb(g.proc.pid)
            u, statuses = unknown_function_ms(g.url, g.unit, 200 if a.quick else 1000)
            extra[f"unknown_{dispatch}"] = (pct(u, 50), pct(u, 99), sorted(statuses))
            for name, body in cases:
                url = g.url + "/" if body is None else f"{g.url}/dongle/{g.unit}/execute/"
                conns = [1, 8, 64]
                if dispatch == "schedule" and name.startswith("state"):
                    conns = [1, 8]  # state runs serialise (queue=True); 64 would only queue
                print(f"{dispatch}: {name} ...", file=sys.stderr)
                seq = wrk(url, 1, secs, body, threads=1)
                row = {"dispatch": dispatch, "case": name, "p50": seq["p50"], "p90": seq["p90"], "p99": seq["p99"],
                       "errors": seq["errors"]}
                for c in conns:
                    r = wrk(url, c, secs, body)
                    row[f"rps{c}"] = r["rps"]
                    row[f"p99_{c}"] = r["p99"]
                    row["errors"] += r["errors"]
                    if body is not None:
                        # Jobs wrk left in flight still run on the minion: let
                        # them drain before the next measurement.
                        time.sleep(4 if dispatch == "schedule" else 1)
                rows.append(row)
                if name == "GET /" or name == "test.ping":
                    extra[f"rss_load_{dispatch}"] = max(extra.get(f"rss_load_{dispatch}", 0),
                                                        rss_kb(g.proc.pid, "VmHWM"))
            extra[f"rss_after_{dispatch}"] = rss_kb(g.proc.pid)
            if dispatch == "engine":
                time.sleep(3)
                extra["footprint_load"] = footprint_now(g, minions)
            g.stop()
            gws.remove(g)
        print("nginx baseline ...", file=sys.stderr)
        extra["nginx"] = nginx_baseline(json.dumps({"unit_id": extra["unit"]}, separators=(",", ":")), tmp, secs)

        print("20 MB result, peak RSS ...", file=sys.stderr)
        g = Saltgw(a.saltgw, minion_config, "engine", tmp)
        gws.append(g)
        before = rss_kb(g.proc.pid, "VmHWM")
        size = 20 * 1000 * 1000
        t = time.perf_counter()
        status, body = http(f"{g.url}/dongle/{g.unit}/execute/",
                            {"command": "cmd.run", "arg": [f"head -c {size} /dev/zero | tr '\\000' a"],
                             "kwarg": {"python_shell": True}}, timeout=120)
        extra["big_ms"] = (time.perf_counter() - t) * 1000
        extra["big_status"] = status
        extra["big_bytes"] = len(body)
        extra["big_hwm_before"] = before
        extra["big_hwm_after"] = rss_kb(g.proc.pid, "VmHWM")
        time.sleep(2)
        extra["engine_pss_after_big"] = footprint.pss_kb(extra["footprint_idle"]["engine_pid"])
        g.stop()
        gws.remove(g)
    finally:
        for g in gws:
            g.stop()
        for d in (sandbox, stock):
            subprocess.run([py, sandbox_py, "stop", d])

    report(rows, extra, salt_version, a.out, secs)


def footprint_now(g, minions):
    """PSS (kB) of saltgw, of the engine, of the engine minion's other
    processes and of the stock minion's processes, now."""
    eng = footprint.engine_pid(minions["engine"])
    return {"engine_pid": eng, "saltgw": footprint.pss_kb(g.proc.pid), "engine": footprint.pss_kb(eng),
            "minion_rest": footprint.minion_pss_kb(minions["engine"], without={eng}),
            "stock": footprint.minion_pss_kb(minions["stock"]),
            "stock_procs": len(footprint.group_pids(minions["stock"])),
            "minion_procs": len(footprint.group_pids(minions["engine"]))}


def footprint_report(extra):
    """The footprint table and the wake-up line (markdown)."""
    idle, load = extra.get("footprint_idle"), extra.get("footprint_load")
    if not idle:
        return []
    load = load or {}

    def mb(d, k):
        return f"{d[k] / 1024:.1f}" if k in d else "-"

    def share(d):
        return f"{(d['engine'] + d['minion_rest'] - d['stock']) / 1024:.1f}" if d else "-"

    lines = ["| PSS, MB | idle, after start | after the load |", "|---|---|---|",
             f"| saltgw (dispatch engine) | {mb(idle, 'saltgw')} | {mb(load, 'saltgw')} |",
             f"| executor engine process | {mb(idle, 'engine')} | {mb(load, 'engine')} |",
             f"| the minion's other processes, beside the engine ({idle['minion_procs'] - 1}) | "
             f"{mb(idle, 'minion_rest')} | {mb(load, 'minion_rest')} |",
             f"| a stock minion, no engine, all processes ({idle['stock_procs']}; the schedule dispatch's) | "
             f"{mb(idle, 'stock')} | {mb(load, 'stock')} |",
             f"| the engine's fair share: minion with engine (all) minus stock minion | {share(idle)} | {share(load)} |",
             f"| saltgw + the engine's fair share | "
             f"{(idle['saltgw'] / 1024 + float(share(idle))):.1f} | "
             f"{(load['saltgw'] / 1024 + float(share(load))):.1f} |" if load else "| | | |"]
    if "engine_pss_after_big" in extra:
        lines.append(f"\nExecutor engine PSS after the 20 MB result too: {extra['engine_pss_after_big'] / 1024:.1f} MB.")
    if "wakeups" in extra:
        secs, gw, eng = extra["wakeups"]
        lines.append(f"\nIdle wake-ups (voluntary + involuntary context switches of all threads, /proc), "
                     f"over {secs:.0f} s with no client: saltgw {gw} ({gw * 60 / secs:.1f}/min), "
                     f"executor engine {eng} ({eng * 60 / secs:.1f}/min).")
    return lines


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Linux {platform.release()}"


def f(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}{unit}" if v < 100 else f"{v:,.0f}{unit}"
    return f"{v}{unit}"


def report(rows, extra, salt_version, out, secs):
    lines = []
    lines.append("| dispatch | request | p50 ms | p90 ms | p99 ms | req/s @1 | req/s @8 | p99 ms @8 | req/s @64 | p99 ms @64 | errors |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        lines.append(f"| {r['dispatch']} | {r['case']} | {f(r['p50'])} | {f(r['p90'])} | {f(r['p99'])} | "
                     f"{f(r.get('rps1'))} | {f(r.get('rps8'))} | {f(r.get('p99_8'))} | {f(r.get('rps64'))} | "
                     f"{f(r.get('p99_64'))} | {r['errors']} |")
    table = "\n".join(lines)
    ping_engine = next((r for r in rows if r["dispatch"] == "engine" and r["case"] == "test.ping"), None)
    get_engine = next((r for r in rows if r["dispatch"] == "engine" and r["case"] == "GET /"), None)
    nginx = extra.get("nginx")
    summary = [
        f"- `salt-call --local test.ping` as a subprocess: p50 {f(extra['salt_call_p50'])} ms",
        f"- bare ZeroMQ round trip to the engine (pyzmq DEALER, `test.ping`): p50 {f(extra['zmq_p50'])} ms, p99 {f(extra['zmq_p99'])} ms",
    ]
    if ping_engine:
        summary.append(f"- saltgw engine `test.ping` p50 / bare ZeroMQ p50: {ping_engine['p50'] / extra['zmq_p50']:.2f}x; "
                       f"salt-call p50 / saltgw engine p50: {extra['salt_call_p50'] / ping_engine['p50']:,.0f}x")
    if nginx and get_engine:
        summary.append(f"- nginx serving the same `GET /` body: {f(nginx['rps'])} req/s at 64 connections, p99 {f(nginx['p99'])} ms; "
                       f"saltgw reaches {100 * get_engine['rps64'] / nginx['rps']:.0f}% of it")
    for d in ("schedule", "engine"):
        if f"rss_idle_{d}" in extra:
            summary.append(f"- saltgw ({d}): ready {f(extra[f'ready_ms_{d}'])} ms after exec; RSS idle {extra[f'rss_idle_{d}'] / 1024:.1f} MB "
                           f"(PSS {extra.get(f'pss_idle_{d}', 0) / 1024:.1f} MB: shared library pages counted in part), "
                           f"peak under load {extra.get(f'rss_load_{d}', 0) / 1024:.1f} MB, "
                           f"after the load {extra.get(f'rss_after_{d}', 0) / 1024:.1f} MB")
        if f"unknown_{d}" in extra:
            p50, p99, statuses = extra[f"unknown_{d}"]
            summary.append(f"- unknown function refused ({d}): p50 {f(p50)} ms, p99 {f(p99)} ms, HTTP {statuses}")
    if "big_bytes" in extra:
        summary.append(f"- 20 MB `cmd.run` result through the engine: HTTP {extra['big_status']}, {extra['big_bytes']:,} bytes in "
                       f"{f(extra['big_ms'])} ms; saltgw peak RSS {extra['big_hwm_before'] / 1024:.1f} MB before, "
                       f"{extra['big_hwm_after'] / 1024:.1f} MB after ({(extra['big_hwm_after'] - extra['big_hwm_before']) / 1024 / 20:.1f}x the result size added)")
    text = table + "\n\n" + "\n".join(summary) + "\n\n" + "\n".join(footprint_report(extra))
    print(text)
    os.makedirs(out, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(out, "benchmarks.last.md"), "w") as fh:
        fh.write(f"Run {stamp} on {machine()}, Salt {salt_version}, {secs} s per wrk run.\n\n{text}\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        labels = [f"{r['dispatch']}\n{r['case']}" for r in rows]
        fig, ax = plt.subplots(figsize=(12, 5))
        xs = range(len(rows))
        ax.bar([x - 0.2 for x in xs], [r["p50"] or 0 for r in rows], 0.4, label="p50")
        ax.bar([x + 0.2 for x in xs], [r["p99"] or 0 for r in rows], 0.4, label="p99")
        ax.axhline(extra["salt_call_p50"], color="red", linestyle="--", label="salt-call test.ping p50")
        ax.set_yscale("log")
        ax.set_ylabel("latency, ms (log scale), 1 connection")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, fontsize=7)
        ax.legend()
        ax.set_title(f"saltgw sequential latency, Salt {salt_version}, {machine()}", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "bench-latency.png"), dpi=110)
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)


if __name__ == "__main__":
    main()
