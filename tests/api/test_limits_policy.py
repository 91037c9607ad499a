"""Limits on jobs in flight and the function allow/deny policy, against the
real sandbox minion."""
import concurrent.futures
import time

import requests


def sleep_job(g, seconds=2):
    return requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "test.sleep", "arg": [seconds]},
                         timeout=60)


def test_per_client_limit_is_429_with_retry_after(gateway_factory):
    g = gateway_factory(config_text="max_jobs: 10\nmax_jobs_per_client: 2\n")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(sleep_job, g, 3) for _ in range(2)]
        time.sleep(0.5)
        r = requests.post(f"{g.url}/dongle/{g.unit_id}/execute/", json={"command": "test.ping"}, timeout=10)
        assert r.status_code == 429, r.text
        assert r.headers["Retry-After"] == "1"
        assert "max_jobs_per_client" in r.json()["error"]
        assert all(f.result().status_code == 200 for f in slow)
    # Places are given back when jobs end.
    assert g.execute("test.ping").json() is True


def test_total_limit_is_503_overloaded(gateway_factory):
    g = gateway_factory(config_text="max_jobs: 1\nmax_jobs_per_client: 1\n")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(sleep_job, g, 3)
        time.sleep(0.5)
        r = requests.post(f"{g.url}/dongle/{g.unit_id}/execute_raw/", json={"command": "test.ping"}, timeout=10)
        assert r.status_code == 503
        assert r.json()["kind"] == "overloaded"
        assert "Retry-After" in r.headers
        assert slow.result().status_code == 200


def test_deny_list_applies_to_every_job_route(gateway_factory):
    g = gateway_factory(config_text='functions_deny: ["cmd.*", "state.sls"]\n')
    u = f"{g.url}/dongle/{g.unit_id}"
    attempts = [
        requests.post(f"{u}/execute/", json={"command": "cmd.run", "arg": ["id"]}),
        requests.post(f"{u}/execute/", json=["cmd.run_all", "id"]),
        requests.post(f"{u}/execute_raw/", json={"command": "cmd.run id"}),
        requests.post(f"{u}/execute/?stream=1", json={"command": "cmd.run", "arg": ["id"]}),
        requests.post(f"{u}/execute/?async=1", json={"command": "state.sls", "arg": ["gwtest"]}),
    ]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert "not allowed" in r.json()["error"]
    assert g.execute("test.ping").json() is True
    assert g.execute("state.sls_exists", ["gwtest"]).status_code == 200


def test_allow_list(gateway_factory):
    g = gateway_factory(config_text='functions_allow: ["test.*", "grains.get"]\n')
    assert g.execute("test.echo", ["ok"]).json() == "ok"
    assert g.execute("grains.get", ["id"]).status_code == 200
    r = g.execute("grains.set", ["x", "y"])
    assert r.status_code == 403


def test_listen_list_serves_each_address_and_only_those(tmp_path):
    import os
    import socket
    import subprocess

    def port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    p1, p2 = port(), port()
    cfg = tmp_path / "saltgw.yaml"
    cfg.write_text(f"listen: [127.0.0.1:{p1}, 127.0.0.2:{p2}]\n")
    proc = subprocess.Popen([os.environ["SALTGW_BIN"], "--config", str(cfg), "--minion-config",
                             os.environ["SALTGW_MINION_CONFIG"], "--secret-file", str(tmp_path / "secret")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for url in (f"http://127.0.0.1:{p1}/", f"http://127.0.0.2:{p2}/"):
            for _ in range(100):
                try:
                    assert "unit_id" in requests.get(url, timeout=1).json()
                    break
                except requests.ConnectionError:
                    time.sleep(0.05)
            else:
                raise AssertionError(f"{url} never answered")
        # Not on an address it was not given.
        try:
            requests.get(f"http://127.0.0.2:{p1}/", timeout=1)
            raise AssertionError("answered on an address outside the listen list")
        except requests.ConnectionError:
            pass
    finally:
        proc.terminate()
        proc.wait(15)
    assert proc.returncode == 0
