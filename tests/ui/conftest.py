"""Fixtures for the configuration page's browser tests: the real saltgw and
sandbox minion of tests/api (its Gateway), and one headless Chromium per
module, Debian's chromium driven through Debian's chromedriver (Selenium).

Nothing is skipped: without the browser or Selenium the fixtures fail loudly.
"""
import importlib.util
import os
import shutil
import subprocess
import time

import pytest
import requests

_spec = importlib.util.spec_from_file_location(
    "saltgw_api_fixtures", os.path.join(os.path.dirname(__file__), "..", "api", "conftest.py"))
api_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_fixtures)
Gateway = api_fixtures.Gateway
minion_id = api_fixtures.minion_id  # noqa: F401 (a fixture, re-exported)

CHROMIUM = os.environ.get("SALTGW_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SALTGW_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "ui")


def restart(g, kill=True):
    """Stops saltgw (SIGKILL by default: as abrupt as a dropped hotspot) and
    starts it again on the same port with the same arguments."""
    if kill:
        g.proc.kill()
    else:
        g.proc.terminate()
    g.proc.wait(15)
    g.proc = subprocess.Popen(g.proc.args, stdout=g.stderr, stderr=g.stderr)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            requests.get(g.url + "/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    g.token = None
    g.wait_bus()


@pytest.fixture
def restart_gw():
    return restart


@pytest.fixture
def gateway_class():
    return Gateway


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    """saltgw with the engine dispatch (it reports state progress)."""
    g = Gateway(tmp_path_factory.mktemp("uigw"), ["--dispatch", "engine"])
    # A log bigger than the page's tail, to see that only the end is shown.
    (g.log_root / "big.log").write_text("".join(f"line {i:06d}\n" for i in range(20000)))
    yield g
    g.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: apt-get install chromium chromium-driver (scripts/deps.sh)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -r scripts/ui-requirements.txt (scripts/deps.sh does)")
    downloads = tmp_path_factory.mktemp("downloads")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--disable-extensions", "--no-first-run", "--lang=en-US"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots():
    os.makedirs(SHOTS, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="module")
def axe_source():
    """axe-core's script (scripts/deps.sh installs it from the npm registry)."""
    here = os.path.join(os.path.dirname(__file__), "..", "..")
    for path in (os.environ.get("SALTGW_AXE", ""),
                 "/var/cache/saltgw/venvs/ui-node/node_modules/axe-core/axe.min.js",
                 os.path.join(here, ".venv", "ui-node", "node_modules", "axe-core", "axe.min.js")):
        if path and os.path.isfile(path):
            return open(path, encoding="utf-8").read()
    pytest.fail("axe-core is missing: run scripts/deps.sh (it installs axe-core from the npm registry)")
