"""natter search (and export --query) reads the cache only, and says so when
the cache lacks part of a room's history, naming the command that fetches it."""

import unittest

from cli_support import NatterTestCase

NOTE = "natter: search: 1 room is not fully cached: natter sync --backfill"


class SearchCoverageTest(NatterTestCase):
    def test_rooms_not_fully_cached_are_named_until_backfilled(self):
        room = self.bob.create_room(name="Archive", invite=[self.alice.user_id])
        self.alice.join(room)
        for i in range(60):
            self.bob.send_text(room, f"minute {i:03d}")
        self.natter.ok("sync", "--once")

        r = self.natter.run("search", "minute", "--limit", "100")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(NOTE, r.stderr.splitlines())
        self.assertLess(len(r.stdout.splitlines()), 60 * 2)
        r = self.natter.run("search", "minute", "--room", "Archive", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("natter: search: that room is not fully cached: "
                      "natter sync --backfill ROOM", r.stderr)
        r = self.natter.run("search", "nothing-like-this")
        self.assertIn(NOTE, r.stderr)
        # Mailing search results is a search too.
        r = self.natter.run("export", "--query", "minute", "--eml", "found.eml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("natter: export: 1 room is not fully cached: natter sync --backfill",
                      r.stderr)

        self.natter.ok("sync", "--backfill")
        r = self.natter.run("search", "minute", "--limit", "100", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 60)
        self.assertNotIn("not fully cached", r.stderr)

    def test_a_room_cached_from_its_creation_says_nothing(self):
        room = self.shared_room("Small")
        last = self.bob.send_text(room, "all of it")
        self.bob.wait_for_event(room, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        r = self.natter.run("search", "all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("all of it", r.stdout)
        self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    unittest.main()
