#!/usr/bin/env python3
"""Adds up the JUnit XML reports in a folder and prints the closing line.

Prints one line per report, then `N passed, N failed` (with `, N skipped`
when any were skipped) as the last line, and exits 1 when anything failed or
an expected report is missing (a suite that crashed before writing it).
"""
import os
import sys
import xml.etree.ElementTree as ET

DEFAULT = ["unit", "integration", "pytest", "differential"]


def count(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = failed = skipped = 0
    for s in suites:
        for case in s.iter("testcase"):
            total += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                skipped += 1
    return total - failed - skipped, failed, skipped


def main():
    folder = sys.argv[1]
    expected = [n + ".xml" for n in (sys.argv[2:] or DEFAULT)]
    passed = failed = skipped = 0
    for name in expected:
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            print(f"{name[:-4]}: no report (the suite crashed or did not run)")
            failed += 1
            continue
        try:
            p, f, s = count(path)
        except ET.ParseError as exc:
            print(f"{name[:-4]}: unreadable report ({exc})")
            failed += 1
            continue
        print(f"{name[:-4]}: {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
