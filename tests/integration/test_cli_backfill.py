"""natter sync --backfill: a room's whole history, or every joined room's,
paged into the cache so that it reads offline, in order, without
duplicates; a second run has nothing to do; an interrupted run goes on."""

import json
import os
import pty
import signal
import subprocess
import unittest

from cli_support import NatterTestCase
from natter_harness import check_exit


class BackfillTest(NatterTestCase):
    def room_with_history(self, name, count, prefix):
        """A room made by bob holding count messages before alice joins."""
        room = self.bob.create_room(name=name, invite=[self.alice.user_id])
        sent = [f"{prefix} {i:03d}" for i in range(count)]
        for body in sent:
            self.bob.send_text(room, body)
        self.alice.join(room)
        return room, sent

    def go_offline(self):
        """Point the session at a closed port: history can read only the cache."""
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, "http://127.0.0.1:9"))

    def offline_history(self, room):
        r = self.natter.run("history", room, "--limit", 1000, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("cache only", r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line]

    def assert_complete(self, room, sent):
        everything = self.offline_history(room)
        self.assertEqual(everything[0]["type"], "m.room.create")
        bodies = [m["body"] for m in everything if m["type"] == "m.room.message"]
        self.assertEqual(bodies, sent)
        ids = [m["event_id"] for m in everything]
        self.assertEqual(len(ids), len(set(ids)))

    def test_one_room_reaches_its_creation_and_a_second_run_is_a_no_op(self):
        room, sent = self.room_with_history("Archive", 300, "archived")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.natter.bodies(room, limit=6), sent[-5:])

        r = self.natter.run("sync", "--backfill", "Archive")
        self.assertEqual(r.returncode, 0, r.stderr)
        pages = [line for line in r.stderr.splitlines() if line.startswith("backfill: Archive:")]
        self.assertGreaterEqual(len(pages), 3, r.stderr)
        self.assertTrue(pages[-1].endswith(", complete"), r.stderr)
        self.assertIn("backfill: 1 room complete,", r.stderr)
        self.assertNotIn("\r", r.stderr)

        again = self.natter.run("sync", "--backfill", "Archive")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(again.stderr.splitlines(), [
            "backfill: Archive: 0 new events, complete",
            "backfill: 1 room complete, 0 new events",
        ])
        self.go_offline()
        self.assert_complete(room, sent)

    def test_every_joined_room_and_every_gap(self):
        older, older_sent = self.room_with_history("Ledger", 120, "ledger")
        other, other_sent = self.room_with_history("Minutes", 90, "minutes")
        self.natter.ok("sync", "--once")
        # More than the timeline limit arrive while natter is away: a
        # second gap in Ledger, above the one before its first sync.
        later = [f"ledger later {i:03d}" for i in range(80)]
        for body in later:
            self.bob.send_text(older, body)

        master, slave = pty.openpty()
        proc = self.natter.popen("sync", "--backfill", stdout=subprocess.PIPE,
                                 stderr=slave)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the pty closes with the last writer
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        proc.wait(timeout=120)
        proc.stdout.close()
        proc.stdin.close()
        text = out.decode()
        check_exit("natter sync --backfill", proc.returncode, text)
        self.assertIn("\r\x1b[K", text)
        self.assertIn("[1/2] ", text)
        self.assertIn("[2/2] ", text)
        self.assertIn("backfill: 2 rooms complete,", text)

        self.go_offline()
        self.assert_complete(older, older_sent + later)
        self.assert_complete(other, other_sent)

    def test_an_interrupted_backfill_goes_on_where_it_stopped(self):
        room, sent = self.room_with_history("Journal", 250, "journal")
        self.natter.ok("sync", "--once")
        proc = self.natter.popen("sync", "--backfill", "Journal")
        proc.stdin.close()
        first = proc.stderr.readline()
        self.assertTrue(first.startswith("backfill: Journal: "), first)
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        proc.wait(timeout=60)
        check_exit("natter sync --backfill Journal, interrupted", proc.returncode, first + rest,
                   expected=1)
        self.assertIn("backfill interrupted", rest)

        self.natter.ok("sync", "--backfill", "Journal")
        self.go_offline()
        self.assert_complete(room, sent)


if __name__ == "__main__":
    unittest.main()
