"""scripts/embed_ui.py: the same sources always give the same bytes (gzip
with mtime 0), the page points at the versioned names, and a page that does
not refer to an asset stops the build."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
SCRIPT = os.path.join(ROOT, "scripts", "embed_ui.py")
UI = os.path.join(ROOT, "ui")
SOURCES = [os.path.join(UI, f) for f in ("index.html", "api.js", "app.js", "net.js", "tools.js", "app.css")]


def embed(out, sources):
    return subprocess.run([sys.executable, SCRIPT, str(out), *sources], capture_output=True, text=True, timeout=60)


def test_deterministic_and_versioned(tmp_path):
    copies = []
    for src in SOURCES:  # copies, so that touching them does not make the build run again
        dst = tmp_path / os.path.basename(src)
        shutil.copyfile(src, dst)
        copies.append(str(dst))
    a, b = tmp_path / "a.cc", tmp_path / "b.cc"
    assert embed(a, copies).returncode == 0
    os.utime(copies[1], (1, 1))  # another mtime must not change a byte
    assert embed(b, copies).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    for name in ("api", "app", "net", "tools"):
        assert f'"/ui/{name}.' in text
    assert '"/ui/", "text/html; charset=utf-8"' in text


def test_unreferenced_asset_stops_the_build(tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<!doctype html><script src=\"/ui/app.js\"></script>")
    extra = tmp_path / "other.js"
    extra.write_text("1;")
    r = embed(tmp_path / "out.cc", [str(page), os.path.join(UI, "app.js"), str(extra)])
    assert r.returncode != 0 and "does not refer to /ui/other.js" in r.stderr
