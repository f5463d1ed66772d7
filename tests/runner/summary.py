#!/usr/bin/env python3
"""Adds up a ctest run: how many tests ran, passed, failed and were skipped.

    summary.py JUNIT.xml RESULTS-DIR

JUNIT.xml is ctest's --output-junit report (one entry per ctest test);
RESULTS-DIR holds the per-case results that tests/runner/pyunit.py and
cmocka.py wrote (KEY.json or KEY.LABEL.json, KEY being the ctest name with
"/" as "_"). A ctest test without results counts as one test. A skip is
allowed only when its reason starts with an area that NATTER_SKIP
(comma-separated) declares. Prints a table by area, every skip and
failure, and a last line "tests: N passed, N failed, N skipped"; exits 1
when anything failed, was skipped without being declared, or did not run.
"""

import collections
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def ctest_cases(junit):
    """(name, status) of each ctest test: passed, failed or skipped."""
    cases = []
    for tc in ET.parse(junit).getroot().iter("testcase"):
        status = tc.get("status", "run")
        if tc.find("failure") is not None or tc.find("error") is not None or status == "fail":
            outcome = "failed"
        elif tc.find("skipped") is not None or status in ("notrun", "disabled"):
            outcome = "skipped"
        else:
            outcome = "passed"
        cases.append((tc.get("name"), outcome))
    return cases


def case_results(results_dir, name):
    """The per-case outcomes recorded for ctest test name, or None."""
    key = name.replace("/", "_")
    files = glob.glob(os.path.join(results_dir, f"{glob.escape(key)}.json"))
    files += glob.glob(os.path.join(results_dir, f"{glob.escape(key)}.*.json"))
    if not files:
        return None
    tests = []
    for path in sorted(files):
        with open(path) as f:
            tests += json.load(f)["tests"]
    return tests


def main(junit, results_dir):
    declared = {a.strip() for a in os.environ.get("NATTER_SKIP", "").split(",") if a.strip()}
    counts = collections.defaultdict(collections.Counter)
    failures, skips, undeclared = [], [], []
    for name, outcome in ctest_cases(junit):
        area = name.split("/", 1)[0]
        tests = case_results(results_dir, name)
        if tests is None:
            tests = [{"id": name, "outcome": outcome, "detail": ""}]
        elif outcome == "failed" and all(t["outcome"] != "failed" for t in tests):
            # Killed by ctest's timeout, or a failure after the last case.
            tests.append({"id": f"{name} (the whole file)", "outcome": "failed",
                          "detail": "ctest saw a failure no case recorded (timeout, crash?)"})
        for t in tests:
            counts[area][t["outcome"]] += 1
            if t["outcome"] == "failed":
                failures.append(t["id"])
            elif t["outcome"] == "skipped":
                reason = t.get("detail") or "no reason given"
                skips.append(f"{t['id']}: {reason}")
                if reason.split(":", 1)[0] not in declared:
                    undeclared.append(t["id"])

    total = collections.Counter()
    print("\n== natter test summary")
    print(f"  {'area':<12} {'ran':>6} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for area in sorted(counts):
        c = counts[area]
        total.update(c)
        ran = c["passed"] + c["failed"]
        print(f"  {area:<12} {ran:>6} {c['passed']:>7} {c['failed']:>7} {c['skipped']:>8}")
    print(f"  {'all':<12} {total['passed'] + total['failed']:>6} {total['passed']:>7} "
          f"{total['failed']:>7} {total['skipped']:>8}")
    print(f"  declared skips (NATTER_SKIP): {','.join(sorted(declared)) or 'none'}")
    for s in skips:
        print(f"  skipped: {s}")
    for f in failures:
        print(f"  FAILED: {f}")
    for u in undeclared:
        print(f"  UNDECLARED SKIP: {u} (declare its area in NATTER_SKIP, or make it run)")
    if not counts:
        print("  no test ran")
    print(f"tests: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if failures or undeclared or not counts else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: summary.py JUNIT.xml RESULTS-DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
