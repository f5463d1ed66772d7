"""The disk and the cache: a full disk, a read-only cache, a cache another
natter is writing to, a corrupt cache and one from a newer natter. Each
gives a clear message, loses nothing already stored and never damages
the file; and the interface and the command line run at the same time on
one profile."""

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_support import NatterTestCase  # noqa: E402
from natter_harness import check_exit, require, wait_until  # noqa: E402
from test_tui import TuiTestCase  # noqa: E402

# A "full disk" without root: no file natter writes may grow past this
# (RLIMIT_FSIZE, with SIGXFSZ ignored so that write() fails with EFBIG).
# The cache's shared-memory file needs 32 KiB; its write-ahead log may not
# grow much more.
FULL_DISK = 32768


class CacheTestCase(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.room = self.shared_room("Cache")
        self.bob.send_text(self.room, "stored before the fault")
        self.natter.ok("sync", "--once")
        self.db = self.natter.profile_dir() / "cache.db"

    def run_natter(self, *args, preexec=None, prefix=()):
        r = subprocess.run([*prefix, *self.natter.argv(args)], env=self.natter.env,
                           cwd=self.natter.home, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, preexec_fn=preexec, timeout=120)
        check_exit(self.natter.describe(args), r.returncode, r.stderr, expected=None)
        return r

    def refused(self, r, *words):
        """natter failed with a message on stderr holding each of words."""
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)

    def digest(self):
        return hashlib.sha256(self.db.read_bytes()).hexdigest()

    def server_bodies(self):
        chunk = self.bob.messages(self.room, limit=200)["chunk"]
        return [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]

    def assert_intact(self):
        """What was stored before the fault is all there, and the file is sound."""
        self.assertIn("stored before the fault", self.natter.bodies(self.room))
        with sqlite3.connect(self.db) as con:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])

    def queue_offline(self, text):
        """A message left queued (the homeserver unreachable for that send)."""
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        self.refused(self.run_natter("send", "Cache", text), "queued ")
        session.write_text(good)


class DiskTest(CacheTestCase):
    @staticmethod
    def full_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK, FULL_DISK))

    def test_a_full_disk_is_said_and_loses_nothing(self):
        self.queue_offline("queued before the disk filled")
        for i in range(40):
            self.bob.send_text(self.room, f"news {i} " + "x" * 400)
        full = "the disk may be full: free some space"
        r = self.run_natter("sync", "--once", preexec=self.full_disk)
        self.refused(r, "cannot sync", full)
        r = self.run_natter("send", "Cache", "a long one " + "y" * 40000, preexec=self.full_disk)
        self.refused(r, "cannot queue the message", full)
        self.assertNotIn("a long one " + "y" * 40000, self.server_bodies())
        self.assertEqual([o["state"] for o in self.natter.json_lines("outbox")], ["queued"])
        self.assert_intact()
        # Space again: everything comes, and what waited goes once.
        self.natter.ok("sync", "--once")
        self.assertIn("news 39 " + "x" * 400, self.natter.bodies(self.room, limit=100))
        self.assertEqual(self.server_bodies(), ["queued before the disk filled"])
        self.assertEqual(self.natter.json_lines("outbox"), [])
        self.assert_intact()


class ReadOnlyTest(CacheTestCase):
    def without_override(self):
        """What runs natter without root's power to write any file: as root,
        setpriv drops it; anyone else never had it."""
        if os.geteuid() != 0:
            return ()
        require("root", shutil.which("setpriv"), "setpriv (util-linux) drops root's file access")
        caps = "-dac_override,-dac_read_search"
        return ("setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}")

    def test_a_read_only_cache_is_said_and_left_alone(self):
        self.queue_offline("queued before it went read-only")
        before = self.digest()
        self.db.chmod(0o400)
        self.addCleanup(self.db.chmod, 0o600)
        prefix = self.without_override()
        for args in (("history", "Cache"), ("send", "Cache", "not now"), ("sync", "--once")):
            r = self.run_natter(*args, prefix=prefix)
            self.refused(r, "cannot open the cache: Permission denied",
                         "check the permissions of the file and its directory")
        self.assertEqual(self.digest(), before)
        self.db.chmod(0o600)
        self.assert_intact()
        self.natter.ok("sync", "--once")
        self.assertEqual(self.server_bodies(), ["queued before it went read-only"])


class LockTest(CacheTestCase):
    def hold_write_lock(self):
        """Another natter writing: a connection holding the cache's write lock."""
        con = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
        self.addCleanup(con.close)
        return con

    def test_a_cache_another_natter_writes_to(self):
        con = self.hold_write_lock()
        # Reading needs no lock: history answers at once.
        start = time.monotonic()
        self.assertIn("stored before the fault", self.natter.bodies(self.room))
        self.assertLess(time.monotonic() - start, 5)
        # A send waits for the lock, and says so when it does not come.
        r = self.run_natter("send", "Cache", "while another natter writes")
        self.refused(r, "cannot queue the message", "another natter is writing to this "
                     "profile; try again")
        self.assertEqual(self.natter.json_lines("outbox"), [])
        self.assertEqual(self.server_bodies(), [])
        # A lock held for a moment is waited for.
        threading.Timer(2, lambda: con.execute("ROLLBACK")).start()
        self.natter.ok("send", "Cache", "once the other natter is done")
        self.assertEqual(self.server_bodies(), ["once the other natter is done"])
        self.assert_intact()


class DamagedTest(CacheTestCase):
    def assert_refused_untouched(self, *words):
        before = self.digest()
        files = sorted(p.name for p in self.natter.profile_dir().iterdir())
        self.assertIn("cache.db", files)
        for args in (("history", "Cache"), ("send", "Cache", "into a bad cache"),
                     ("sync", "--once"), ("outbox",)):
            self.refused(self.run_natter(*args), str(self.db), *words)
            self.assertEqual(self.digest(), before, args)
        # Nothing beside it either: no journal, no second cache.
        self.assertEqual(sorted(p.name for p in self.natter.profile_dir().iterdir()), files)
        self.assertEqual(self.server_bodies(), [])

    def test_a_cache_from_a_newer_natter_is_refused_untouched(self):
        # A newer natter that went back to a rollback journal: opening the
        # file in WAL mode would write to it.
        with sqlite3.connect(self.db, isolation_level=None) as con:
            con.execute("PRAGMA journal_mode = DELETE")
            con.execute("PRAGMA user_version = 99")
        con.close()
        self.assert_refused_untouched("written by a newer natter (schema 99",
                                      "upgrade natter")

    def test_a_corrupt_cache_is_refused_untouched(self):
        good = self.db.read_bytes()
        self.db.write_bytes(good[:len(good) // 2])
        self.assert_refused_untouched("malformed", "it is damaged: move the file away")
        self.db.write_bytes(b"not a database " * 1000)
        self.assert_refused_untouched("not a database", "it is damaged: move the file away")
        self.db.write_bytes(good)
        self.assert_intact()


class SharedProfileTest(TuiTestCase):
    def test_the_interface_and_the_command_line_at_once(self):
        room = self.shared_room("Together")
        t = self.start()
        texts = [f"from the command line {i}" for i in range(5)]
        stop = threading.Event()

        def chatter():  # bob keeps the interface's sync loop writing
            i = 0
            while not stop.is_set():
                self.bob.send_text(room, f"bob {i}")
                i += 1
                time.sleep(0.2)
        talker = threading.Thread(target=chatter)
        talker.start()
        try:
            for text in texts:
                self.natter.ok("send", "Together", text)
                self.natter.ok("history", "Together", "--limit", "5")
            self.natter.ok("sync", "--once")
        finally:
            stop.set()
            talker.join()
        t.wait_for(texts[-1])
        chunk = self.bob.messages(room, limit=200)["chunk"]
        mine = [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]
        self.assertEqual(mine, texts)
        self.assertEqual(self.natter.json_lines("outbox"), [])
        wait_until(lambda: "sending" not in t.screen(), what="no pending marker")
        self.assertNotIn("locked", t.screen())


if __name__ == "__main__":
    unittest.main()
