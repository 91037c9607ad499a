"""The shape the code promises in README ("What is where") and docs/architecture.md.

These read the sources, not the running program: functions of at most 80
lines (scripts/long-functions.py), files of at most 800, and the layering
rules that keep Salt's vocabulary in salt_ipc/ and HTTP out of it.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PRODUCT = ["gateway", "rest", "salt_ipc", "salt_args"]


def sources(*folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".cc", ".h"):
                yield path


def test_no_product_function_is_longer_than_80_lines():
    r = subprocess.run([sys.executable, str(ROOT / "scripts/long-functions.py"), "--limit", "80"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_product_file_is_longer_than_800_lines():
    long = {str(p.relative_to(ROOT)): n for p in sources(*PRODUCT)
            if (n := len(p.read_text().splitlines())) > 800}
    assert long == {}


def test_rest_speaks_of_jobs_not_of_salt():
    # Schedule names, state-run keys, Salt's functions for stopping jobs and
    # grains, and which dispatch carries a job live in salt_ipc/ only (the
    # code, that is: a comment may name them).
    salt_words = re.compile(r'_\|-|saltutil\.|grains\.|"saltgw_"|schedule|dispatch_name\s*==|"engine"')
    found = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
             for p in sources("rest") for i, line in enumerate(p.read_text().splitlines(), 1)
             if salt_words.search(line.split("//")[0])]
    assert found == []


def test_salt_ipc_knows_nothing_of_http_or_the_argument_parser():
    found = [f"{p.relative_to(ROOT)}: {m}" for p in sources("salt_ipc")
             for m in re.findall(r'#include [<"](?:pistache/[^>"]+|rest/[^>"]+|salt_args/[^>"]+)[>"]', p.read_text())]
    assert found == []


def test_the_schedule_prefix_is_spelled_in_one_place():
    spelled = [str(p.relative_to(ROOT)) for p in sources(*PRODUCT) if '"saltgw_"' in p.read_text()]
    assert spelled == ["salt_ipc/schedule_strategy.cc"]
