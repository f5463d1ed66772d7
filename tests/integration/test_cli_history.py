"""History: limited syncs leave gaps that are filled from /messages, and
older history is paged in on demand, in order, without duplicates."""

import unittest

from cli_support import NatterTestCase


class HistoryTest(NatterTestCase):
    def test_gap_after_a_limited_sync_is_filled(self):
        room = self.shared_room()
        self.bob.send_text(room, "before the gap")
        self.natter.ok("sync", "--once")
        # More than the sync filter's timeline limit arrive while natter is away.
        sent = [f"gap message {i:03d}" for i in range(130)]
        for body in sent:
            self.bob.send_text(room, body)
        self.natter.ok("sync", "--once")
        bodies = self.natter.bodies(room, limit=131)
        self.assertEqual(bodies, ["before the gap"] + sent)

    def test_back_pagination_reaches_the_start_of_the_room(self):
        room = self.bob.create_room(name="Archive", invite=[self.alice.user_id])
        sent = [f"old message {i:03d}" for i in range(180)]
        for body in sent:
            self.bob.send_text(room, body)
        self.alice.join(room)
        self.natter.ok("sync", "--once")
        # The newest event is alice's own join.
        newest = self.natter.bodies(room, limit=11)
        self.assertEqual(newest, sent[-10:])
        everything = self.natter.history(room, limit=1000)
        bodies = [m["body"] for m in everything if m["type"] == "m.room.message"]
        self.assertEqual(bodies, sent)
        self.assertEqual(everything[0]["type"], "m.room.create")
        ids = [m["event_id"] for m in everything]
        self.assertEqual(len(ids), len(set(ids)))

    def test_before_pages_backwards_from_an_event(self):
        room = self.shared_room("Paging")
        for i in range(30):
            self.bob.send_text(room, f"p{i:02d}")
        self.natter.ok("sync", "--once")
        page = [m for m in self.natter.history(room, limit=10)]
        self.assertEqual([m["body"] for m in page], [f"p{i:02d}" for i in range(20, 30)])
        older = self.natter.json_lines("history", "Paging", "--limit", 5,
                                       "--before", page[0]["event_id"])
        self.assertEqual([m["body"] for m in older], [f"p{i:02d}" for i in range(15, 20)])

    def test_history_offline_shows_the_cache(self):
        room = self.bob.create_room(name="Offline", invite=[self.alice.user_id])
        for i in range(80):
            self.bob.send_text(room, f"older {i}")
        self.bob.send_text(room, "cached line")
        self.alice.join(room)
        self.natter.ok("sync", "--once")
        session = self.natter.profile_dir() / "session"
        text = session.read_text().replace(self.hs.url, "http://127.0.0.1:9")
        session.write_text(text)
        r = self.natter.run("history", "Offline", "--limit", 500)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("cached line", r.stdout)
        self.assertIn("cache only", r.stderr)


if __name__ == "__main__":
    unittest.main()
