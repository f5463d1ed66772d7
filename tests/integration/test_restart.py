"""A real homeserver restart: Synapse stopped and started again on the same
database while `natter sync` runs and while messages wait or are being
sent. Everything queued goes once, in order, and the sync loop carries on
without the user doing anything. The homeserver is this file's own (its
own directory and port): the other test files share theirs."""

import os
import re
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_support import natter_for  # noqa: E402
from natter_harness import Homeserver, check_exit, require, wait_until  # noqa: E402


class RestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require("root", os.geteuid() == 0,
                "restarting a homeserver of the test's own needs root (scripts/testbed)")
        cls.hs = Homeserver.start_testbed()
        cls.addClassCleanup(cls.hs.stop)

    def setUp(self):
        self.alice, self.bob = self.hs.register("alice"), self.hs.register("bob")
        self.natter = natter_for(self.alice, self.hs)
        self.addCleanup(self.natter.cleanup)
        self.room = self.bob.create_room(name="Restart", invite=[self.alice.user_id])
        self.alice.join(self.room)
        self.alice.mark_read(self.room)
        self.natter.ok("sync", "--once")
        self.down = False

    def tearDown(self):
        if self.down:  # a failure left it down: the next test needs it
            self.hs.up()

    def stop_server(self):
        self.down = True
        self.hs.down()

    def start_server(self):
        self.hs.up()
        self.down = False

    def server_bodies(self):
        chunk = self.bob.messages(self.room, limit=200)["chunk"]
        return [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]

    def outbox_states(self):
        return [o["state"] for o in self.natter.json_lines("outbox")]

    def test_the_sync_loop_and_the_outbox_carry_on_across_a_restart(self):
        loop = self.natter.popen("sync", "--timeout", "5000")
        self.addCleanup(lambda: loop.poll() is None and loop.kill())
        reports = []
        reader = threading.Thread(target=lambda: reports.extend(iter(loop.stderr.readline, "")))
        reader.start()
        self.bob.send_text(self.room, "before the restart")
        wait_until(lambda: "before the restart" in self.natter.bodies(self.room),
                   what="the loop's first round")
        self.stop_server()
        queued = ["written while it was down", "and a second one"]
        for text in queued:
            r = self.natter.run("send", "Restart", text)
            check_exit(f"natter send {text!r}", r.returncode, r.stderr, expected=1)
            self.assertRegex(r.stderr, "(?m)^natter: queued ")
        self.assertEqual(self.outbox_states(), ["queued", "queued"])
        # A long outage: the loop's pause has stopped growing, at 8 s.
        wait_until(lambda: len(reports) >= 8, timeout=120, what="8 failed rounds")
        delays = [int(d) for d in re.findall(r"\(trying again in (\d+) s\)", "".join(reports))]
        self.assertGreaterEqual(len(delays), 8, reports)
        self.assertLessEqual(max(delays), 8, reports)
        self.start_server()
        # The loop finds the homeserver back within seconds and sends what
        # waits, once each.
        wait_until(lambda: self.server_bodies() == queued, timeout=15,
                   what=f"{queued} on the server")
        wait_until(lambda: self.outbox_states() == [], what="an empty outbox")
        self.bob.send_text(self.room, "after the restart")
        wait_until(lambda: "after the restart" in self.natter.bodies(self.room), timeout=60,
                   what="the loop carrying on")
        loop.send_signal(signal.SIGTERM)
        loop.wait(timeout=30)
        reader.join()
        check_exit("natter sync across a restart", loop.returncode, "".join(reports))
        self.assertRegex(reports[0], r"^natter: cannot reach the homeserver: .*\(trying again "
                                     r"in \d+ s\)$")
        self.assertEqual(self.server_bodies(), queued)

    def test_sends_while_the_server_restarts_go_once_in_order(self):
        texts = [f"restart burst {i}" for i in range(8)]
        reports = {}

        def restart():
            time.sleep(1)
            self.stop_server()
            time.sleep(2)
            self.start_server()
        t = threading.Thread(target=restart)
        t.start()
        for text in texts:
            r = self.natter.run("send", "Restart", text, timeout=120)
            check_exit(f"natter send {text!r}", r.returncode, r.stderr, expected=None)
            self.assertNotRegex(r.stderr, "(?m)^natter: failed ", text)
            reports[text] = "sent" if r.returncode == 0 else "queued"
        t.join()
        self.assertFalse(self.down)
        for text, report in reports.items():
            if report == "sent":  # said sent: it is there
                self.assertIn(text, self.server_bodies())
        self.natter.ok("sync", "--once")
        self.assertEqual(self.outbox_states(), [])
        self.assertEqual(self.server_bodies(), texts)


if __name__ == "__main__":
    unittest.main()
