"""The configuration page in a real headless Chromium against the real
sandbox minion: serving and caching, each screen's flow end to end, phone
and laptop layouts, keyboard use, sign-in, and recovery when saltgw goes
away under an open page. Screenshots land in docs/ui/."""
import base64
import gzip
import hashlib
import hmac
import json
import os
import re
import time

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
VIEWS = ["device", "wifi", "apn", "console", "events", "logs"]


def wait(d, cond, t=30, msg=""):
    # Lists are redrawn as the page polls: an element found a moment ago may be gone.
    return WebDriverWait(d, t, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)).until(cond, msg)


def q(d, css):
    return d.find_element(By.CSS_SELECTOR, css)


def qs(d, css):
    return d.find_elements(By.CSS_SELECTOR, css)


def phone(d):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True})


def laptop(d):
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def open_page(d, gw, view="device"):
    d.get(f"{gw.url}/#{view}")
    wait(d, lambda d: not q(d, f"#view-{view}").get_attribute("hidden"), msg=f"view {view} never showed")


def goto(d, view):
    q(d, f'#tabs button[data-view="{view}"]').click()
    wait(d, lambda d: not q(d, f"#view-{view}").get_attribute("hidden"))


def run_console(d, command, background=False):
    goto(d, "console")
    box = q(d, "#console-async")
    if box.is_selected() != background:
        box.click()
    cmd = q(d, "#console-cmd")
    cmd.clear()
    cmd.send_keys(command)
    q(d, "#console-run").click()


def summary(d, scope, newest="first"):
    """The newest PASS/FAIL summary shown in `scope`, waiting for it (the
    console shows the newest job first, WiFi and APN their steps in order)."""
    el = wait(d, lambda d: (qs(d, f"{scope} .job:{newest}-child [data-summary]") or [None])[-1],
              msg=f"no PASS/FAIL in {scope}: {q(d, scope).text[:500]}")
    return el.get_attribute("data-summary"), el.text


def wifi_add(d, ssid, psk, prio):
    for field, value in (("ssid", ssid), ("psk", psk), ("priority", prio)):
        q(d, f"#wifi-{field}").clear()
        q(d, f"#wifi-{field}").send_keys(value)
    q(d, "#wifi-submit").click()


def sandbox_file(name):
    return open(os.path.join(os.environ["SALTGW_SANDBOX_DIR"], "out", name)).read()


@pytest.fixture(autouse=True)
def laptop_after(request):
    """Each test leaves the browser at laptop width, whatever it used."""
    yield
    if "browser" in request.fixturenames:
        laptop(request.getfixturevalue("browser"))


# ---- serving -------------------------------------------------------------------

def test_page_served_to_browsers_json_to_everyone_else(gw):
    page = requests.get(gw.url + "/", headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "gzip"}, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Encoding"] == "gzip"
    assert "<title>AutoPi device" in page.text  # requests undoes the gzip
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    for accept in (None, "*/*", "application/json", "application/json, text/html", "text/html;q=0.4, */*"):
        headers = {"Accept": accept} if accept else {}
        r = requests.get(gw.url + "/", headers=headers, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json", accept
        assert r.json() == {"unit_id": gw.unit_id}
    # curl's own Accept
    r = requests.get(gw.url + "/", headers={"Accept": "*/*", "User-Agent": "curl/8.0"}, timeout=10)
    assert r.json() == {"unit_id": gw.unit_id}


def test_etag_304_gzip_and_immutable_assets(gw):
    raw = requests.get(gw.url + "/ui/", headers={"Accept-Encoding": "identity"}, timeout=10)
    zipped = requests.get(gw.url + "/ui/", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    body = zipped.raw.read()  # the bytes on the wire
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in raw.headers
    assert gzip.decompress(body) == raw.content
    etag = raw.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and raw.headers["Cache-Control"] == "no-cache"
    again = requests.get(gw.url + "/ui/", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assets = re.findall(r'/ui/[a-z]+\.[0-9a-f]{12}\.(?:js|css)', raw.text)
    assert len(assets) >= 2
    total = len(body)
    for a in assets:
        r = requests.get(gw.url + a, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
        wire = r.raw.read()
        total += len(wire)
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert hashlib.sha256(gzip.decompress(wire)).hexdigest()[:12] in a
        assert requests.get(gw.url + a, headers={"If-None-Match": r.headers["ETag"]}, timeout=10).status_code == 304
    assert total < 100 * 1024, total
    assert requests.get(gw.url + "/ui/app.000000000000.js", timeout=10).status_code == 404


# ---- the screens ----------------------------------------------------------------

def test_device_info_shown(browser, gw):
    d = browser
    laptop(d)
    open_page(d, gw, "device")
    wait(d, lambda d: re.fullmatch(r"\d+\.\d+.*", q(d, "#dev-salt").text), msg="no Salt version")
    assert q(d, "#dev-unit").text == gw.unit_id
    assert q(d, "#dev-dispatch").text == "engine"
    assert q(d, "#dev-version").text == requests.get(gw.url + "/info/", timeout=10).json()["saltgw_version"]
    wait(d, lambda d: q(d, "#dev-uptime").text.endswith(" s"))
    assert q(d, "#conn").text == "connected"


def test_console_streams_test_ping_and_keeps_history(browser, gw):
    d = browser
    open_page(d, gw, "console")
    run_console(d, "test.ping")
    verdict, _ = summary(d, "#console-out")
    assert verdict == "PASS"
    assert q(d, "#console-out .job:first-child pre").text == "true"
    run_console(d, "test.echo 'hello world'")
    wait(d, lambda d: "hello world" in q(d, "#console-out .job:first-child").text)
    # History, kept in the browser: ↑ recalls the newest first, across reloads.
    d.refresh()
    wait(d, lambda d: not q(d, "#view-console").get_attribute("hidden"))
    cmd = q(d, "#console-cmd")
    cmd.send_keys(Keys.ARROW_UP)
    assert cmd.get_attribute("value") == "test.echo 'hello world'"
    cmd.send_keys(Keys.ARROW_UP)
    assert cmd.get_attribute("value") == "test.ping"


def test_state_run_shows_progress_per_state_then_pass_or_fail(browser, gw):
    d = browser
    open_page(d, gw, "console")
    # Record what the page shows while the run goes on.
    d.execute_script("""
      window.seen = [];
      new MutationObserver(() => {
        const job = document.querySelector('#console-out .job');
        if (job) window.seen.push([job.querySelectorAll('.states li').length, !!job.querySelector('[data-summary]')]);
      }).observe(document.getElementById('console-out'), {subtree: true, childList: true});""")
    run_console(d, "state.sls gwmulti")
    verdict, text = summary(d, "#console-out")
    assert verdict == "PASS" and text == "PASS: all 8 states succeeded"
    seen = d.execute_script("return window.seen")
    partial = {n for n, done in seen if not done and 0 < n < 8}
    assert len(partial) >= 3, seen  # states appeared one by one, before the end
    assert len(qs(d, "#console-out .job:first-child .states .badge.pass")) == 8
    run_console(d, "state.sls gwfail")
    verdict, text = summary(d, "#console-out")
    assert verdict == "FAIL" and re.fullmatch(r"FAIL: \d+ of \d+ states failed", text), text
    assert qs(d, "#console-out .job:first-child .badge.fail")


def test_async_job_listed_and_cancelled(browser, gw):
    d = browser
    phone(d)  # this flow on a phone's width
    open_page(d, gw, "console")
    run_console(d, "test.sleep 60", background=True)
    jid = wait(d, lambda d: d.execute_script(
        "const li = document.querySelector('#jobs-list li[data-jid]'); return li && li.dataset.jid"))
    row = q(d, f'#jobs-list li[data-jid="{jid}"]')
    assert "running" in row.text
    # With the keyboard: the focus stays on Cancel while the list is polled.
    row.find_element(By.CSS_SELECTOR, "button").send_keys("")  # focuses it
    time.sleep(2)  # more than one poll
    assert d.switch_to.active_element.get_attribute("aria-label") == f"Cancel job {jid}"
    ActionChains(d).send_keys(Keys.ENTER).perform()
    wait(d, lambda d: "cancelled" in q(d, f'#jobs-list li[data-jid="{jid}"]').text, t=40)
    job = requests.get(f"{gw.url}/dongle/{gw.unit_id}/jobs/{jid}", timeout=10).json()
    assert job["status"] != "running" and job.get("kind") == "cancelled", job
    d.find_element(By.CSS_SELECTOR, "#console-async").click()  # back to streamed runs


def test_wifi_add_edit_remove_priority_then_apply(browser, gw):
    """On a phone's width: the screen a person uses next to the car."""
    d = browser
    phone(d)
    gw.execute("grains.set", ["wpa_supplicant:networks", [{"ssid": "Home", "psk": "homepass1", "priority": 1}]],
               {"destructive": True, "force": True})
    open_page(d, gw, "wifi")
    wait(d, lambda d: qs(d, '#wifi-list li[data-ssid="Home"]'))

    def add(ssid, psk, prio):
        wifi_add(d, ssid, psk, prio)

    add("Cafe", "short", "2")  # refused, with the reason next to the field
    assert "8 to 63" in q(d, "#wifi-psk-err").text
    assert q(d, "#wifi-psk").get_attribute("aria-invalid") == "true"
    assert not qs(d, '#wifi-list li[data-ssid="Cafe"]')
    add("Cafe", "cafepass1", "2")
    add("Old", "oldpass12", "3")
    wait(d, lambda d: len(qs(d, "#wifi-list li[data-ssid]")) == 3)
    assert q(d, "#wifi-dirty").text  # says the changes are not saved yet
    # Edit Cafe's password; lower Old's priority; remove Home.
    q(d, 'button[aria-label="Edit Cafe"]').click()
    assert q(d, "#wifi-ssid").get_attribute("value") == "Cafe"
    q(d, "#wifi-psk").clear()
    q(d, "#wifi-psk").send_keys("newcafepass")
    q(d, "#wifi-submit").click()
    q(d, 'button[aria-label="Lower priority of Old"]').click()
    q(d, 'button[aria-label="Lower priority of Old"]').click()
    q(d, 'button[aria-label="Remove Home"]').click()
    order = [li.get_attribute("data-ssid") for li in qs(d, "#wifi-list li[data-ssid]")]
    assert order == ["Cafe", "Old"]  # priority 2 before 1
    q(d, "#wifi-apply").click()
    verdict, text = summary(d, "#wifi-run", "last")
    assert verdict == "PASS" and text == "PASS: the state succeeded", text
    assert "Saved 2 network(s)." in q(d, "#wifi-run").text
    stored = gw.execute("grains.get", ["wpa_supplicant:networks"]).json()
    assert stored == [{"ssid": "Cafe", "psk": "newcafepass", "priority": 2}, {"ssid": "Old", "psk": "oldpass12", "priority": 1}]
    conf = sandbox_file("wpa_supplicant.conf")
    assert 'ssid="Cafe"' in conf and 'psk="newcafepass"' in conf and "Home" not in conf
    laptop(d)


def test_wifi_apply_while_the_device_is_unreachable_then_again(browser, gw, restart_gw, shots):
    """The hotspot is gone when the person presses apply: the page says so,
    keeps the unsaved networks, and applies them once the device is back."""
    d = browser
    phone(d)
    open_page(d, gw, "wifi")
    wait(d, lambda d: qs(d, "#wifi-list li"))
    wifi_add(d, "Roadside", "roadside1", "5")
    wait(d, lambda d: qs(d, '#wifi-list li[data-ssid="Roadside"]'))
    gw.proc.kill()
    gw.proc.wait(10)
    q(d, "#wifi-apply").click()
    verdict, _ = summary(d, "#wifi-run", "last")
    assert verdict == "FAIL"
    assert "connection was lost" in q(d, "#wifi-run").text
    wait(d, lambda d: "connection lost" in q(d, "#conn").text)
    d.execute_script("document.getElementById('wifi-run').scrollIntoView({block: 'center'})")
    d.save_screenshot(os.path.join(shots, "connection-lost-360.png"))
    restart_gw(gw)
    wait(d, lambda d: "connection restored" in q(d, "#conn").text, t=40)
    assert qs(d, '#wifi-list li[data-ssid="Roadside"]')  # nothing typed was lost
    q(d, "#wifi-apply").click()
    verdict, _ = summary(d, "#wifi-run", "last")
    assert verdict == "PASS"
    assert any(n["ssid"] == "Roadside" for n in gw.execute("grains.get", ["wpa_supplicant:networks"]).json())
    laptop(d)


def test_apn_validation_save_and_apply(browser, gw):
    d = browser
    phone(d)  # this flow on a phone's width
    open_page(d, gw, "apn")
    before = requests.get(f"{gw.url}/dongle/{gw.unit_id}/settings/apn/", timeout=30).json()
    for field, value in (("apn", "bad apn!"), ("user", "u1"), ("pass", "p1"), ("pin", "12"), ("mtu", "99999")):
        q(d, f"#apn-{field}").clear()
        q(d, f"#apn-{field}").send_keys(value)
    q(d, "#apn-save").click()
    assert "letters, digits" in q(d, "#apn-apn-err").text
    assert "4 to 8 digits" in q(d, "#apn-pin-err").text
    assert "576 to 1500" in q(d, "#apn-mtu-err").text
    assert d.switch_to.active_element == q(d, "#apn-apn")  # focus goes to the first mistake
    assert requests.get(f"{gw.url}/dongle/{gw.unit_id}/settings/apn/", timeout=30).json() == before
    for field, value in (("apn", "internet.test"), ("pin", "1234"), ("mtu", "1400")):
        q(d, f"#apn-{field}").clear()
        q(d, f"#apn-{field}").send_keys(value)
    q(d, "#apn-save").click()
    wait(d, lambda d: "Saved: APN internet.test" in q(d, "#apn-msg").text)
    assert not q(d, "#apn-apn-err").text
    stored = requests.get(f"{gw.url}/dongle/{gw.unit_id}/settings/apn/", timeout=30).json()
    assert stored == {"apn": "internet.test", "user": "u1", "pass": "p1", "pin": "1234", "mtu": 1400}
    q(d, "#apn-apply").click()
    verdict, _ = summary(d, "#apn-run", "last")
    assert verdict == "PASS"
    assert "APN=internet.test" in sandbox_file("qmi-network.conf")


def test_events_seen_filtered_and_paused(browser, gw):
    d = browser
    phone(d)  # this flow on a phone's width
    open_page(d, gw, "events")
    tag_box = q(d, "#events-tag")
    tag_box.send_keys("saltgw/uitest/")
    q(d, "#events-apply").click()
    wait(d, lambda d: "saltgw/uitest/" in q(d, "#events-status").text)
    gw.execute("event.fire", [{"n": 1}, "saltgw/uitest/one"])
    gw.execute("event.fire", [{"n": 2}, "saltgw/other/two"])
    wait(d, lambda d: "saltgw/uitest/one" in q(d, "#events-list").text)
    time.sleep(0.5)
    assert "saltgw/other/two" not in q(d, "#events-list").text  # filtered out
    q(d, "#events-pause").click()
    assert q(d, "#events-pause").get_attribute("aria-pressed") == "true"
    gw.execute("event.fire", [{"n": 3}, "saltgw/uitest/three"])
    wait(d, lambda d: "1 event(s) held" in q(d, "#events-status").text)
    assert "saltgw/uitest/three" not in q(d, "#events-list").text
    q(d, "#events-pause").click()
    wait(d, lambda d: "saltgw/uitest/three" in q(d, "#events-list").text)


def test_logs_list_tail_download(browser, gw):
    d = browser
    open_page(d, gw, "logs")
    wait(d, lambda d: qs(d, '#logs-list li[data-file="salt/minion"]'))
    names = [li.get_attribute("data-file") for li in qs(d, "#logs-list li[data-file]")]
    assert names == ["big.log", "salt/minion", "syslog"]  # the symlink leading out is not listed
    assert "18 B" in q(d, '#logs-list li[data-file="syslog"]').text
    q(d, 'button[aria-label="Tail big.log"]').click()
    wait(d, lambda d: "line 019999" in q(d, "#logs-tail").text)
    assert "line 000000" not in q(d, "#logs-tail").text and "last 64.0 KiB" in q(d, "#logs-tail-h").text
    q(d, 'button[aria-label="Download syslog"]').click()
    target = d.downloads / "syslog"
    wait(d, lambda d: target.exists() and target.read_text() == "line one\nline two\n", msg="no download")


# ---- layout, keyboard, screenshots -------------------------------------------------

@pytest.mark.parametrize("width", [360, 1280])
def test_every_screen_fits_and_is_photographed(browser, gw, shots, width):
    d = browser
    phone(d) if width == 360 else laptop(d)
    open_page(d, gw, "device")
    wait(d, lambda d: re.fullmatch(r"\d+\.\d+.*", q(d, "#dev-salt").text))
    for view in VIEWS:
        goto(d, view)
        time.sleep(0.4)
        inner, scroll = d.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner, f"{view} at {width}px scrolls sideways ({scroll} > {inner})"
        # The whole page, not just the window, for the docs.
        h = d.execute_script("return document.documentElement.scrollHeight")
        d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": min(h, 2400),
                                                                 "deviceScaleFactor": 1, "mobile": width == 360})
        d.save_screenshot(os.path.join(shots, f"{view}-{width}.png"))
        phone(d) if width == 360 else d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                                        {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    laptop(d)


def axe_findings(d, axe_source):
    """Serious and critical axe-core findings on the page as it is now."""
    if not d.execute_script("return !!window.axe"):
        d.execute_script(axe_source)
    result = d.execute_async_script("""
      const done = arguments[arguments.length - 1];
      axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id + ': ' + v.help + ' @ ' + v.nodes.map((n) => n.target.join(' ')).join(', '))))
        .catch((e) => done(['axe failed: ' + e]));""")
    return result


@pytest.mark.parametrize("width", [360, 1280])
def test_no_serious_accessibility_findings(browser, gw, axe_source, width):
    d = browser
    d.set_script_timeout(30)
    phone(d) if width == 360 else laptop(d)
    open_page(d, gw, "device")
    wait(d, lambda d: re.fullmatch(r"\d+\.\d+.*", q(d, "#dev-salt").text))
    findings = {}
    for view in VIEWS:
        goto(d, view)
        time.sleep(0.3)
        if view == "console":  # with a result on screen
            run_console(d, "state.sls gwfail")
            summary(d, "#console-out")
        found = axe_findings(d, axe_source)
        if found:
            findings[view] = found
    # The check itself can fail: an unlabelled field is found.
    d.execute_script("document.getElementById('main').append(Object.assign(document.createElement('input'), {id: 'axe-probe'}))")
    probe = axe_findings(d, axe_source)
    d.execute_script("document.getElementById('axe-probe').remove()")
    laptop(d)
    assert any(f.startswith("label:") and "#axe-probe" in f for f in probe), probe
    assert findings == {}


def test_every_control_has_a_label(browser, gw):
    d = browser
    open_page(d, gw, "logs")
    wait(d, lambda d: qs(d, "#logs-list li[data-file]"))
    missing = d.execute_script("""
      const out = [];
      document.querySelectorAll('input, button, select, textarea').forEach((e) => {
        const named = (e.labels && e.labels.length) || e.getAttribute('aria-label') ||
          (e.tagName === 'BUTTON' && e.textContent.trim());
        if (!named) out.push(e.outerHTML.slice(0, 80));
      });
      return out;""")
    assert missing == []


def test_keyboard_alone(browser, gw):
    d = browser
    d.get(gw.url + "/ui/#device")  # a fresh load: the focus starts at the top
    wait(d, lambda d: not q(d, "#view-device").get_attribute("hidden"))
    keys = lambda *k: ActionChains(d).send_keys(*k).perform()  # noqa: E731 (to the page, as a person types)
    active = lambda: d.switch_to.active_element  # noqa: E731
    # Tab from the top: the skip link, then the section buttons, in order.
    focused = []
    for _ in range(7):
        keys(Keys.TAB)
        focused.append(active().text)
    assert focused == ["Skip to content", "Device", "WiFi", "APN", "Console", "Events", "Logs"], focused
    outline = d.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    ActionChains(d).key_down(Keys.SHIFT).send_keys(Keys.TAB, Keys.TAB).key_up(Keys.SHIFT).perform()
    assert active().text == "Console"
    keys(Keys.ENTER)
    wait(d, lambda d: not q(d, "#view-console").get_attribute("hidden"))
    # Tab on to the command box, type, Enter runs it.
    for _ in range(10):
        if active().get_attribute("id") == "console-cmd":
            break
        keys(Keys.TAB)
    assert active().get_attribute("id") == "console-cmd"
    keys("test.echo keyboard", Keys.ENTER)
    wait(d, lambda d: "keyboard" in q(d, "#console-out .job:first-child").text)
    # Space toggles the background checkbox.
    keys(Keys.TAB)
    assert active().get_attribute("id") == "console-async"
    keys(Keys.SPACE)
    assert q(d, "#console-async").is_selected()
    keys(Keys.SPACE)
    assert not q(d, "#console-async").is_selected()
    # The skip link jumps to the content, and the section stays.
    d.get(gw.url + "/ui/#apn")
    wait(d, lambda d: not q(d, "#view-apn").get_attribute("hidden"))
    keys(Keys.TAB, Keys.ENTER)
    assert active().get_attribute("id") == "main"
    assert not q(d, "#view-apn").get_attribute("hidden")


# ---- connection loss, sign-in ------------------------------------------------------------

def test_recovers_when_saltgw_restarts_mid_run(browser, gw, restart_gw):
    d = browser
    open_page(d, gw, "console")
    run_console(d, "test.sleep 4")
    wait(d, lambda d: "accepted" in q(d, "#console-out .job:first-child").text)
    restart_gw(gw, kill=True)  # the hotspot drop: the connection goes without a goodbye
    wait(d, lambda d: "connection restored" in q(d, "#conn").text, t=40,
         msg="the page never said the connection came back: " + q(d, "#conn").text)
    job = q(d, "#console-out .job:first-child")
    wait(d, lambda d: "result is lost" in job.text or "PASS" in job.text, t=40)
    assert "saltgw no longer knows job" in job.text  # said in words, not a silent failure
    lost_seen = d.execute_script("return document.getElementById('conn').className")
    assert "lost" not in lost_seen
    run_console(d, "test.ping")  # and the page goes on working without a reload
    verdict, _ = summary(d, "#console-out")
    assert verdict == "PASS"


def test_stream_cut_by_the_network_is_followed_by_jid(browser, gw):
    """The phone loses the hotspot while a job runs and saltgw does not: the
    page follows the job by its jid once the network is back, and shows its
    result."""
    d = browser
    open_page(d, gw, "console")
    run_console(d, "test.sleep 9")
    wait(d, lambda d: "accepted" in q(d, "#console-out .job:first-child").text)
    # Offline for the browser: the open stream just goes quiet, as when a
    # hotspot drops; the page's probe of the device notices within seconds.
    d.execute_cdp_cmd("Network.enable", {})
    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    d.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        wait(d, lambda d: "connection lost" in q(d, "#conn").text, t=20)
        wait(d, lambda d: "following it by its id" in q(d, "#console-out .job:first-child").text, t=10)
    finally:
        d.execute_cdp_cmd("Network.emulateNetworkConditions", dict(offline, offline=False))
    wait(d, lambda d: "connection restored" in q(d, "#conn").text, t=40)
    verdict, _ = summary(d, "#console-out")
    job = q(d, "#console-out .job:first-child").text
    assert verdict == "PASS" and "true" in job, job  # the result, fetched by jid


def test_events_come_back_after_a_restart(browser, gw, restart_gw):
    d = browser
    open_page(d, gw, "events")
    q(d, "#events-tag").send_keys("saltgw/again/")
    q(d, "#events-apply").click()
    wait(d, lambda d: "saltgw/again/" in q(d, "#events-status").text)
    d.execute_script("""window.statuses = [];
      new MutationObserver(() => window.statuses.push(document.getElementById('events-status').textContent))
        .observe(document.getElementById('events-status'), {childList: true, characterData: true, subtree: true});""")
    restart_gw(gw, kill=False)
    # The stream reconnects by itself: fire until an event gets through.
    deadline = time.time() + 30
    n = 0
    while time.time() < deadline and "saltgw/again/after" not in q(d, "#events-list").text:
        n += 1
        gw.execute("event.fire", [{}, f"saltgw/again/after-{n}"])
        time.sleep(0.5)
    assert "saltgw/again/after" in q(d, "#events-list").text
    statuses = d.execute_script("return window.statuses")
    assert any("reconnecting" in s for s in statuses), statuses  # and said what happened


def _expired_token(secret_path, unit_id):
    def b64(raw):
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": "local user", "unit_id": unit_id, "iat": 1, "exp": 2}).encode())
    sig = hmac.new(open(secret_path, "rb").read(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return f"{head}.{claims}.{b64(sig)}"


def test_sign_in_when_auth_is_required_and_expiry_said(browser, tmp_path, shots, gateway_class, axe_source):
    d = browser
    g = gateway_class(tmp_path, ["--dispatch", "engine"], config_text="auth: required\n")
    try:
        laptop(d)
        d.get(g.url + "/")
        wait(d, lambda d: not q(d, "#view-login").get_attribute("hidden"))
        assert "asks you to sign in" in q(d, "#login-msg").text
        d.save_screenshot(os.path.join(shots, "login-1280.png"))
        assert axe_findings(d, axe_source) == []
        phone(d)
        d.save_screenshot(os.path.join(shots, "login-360.png"))
        assert axe_findings(d, axe_source) == []
        laptop(d)
        q(d, "#login-btn").click()
        wait(d, lambda d: q(d, "#dev-unit").text == g.unit_id)
        assert d.execute_script("return sessionStorage.getItem('saltgw.token')").count(".") == 2
        wait(d, lambda d: re.fullmatch(r"\d+\.\d+.*", q(d, "#dev-salt").text))
        # A token that has expired: the page says so and asks again.
        d.execute_script("sessionStorage.setItem('saltgw.token', arguments[0])", _expired_token(tmp_path / "secret", g.unit_id))
        d.refresh()
        wait(d, lambda d: not q(d, "#view-login").get_attribute("hidden"))
        assert "expired" in q(d, "#login-msg").text
        q(d, "#login-btn").click()
        wait(d, lambda d: not q(d, "#view-device").get_attribute("hidden"))
        goto(d, "logs")
        wait(d, lambda d: qs(d, '#logs-list li[data-file="syslog"]'))
        # Live events carry the token too (the page reads SSE with fetch).
        goto(d, "events")
        wait(d, lambda d: "receiving all events" in q(d, "#events-status").text)
        g.execute("event.fire", [{}, "saltgw/authed/event"])
        wait(d, lambda d: "saltgw/authed/event" in q(d, "#events-list").text)
    finally:
        g.stop()


def test_load_and_call_timings_recorded(browser, gw):
    """The page's first load (empty cache) and a reload (ETag / immutable
    assets), and each API call the page makes, timed in the browser. Figures,
    not pass/fail: written to $SALTGW_UI_TIMINGS (docs/benchmarks.md quotes a run)."""
    d = browser
    laptop(d)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.clearBrowserCache", {})
    nav = "const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd, n.transferSize];"
    figures = {}
    for name in ("first load (empty cache)", "reload (cached)"):
        d.get(gw.url + "/ui/#device") if name.startswith("first") else d.refresh()
        wait(d, lambda d: re.fullmatch(r"\d+\.\d+.*", q(d, "#dev-salt").text))
        wait(d, lambda d: d.execute_script(nav)[1] > 0)
        dcl, load, transfer = d.execute_script(nav)
        figures[name] = {"dom_content_loaded_ms": round(dcl, 1), "load_ms": round(load, 1), "html_transfer_bytes": transfer}
    run_console(d, "test.ping")
    summary(d, "#console-out")
    goto(d, "logs")
    wait(d, lambda d: qs(d, "#logs-list li[data-file]"))
    calls = d.execute_script("return GW.timings")
    assert calls and all(c["ms"] >= 0 for c in calls)
    figures["calls"] = [{"what": c["what"], "ms": round(c["ms"], 1), "status": c["status"]} for c in calls]
    assert figures["first load (empty cache)"]["html_transfer_bytes"] > 0
    out = os.environ.get("SALTGW_UI_TIMINGS")
    if out:
        with open(out, "w") as f:
            json.dump(figures, f, indent=1)
    print(json.dumps(figures, indent=1))
