#!/usr/bin/env python3
"""Compare our execute_raw argument parser with Salt's, command by command.

    run_differential.py --dump BUILD/tests/differential/argparse_dump \
        --python .venv/salt-3006.23/bin/python [--corpus corpus.txt]

Builds nothing. Runs salt_reference.py under the Salt venv's python and the
argparse_dump binary on the same corpus, compares the canonical lines one by
one, prints every mismatch with its input, and ends with
`differential: N passed, N failed`. Exit status is non-zero on any mismatch
or if either side fails to run.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from salt_reference import load_corpus  # noqa: E402


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"differential: {' '.join(cmd)} exited {proc.returncode}")
    return proc.stdout.decode("utf-8").split("\n")[:-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True, help="path of the built argparse_dump")
    ap.add_argument("--python", default=sys.executable, help="python of the Salt venv")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus.txt"))
    opts = ap.parse_args()

    commands = load_corpus(opts.corpus)
    ref = run([opts.python, os.path.join(HERE, "salt_reference.py"), opts.corpus])
    ours = run([opts.dump, opts.corpus])
    if len(ref) != len(commands) or len(ours) != len(commands):
        print(f"differential: line counts differ: corpus {len(commands)}, "
              f"salt {len(ref)}, ours {len(ours)}")
        print("differential: 0 passed, %d failed" % len(commands))
        return 1
    passed = failed = 0
    for cmd, r, o in zip(commands, ref, ours):
        if r == o:
            passed += 1
        else:
            failed += 1
            print(f"MISMATCH input: {cmd!r}\n  salt: {r}\n  ours: {o}")
    print(f"differential: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
