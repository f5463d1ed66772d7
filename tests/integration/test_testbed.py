#!/usr/bin/env python3
"""Proves the Synapse testbed and the harness work: two users chat and share a file."""

import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_support import Natter  # noqa: E402
from natter_harness import Homeserver, MatrixError, check_exit  # noqa: E402


class TestTestbed(unittest.TestCase):
    """End-to-end checks against a real homeserver."""

    @classmethod
    def setUpClass(cls):
        cls.hs = Homeserver.get()

    def test_invite_join_message(self):
        """A creates a room, invites B, B joins and receives A's message via sync."""
        alice = self.hs.register("alice")
        bob = self.hs.register("bob")
        self.assertTrue(alice.user_id.startswith("@alice-"))
        self.assertTrue(alice.access_token and alice.device_id)

        room = alice.create_room(name="testbed", invite=[bob.user_id])
        invited = bob.sync()["rooms"]["invite"]
        self.assertIn(room, invited)
        self.assertEqual(bob.join(room), room)
        self.assertIn(room, bob.joined_rooms())

        event_id = alice.send_text(room, "hello from alice")
        event = bob.wait_for_event(room, lambda e: e.get("event_id") == event_id, timeout=30)
        self.assertEqual(event["sender"], alice.user_id)
        self.assertEqual(event["content"], {"msgtype": "m.text", "body": "hello from alice"})

        reaction = bob.react(room, event_id, "👍")
        got = alice.wait_for_event(room, lambda e: e.get("event_id") == reaction)
        self.assertEqual(got["content"]["m.relates_to"]["key"], "👍")
        bodies = [e["content"].get("body") for e in bob.messages(room, limit=10)["chunk"]]
        self.assertIn("hello from alice", bodies)

    def test_upload_download(self):
        """An uploaded file downloads byte-identical through authenticated media."""
        alice = self.hs.register("uploader")
        data = bytes(range(256)) * 4096 + b"\x00tail"
        mxc = alice.upload(data, "application/octet-stream", "blob.bin")
        self.assertTrue(mxc.startswith("mxc://localhost/"))
        self.assertEqual(alice.download(mxc), data)

    def test_account_data_and_errors(self):
        """Account data round-trips; HTTP errors surface as MatrixError with status."""
        alice = self.hs.register()
        alice.set_account_data("org.natter.test", {"x": 1})
        self.assertEqual(alice.get_account_data("org.natter.test"), {"x": 1})
        alice.set_displayname("Alice")
        with self.assertRaises(MatrixError) as cm:
            alice.get_account_data("org.natter.unset")
        self.assertEqual(cm.exception.status, 404)

    def test_many_messages_not_rate_limited(self):
        """Bursts of room creation and messages do not hit rate limits."""
        alice = self.hs.register()
        room = alice.create_room()
        for i in range(60):
            alice.send_text(room, f"msg {i}")
        for _ in range(15):
            alice.create_room()
        self.assertEqual(len(alice.joined_rooms()), 16)


ASAN_REPORT = """=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010
READ of size 1 at 0x602000000010 thread T0
    #0 0x55d0 in store_room_put src/store/store-rooms.c:88
SUMMARY: AddressSanitizer: heap-use-after-free src/store/store-rooms.c:88 in store_room_put
"""
LEAK_REPORT = """==4242==ERROR: LeakSanitizer: detected memory leaks
Direct leak of 24 byte(s) in 1 object(s) allocated from:
SUMMARY: AddressSanitizer: 24 byte(s) leaked in 1 allocation(s).
"""
UBSAN_REPORT = "src/text/text-width.c:41:9: runtime error: signed integer overflow\n"


class ExitCheckTest(unittest.TestCase):
    """The check every natter run goes through fails on what a sanitizer
    writes and on an unexpected status, and passes a clean run."""

    def fake_natter(self, stderr, status):
        """A stand-in for the natter binary that writes stderr and exits with status."""
        tmp = Path(tempfile.mkdtemp(prefix="natter-fake-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        (tmp / "report").write_text(stderr)
        fake = tmp / "natter"
        fake.write_text(f'#!/bin/sh\necho "logged in"\ncat "{tmp}/report" >&2\nexit {status}\n')
        fake.chmod(0o755)
        n = Natter(None, binary=fake)
        self.addCleanup(n.cleanup)
        return n

    def test_a_sanitizer_report_fails_any_run(self):
        for report in (ASAN_REPORT, LEAK_REPORT, UBSAN_REPORT):
            for status in (0, 1):
                with self.subTest(report=report.splitlines()[-1], status=status):
                    n = self.fake_natter("natter: some warning\n" + report, status)
                    with self.assertRaises(AssertionError) as cm:
                        n.run("whoami")
                    self.assertIn("natter whoami: a sanitizer report", str(cm.exception))
                    self.assertIn(report, str(cm.exception))
                    with self.assertRaises(AssertionError):
                        n.ok("whoami")

    def test_a_bad_status_fails_ok_and_a_clean_run_passes(self):
        n = self.fake_natter("natter: cannot reach the server\n", 3)
        with self.assertRaises(AssertionError) as cm:
            n.ok("sync", "--once")
        self.assertIn("natter sync --once: exit status 3, expected 0", str(cm.exception))
        self.assertIn("cannot reach the server", str(cm.exception))
        self.assertEqual(n.run("sync", "--once").returncode, 3)
        clean = self.fake_natter("natter: 1 room complete\n", 0)
        self.assertEqual(clean.ok("whoami"), "logged in\n")
        check_exit("a killed natter", -9, "", expected=-9)
        with self.assertRaises(AssertionError):
            check_exit("a killed natter", -9, "", expected=0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
