"""An AutoPi unit's minion id: 32 hex digits (the md5 of its CPU serial), no
dashes. The Python Local API turns it into a UUID object, so clients see the
dashed form and may send either; saltgw must do the same.

The sandbox minion must be named that way: scripts/test.sh's default id is
uuid4().hex, scripts/test-arm.sh starts it with --cpu-serial (then
SALTGW_SANDBOX_CPU_SERIAL is set and the id must be its md5). Any other id
fails these tests; none is skipped.
"""
import base64
import hashlib
import json
import os
import re
import uuid

import requests


def _dashed(hex32):
    return f"{hex32[0:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"


def test_sandbox_minion_is_named_like_an_autopi_unit(minion_id):
    assert re.fullmatch(r"[0-9a-f]{32}", minion_id), f"minion id {minion_id!r} is not 32 hex digits"
    serial = os.environ.get("SALTGW_SANDBOX_CPU_SERIAL")
    if serial is not None:
        assert minion_id == hashlib.md5(serial.encode()).hexdigest()


def test_root_devices_and_token_show_the_dashed_form(gw, minion_id):
    dashed = _dashed(minion_id)
    assert dashed == str(uuid.UUID(minion_id))  # what the Python API shows
    assert requests.get(gw.url + "/", timeout=10).json() == {"unit_id": dashed}
    assert requests.get(gw.url + "/dongle/devices/", timeout=10).json() == [
        {"unit_id": dashed, "display": "Local device"}]
    login = requests.post(gw.url + "/auth/login/", timeout=10).json()
    assert login["user"]["devices"] == [{"unit_id": dashed, "display": "Local device"}]
    claims = login["token"].split(".")[1]
    claims += "=" * (-len(claims) % 4)
    assert json.loads(base64.urlsafe_b64decode(claims))["unit_id"] == dashed


def test_device_routes_accept_both_forms(gw, minion_id):
    for unit in (_dashed(minion_id), minion_id, minion_id.upper()):
        r = gw.execute("test.ping", unit=unit)
        assert (r.status_code, r.json()) == (200, True), (unit, r.text)
        r = requests.post(f"{gw.url}/dongle/{unit}/execute_raw/", json={"command": "test.echo hi"}, timeout=60)
        assert (r.status_code, r.json()) == (200, "hi"), (unit, r.text)
        r = requests.get(f"{gw.url}/dongle/{unit}/settings/apn/", timeout=60)
        assert r.status_code == 200, (unit, r.text)


def test_another_units_id_in_either_form_is_refused(gw, minion_id):
    other = hashlib.md5(b"some other unit's serial").hexdigest()
    assert other != minion_id
    for unit in (other, _dashed(other)):
        r = gw.execute("test.ping", unit=unit)
        assert r.status_code == 401, (unit, r.text)
        assert r.json() == {"error": "unit_id does not match the id configured on this device", "kind": "unauthorized"}
