#!/usr/bin/env python3
"""Runs one Python test file (unittest) for ctest and records what happened.

    pyunit.py [--test-timeout S] FILE.py

Each test's name is printed as it starts. A test that runs longer than
--test-timeout seconds is a hang: the runner prints the test's name and
where every thread is, records it as failed and exits 1, so a hang is named
long before the ctest or CI timeout. With NATTER_RESULTS set, the outcome
of every test (passed, failed, skipped with its reason) is written there
as JSON for tests/runner/summary.py.
"""

import argparse
import faulthandler
import importlib.util
import json
import os
import sys
import threading
import time
import unittest


class Watchdog:
    """Names the test that hangs and ends the run."""

    def __init__(self, timeout, record):
        self.timeout = timeout
        self.record = record
        self.current = "(loading the file)"
        self.timer = None

    def arm(self, what):
        self.current = what
        if self.timer is not None:
            self.timer.cancel()
        self.timer = threading.Timer(self.timeout, self.fire)
        self.timer.daemon = True
        self.timer.start()
        # A second alarm in C, for a hang that holds the interpreter's lock.
        faulthandler.dump_traceback_later(self.timeout + 30, exit=True)

    def disarm(self):
        if self.timer is not None:
            self.timer.cancel()
        faulthandler.cancel_dump_traceback_later()

    def fire(self):
        sys.stderr.write(f"\n\nHANG: {self.current} ran longer than {self.timeout:g}s; "
                         "where every thread is:\n")
        sys.stderr.flush()
        faulthandler.dump_traceback(all_threads=True)
        for test_id, outcome, detail in RecordingResult.outcomes:
            if outcome == "failed":
                sys.stderr.write(f"\nFAILED before the hang: {test_id}\n{detail}")
        self.record(self.current, "failed", f"hung for more than {self.timeout:g}s")
        # Cleanups will not run: let the harness end what it started (tmux servers).
        on_hang = getattr(sys.modules.get("natter_harness"), "on_hang", None)
        if on_hang is not None:
            on_hang()
        sys.stderr.flush()
        os._exit(1)


class RecordingResult(unittest.TextTestResult):
    """A verbose result that also keeps every outcome for the results file."""

    outcomes = []
    watchdog = None

    def startTest(self, test):
        self.watchdog.arm(test.id())
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        # Still armed between tests: the next class's setUpClass can hang too.
        self.watchdog.arm(f"after {test.id()} (class set-up or tear-down)")

    def addSuccess(self, test):
        super().addSuccess(test)
        self.outcomes.append((test.id(), "passed", ""))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.outcomes.append((test.id(), "failed", self._exc_info_to_string(err, test)))

    def addError(self, test, err):
        super().addError(test, err)
        self.outcomes.append((test.id(), "failed", self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.outcomes.append((test.id(), "skipped", reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.outcomes.append((test.id(), "failed", "expected failures are not allowed"))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.outcomes.append((test.id(), "failed", "unexpected success"))


def write_results(path, name, outcomes):
    if not path:
        return
    tests = [{"id": i, "outcome": o, "detail": d[-4000:]} for i, o, d in outcomes]
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump({"name": name, "tests": tests}, f, indent=1)
    os.replace(tmp, path)


def load(path):
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return name, unittest.defaultTestLoader.loadTestsFromModule(module)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--test-timeout", type=float,
                        default=float(os.environ.get("NATTER_TEST_TIMEOUT", 180)))
    parser.add_argument("file")
    args = parser.parse_args()
    results = os.environ.get("NATTER_RESULTS")
    outcomes = RecordingResult.outcomes
    name = os.path.basename(args.file)

    def record(test_id, outcome, detail):
        outcomes.append((test_id, outcome, detail))
        write_results(results, name, outcomes)

    watchdog = Watchdog(args.test_timeout, record)
    RecordingResult.watchdog = watchdog
    watchdog.arm(f"loading {name}")
    try:
        name, suite = load(args.file)
    except Exception as e:  # a file that does not even import is one failure
        record(f"{name} (import)", "failed", repr(e))
        raise
    started = time.monotonic()
    runner = unittest.TextTestRunner(verbosity=2, resultclass=RecordingResult)
    result = runner.run(suite)
    watchdog.disarm()
    if result.testsRun == 0:
        outcomes.append((f"{name} (no tests)", "failed", "the file ran no test"))
    write_results(results, name, outcomes)
    sys.stderr.write(f"{name}: {time.monotonic() - started:.1f}s\n")
    failed = any(o == "failed" for _, o, _ in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
