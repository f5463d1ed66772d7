"""The test runners and the summary themselves: a skip that nobody declared,
a hang, a failure and a sanitizer report at exit must each fail the run."""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="natter" tests="{n}">
{cases}
</testsuite>
"""


def junit_case(name, status="run", skipped=False, failure=False):
    inner = ("<skipped/>" if skipped else "") + ("<failure message='x'/>" if failure else "")
    return f'<testcase name="{name}" classname="{name}" status="{status}">{inner}</testcase>'


class RunnerTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="natter-runner-")
        self.addCleanup(tmp.cleanup)
        self.dir = Path(tmp.name)
        self.results = self.dir / "results"
        self.results.mkdir()

    def summary(self, cases, skip=""):
        junit = self.dir / "junit.xml"
        junit.write_text(JUNIT.format(n=len(cases), cases="\n".join(cases)))
        env = {**os.environ, "NATTER_SKIP": skip}
        return subprocess.run([sys.executable, HERE / "summary.py", junit, self.results],
                              capture_output=True, text=True, env=env)

    def result_file(self, key, *tests):
        (self.results / f"{key}.json").write_text(json.dumps({"name": key, "tests": [
            {"id": i, "outcome": o, "detail": d} for i, o, d in tests]}))

    def test_summary_counts_cases_and_passes_a_clean_run(self):
        self.result_file("integration_test_x", ("x.a", "passed", ""), ("x.b", "passed", ""))
        r = self.summary([junit_case("integration/test_x"), junit_case("fuzz/sync")])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.stdout.splitlines()[-1], "tests: 3 passed, 0 failed, 0 skipped")

    def test_an_undeclared_skip_fails_and_a_declared_one_is_printed(self):
        self.result_file("integration_test_x", ("x.a", "passed", ""),
                         ("x.b", "skipped", "tmux: tmux is needed"))
        r = self.summary([junit_case("integration/test_x")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNDECLARED SKIP: x.b", r.stdout)
        r = self.summary([junit_case("integration/test_x")], skip="dbus,tmux")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("skipped: x.b: tmux: tmux is needed", r.stdout)
        self.assertIn("declared skips (NATTER_SKIP): dbus,tmux", r.stdout)
        self.assertEqual(r.stdout.splitlines()[-1], "tests: 1 passed, 0 failed, 1 skipped")

    def test_a_ctest_skip_without_results_is_undeclared(self):
        r = self.summary([junit_case("notify/dbus", status="notrun", skipped=True)],
                         skip="tmux")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNDECLARED SKIP: notify/dbus", r.stdout)

    def test_a_failure_ctest_saw_but_no_case_recorded_still_fails(self):
        self.result_file("integration_test_x", ("x.a", "passed", ""))
        r = self.summary([junit_case("integration/test_x", status="fail", failure=True)])
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAILED: integration/test_x (the whole file)", r.stdout)

    def test_no_test_at_all_fails(self):
        r = self.summary([])
        self.assertEqual(r.returncode, 1)
        self.assertIn("no test ran", r.stdout)

    def pyunit(self, source, timeout=30):
        test = self.dir / "test_sample.py"
        test.write_text(textwrap.dedent(source))
        results = self.results / "sample.json"
        env = {**os.environ, "NATTER_RESULTS": str(results)}
        r = subprocess.run([sys.executable, HERE / "pyunit.py", "--test-timeout", str(timeout),
                            test], capture_output=True, text=True, env=env, timeout=120)
        outcomes = {t["id"].rsplit(".", 1)[-1]: t["outcome"]
                    for t in json.loads(results.read_text())["tests"]}
        return r, outcomes

    def test_pyunit_records_each_outcome(self):
        r, outcomes = self.pyunit("""
            import unittest
            class T(unittest.TestCase):
                def test_ok(self): pass
                def test_skip(self): self.skipTest("tmux: none here")
                def test_bad(self): self.assertEqual(1, 2)
            """)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(outcomes, {"test_ok": "passed", "test_skip": "skipped",
                                    "test_bad": "failed"})

    def test_pyunit_names_a_hung_test_and_where_it_hangs(self):
        r, outcomes = self.pyunit("""
            import time, unittest
            class T(unittest.TestCase):
                def test_first(self): pass
                def test_stuck(self):
                    time.sleep(600)
            """, timeout=2)
        self.assertEqual(r.returncode, 1)
        self.assertIn("HANG: test_sample.T.test_stuck ran longer than 2s", r.stderr)
        self.assertIn("in test_stuck", r.stderr)
        self.assertEqual(outcomes, {"test_first": "passed", "test_stuck": "failed"})

    def test_pyunit_fails_a_file_with_no_test(self):
        r, outcomes = self.pyunit("import unittest\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(list(outcomes.values()), ["failed"])

    def cmocka(self, output, status):
        prog = self.dir / "fake-cmocka"
        prog.write_text(f"#!/bin/sh\ncat <<'EOF'\n{textwrap.dedent(output)}EOF\nexit {status}\n")
        prog.chmod(0o755)
        results = self.results / "unit.json"
        env = {**os.environ, "NATTER_RESULTS": str(results)}
        r = subprocess.run([sys.executable, HERE / "cmocka.py", prog], capture_output=True,
                           text=True, env=env)
        return r, {t["id"]: t["outcome"] for t in json.loads(results.read_text())["tests"]}

    def test_cmocka_outcomes_are_read_from_its_output(self):
        r, outcomes = self.cmocka("""\
            [==========] Running 3 test(s).
            [ RUN      ] test_a
            [       OK ] test_a
            [ RUN      ] test_b
            [  ERROR   ] --- 1 != 2
            [   LINE   ] --- t.c:9: error: Failure!
            [  FAILED  ] test_b
            [ RUN      ] test_c
            [  SKIPPED ] test_c
            [==========] 3 test(s) run.
            [  PASSED  ] 1 test(s).
            [  FAILED  ] 1 test(s), listed below:
            [  FAILED  ] test_b
            """, 1)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(outcomes, {"test_a": "passed", "test_b": "failed", "test_c": "skipped"})
        self.assertIn("[  FAILED  ] test_b", r.stdout)

    def test_cmocka_a_sanitizer_report_at_exit_is_a_failure(self):
        r, outcomes = self.cmocka("""\
            [==========] Running 1 test(s).
            [ RUN      ] test_a
            [       OK ] test_a
            [==========] 1 test(s) run.
            [  PASSED  ] 1 test(s).
            ==1==ERROR: LeakSanitizer: detected memory leaks
            """, 1)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(outcomes["test_a"], "passed")
        self.assertEqual(outcomes["fake-cmocka (exit)"], "failed")

    def test_cmocka_a_crash_before_the_summary_is_a_failure(self):
        r, outcomes = self.cmocka("""\
            [==========] Running 2 test(s).
            [ RUN      ] test_a
            """, 139)
        self.assertEqual(r.returncode, 139)
        self.assertEqual(list(outcomes.values()), ["failed"])


if __name__ == "__main__":
    unittest.main()
