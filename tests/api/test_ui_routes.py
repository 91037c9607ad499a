"""The routes added for the configuration page (GET /logs/, GET /info/,
/download_log/?tail=N) and the page's serving rules as a JSON client sees
them: bad input gets a JSON error with the right status."""
import requests

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_logs_lists_what_download_log_serves(gw):
    r = requests.get(gw.url + "/logs/", timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    files = {f["name"]: f for f in r.json()}
    assert "syslog" in files and "salt/minion" in files
    assert "escape" not in files  # the symlink that leads out of the log root
    assert files["syslog"]["size"] == len("line one\nline two\n")
    assert files["syslog"]["modified"].endswith("Z")
    names = [f["name"] for f in r.json()]
    assert names == sorted(names)
    for name in names:  # and each one downloads
        assert requests.get(gw.url + "/download_log/", params={"file": name}, timeout=10).status_code == 200


def test_tail_gives_the_last_bytes_inline(gw):
    r = requests.get(gw.url + "/download_log/", params={"file": "syslog", "tail": "9"}, timeout=10)
    assert r.status_code == 200
    assert r.text == "line two\n"
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["X-Log-Size"] == "18"
    assert "Content-Disposition" not in r.headers
    whole = requests.get(gw.url + "/download_log/", params={"file": "syslog", "tail": "1000"}, timeout=10)
    assert whole.text == "line one\nline two\n"


def test_bad_tail_and_bad_names_are_json_errors(gw):
    for tail in ("0", "-1", "abc", "", "99999999999", "16777217", "1e3"):
        r = requests.get(gw.url + "/download_log/", params={"file": "syslog", "tail": tail}, timeout=10)
        assert r.status_code == 400, tail
        assert "'tail' must be a number of bytes" in r.json()["error"]
    for name in ("../outside-secret.txt", "escape", "nope"):
        r = requests.get(gw.url + "/download_log/", params={"file": name, "tail": "10"}, timeout=10)
        assert r.status_code == 404 and r.json()["error"].startswith("404 Not Found"), name


def test_info(gw):
    info = requests.get(gw.url + "/info/", timeout=10).json()
    assert info["unit_id"] == gw.unit_id
    assert info["dispatch"] == gw.dispatch
    assert info["auth"] == "open"
    assert info["uptime_seconds"] >= 0 and info["saltgw_version"]
    assert requests.post(gw.url + "/info/", timeout=10).status_code == 405


def test_page_routes_refuse_other_methods_in_json(gw):
    r = requests.post(gw.url + "/ui/", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS" and "error" in r.json()
    r = requests.options(gw.url + "/ui/", timeout=10)
    assert r.status_code == 204
    r = requests.get(gw.url + "/ui/nothing.js", timeout=10)
    assert r.status_code == 404 and "no page asset" in r.json()["error"]
    # POST / stays the API's 405, even from a browser.
    r = requests.post(gw.url + "/", headers={"Accept": BROWSER_ACCEPT}, timeout=10)
    assert r.status_code == 405 and "error" in r.json()


def test_auth_required_guards_the_new_routes_not_the_page(gateway_factory):
    g = gateway_factory("--auth", "required")
    for path in ("/logs/", "/info/", "/download_log/?file=syslog&tail=5"):
        r = requests.get(g.url + path, timeout=10)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer", path
    assert requests.get(g.url + "/ui/", timeout=10).status_code == 200
    page = requests.get(g.url + "/", headers={"Accept": BROWSER_ACCEPT}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    headers = {"Authorization": f"Bearer {g.token}"}
    assert requests.get(g.url + "/info/", headers=headers, timeout=10).json()["auth"] == "required"


def test_root_negotiation_end_to_end(gw):
    """What Pistache makes of the Accept header still decides as wants_html()
    does: q-values first, then order."""
    cases = {
        "application/json;q=0.5, text/html": "text/html",
        "text/html;q=0.5, application/json": "application/json",
        "text/html;q=0.8, application/json;q=0.8": "text/html",
        "application/json;q=0.8, text/html;q=0.8": "application/json",
        "text/html, application/json;q=0.9": "text/html",
        BROWSER_ACCEPT: "text/html",
        "*/*": "application/json",
        "application/x-ndjson": "application/json",
    }
    for accept, expected in cases.items():
        r = requests.get(gw.url + "/", headers={"Accept": accept}, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"].split(";")[0] == expected, accept
        if expected == "application/json":
            assert r.json() == {"unit_id": gw.unit_id}
