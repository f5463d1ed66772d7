#!/usr/bin/env python3
"""Runs one cmocka test program for ctest and records what happened.

    cmocka.py [--label L] PROGRAM [ARG...]

The program's output passes through unchanged. With NATTER_RESULTS set,
the outcome of each test, read from cmocka's "[       OK ]",
"[  FAILED  ]" and "[  SKIPPED ]" lines, is written there as JSON for
tests/runner/summary.py; with --label L the file is NAME.L.json, so one
ctest test may run a program several times, each under its own label.
The exit status is the program's, or 1 when it ran no test or died
without cmocka's summary.
"""

import json
import os
import re
import subprocess
import sys

LINE = re.compile(r"^\[\s*(OK|FAILED|SKIPPED|ERROR)\s*\] (\S+)\s*$")
SUMMARY = re.compile(r"^\[=+\] (\d+) test\(s\) run\.")


def outcomes_of(text, label):
    """(id, outcome, detail) for each test cmocka reported on."""
    found, last_out = {}, []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            last_out.append(line)
            continue
        word, test = m.groups()
        test_id = f"{label}.{test}" if label else test
        if word == "OK":
            found.setdefault(test_id, ("passed", ""))
        elif word == "SKIPPED":
            found[test_id] = ("skipped", "cmocka skip() (no declared area)")
        else:
            found[test_id] = ("failed", "\n".join(last_out[-30:]))
        last_out = []
    return [(i, o, d) for i, (o, d) in found.items()]


def write_results(path, label, name, outcomes):
    if label:
        path = f"{path.removesuffix('.json')}.{label}.json"
    tests = [{"id": i, "outcome": o, "detail": d[-4000:]} for i, o, d in outcomes]
    with open(f"{path}.tmp", "w") as f:
        json.dump({"name": name, "tests": tests}, f, indent=1)
    os.replace(f"{path}.tmp", path)


def main(argv):
    label = ""
    if len(argv) > 2 and argv[0] == "--label":
        label, argv = argv[1], argv[2:]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = proc.stdout.decode("utf-8", "replace")
    sys.stdout.write(text)
    sys.stdout.flush()
    name = os.path.basename(argv[0]) + (f" {label}" if label else "")
    outcomes = outcomes_of(text, label)
    status = proc.returncode
    if not any(SUMMARY.match(line) for line in text.splitlines()):
        why = f"{name} ended (status {status}) without cmocka's summary"
        outcomes.append((f"{name} (run)", "failed", why))
        print(why, file=sys.stderr)
        status = status or 1
    elif not outcomes:
        outcomes.append((f"{name} (no tests)", "failed", "the program ran no test"))
        status = status or 1
    elif status != 0 and all(o != "failed" for _, o, _ in outcomes):
        # A sanitizer report at exit, after every test passed.
        outcomes.append((f"{name} (exit)", "failed", "\n".join(text.splitlines()[-40:])))
    if os.environ.get("NATTER_RESULTS"):
        write_results(os.environ["NATTER_RESULTS"], label, name, outcomes)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
