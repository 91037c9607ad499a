#!/usr/bin/env python3
"""Compare our execute_raw argument parser with Salt's, command by command.

    run_differential.py --dump BUILD/tests/differential/argparse_dump \
        --python .venv/salt-3006.23/bin/python [--corpus corpus.txt] \
        [--junitxml report.xml]

Builds nothing. Runs salt_reference.py under the Salt venv's python and the
argparse_dump binary on the same corpus, compares the canonical lines one by
one, prints every mismatch with its input, and ends with
`differential: N passed, N failed`. Exit status is non-zero on any mismatch
or if either side fails to run. With --junitxml, also writes a JUnit report
with one test case per corpus command.
"""
import argparse
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from salt_reference import load_corpus  # noqa: E402


class RunFailed(Exception):
    pass


def run(cmd):
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise RunFailed(f"{cmd[0]}: {exc}")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        raise RunFailed(f"{' '.join(cmd)} exited {proc.returncode}")
    return proc.stdout.decode("utf-8").split("\n")[:-1]


def write_junit(path, cases):
    """cases: list of (name, failure message or None)."""
    suite = ET.Element("testsuite", name="differential", tests=str(len(cases)),
                       failures=str(sum(1 for _, f in cases if f is not None)))
    for name, failure in cases:
        case = ET.SubElement(suite, "testcase", classname="differential", name=name)
        if failure is not None:
            ET.SubElement(case, "failure", message="mismatch").text = failure
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def xml_safe(text):
    return "".join(c if c in "\t\n" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000" else repr(c)[1:-1] for c in text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True, help="path of the built argparse_dump")
    ap.add_argument("--python", default=sys.executable, help="python of the Salt venv")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus.txt"))
    ap.add_argument("--junitxml", help="also write a JUnit XML report here")
    opts = ap.parse_args()

    commands = load_corpus(opts.corpus)
    try:
        ref = run([opts.python, os.path.join(HERE, "salt_reference.py"), opts.corpus])
        ours = run([opts.dump, opts.corpus])
        if len(ref) != len(commands) or len(ours) != len(commands):
            raise RunFailed(f"line counts differ: corpus {len(commands)}, "
                            f"salt {len(ref)}, ours {len(ours)}")
    except RunFailed as exc:
        print(f"differential: {exc}")
        if opts.junitxml:
            write_junit(opts.junitxml, [("run", str(exc))])
        print("differential: 0 passed, 1 failed")
        return 1
    passed = failed = 0
    cases = []
    for i, (cmd, r, o) in enumerate(zip(commands, ref, ours), 1):
        name = f"{i:04d} {cmd[:60]!r}"
        if r == o:
            passed += 1
            cases.append((xml_safe(name), None))
        else:
            failed += 1
            msg = f"input: {cmd!r}\n  salt: {r}\n  ours: {o}"
            print(f"MISMATCH {msg}")
            cases.append((xml_safe(name), xml_safe(msg)))
    if opts.junitxml:
        write_junit(opts.junitxml, cases)
    print(f"differential: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
