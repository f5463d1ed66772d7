"""Searching from the terminal UI: C-f and /search, results as you type,
Enter opens a result in its room, n and N step through them."""

import shutil
import unittest

from test_tui import TuiTestCase, wait_until


class TuiSearchTest(TuiTestCase):
    def start(self):
        return super().start(110, 34)

    def test_results_update_as_you_type_and_open_in_their_room(self):
        board = self.shared_room("Board Room")
        travel = self.shared_room("Travel Desk")
        self.bob.send_text(board, "the quarterly budget is approved")
        self.bob.send_text(travel, "hotel budget for Lisbon is 180 a night")
        self.bob.send_text(travel, "unrelated chatter")
        t = self.start()
        t.keys("C-f")
        t.wait_for("Search:")
        t.text("budg")
        screen = t.wait_for("2 results")
        t.text("et")
        self.assertIn("Board Room", screen)
        self.assertIn("Travel Desk", screen)
        self.assertIn("approved", screen)
        self.assertNotIn("unrelated chatter", screen)
        t.text(" lisbon")
        t.wait_for("1 result:")
        t.keys(*["BSpace"] * len(" lisbon"))
        t.wait_for("2 results")
        t.keys("Enter")
        wait_until(lambda: "SELECT" in self.status(t), what="the result selected")
        first = self.title(t)
        self.assertIn("result 1 of 2", self.status(t) + t.screen())
        t.keys("n")
        wait_until(lambda: self.title(t) != first, what="the second result's room")
        rooms = {name for name in ("Board Room", "Travel Desk")
                 if name in first or name in self.title(t)}
        self.assertEqual(rooms, {"Board Room", "Travel Desk"})
        t.keys("n")
        t.wait_for("that was the last result")
        t.keys("N")
        wait_until(lambda: self.title(t) == first, what="back to the first result")

    def test_a_result_far_back_opens_with_its_context(self):
        room = self.shared_room("Archive")
        for i in range(260):
            body = "the secret handshake is blue" if i == 3 else f"filler message {i:03d}"
            self.bob.send_text(room, body)
        self.natter.ok("sync", "--backfill", room)
        self.shared_room("Lobby")
        t = self.start()
        t.text("/search handshake")
        t.keys("Enter")
        t.wait_for("1 result")
        t.keys("Enter")
        wait_until(lambda: "Archive" in self.title(t), what="the result's room")
        screen = t.wait_for("secret handshake is blue")
        self.assertIn("filler message 002", screen)
        self.assertIn("filler message 004", screen)
        self.assertIn("SELECT", self.status(t))
        t.keys("r")
        t.text("found it")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["content"].get("body", "")
                                     .endswith("found it"))
        self.assertIn("m.in_reply_to", ev["content"]["m.relates_to"])

    def test_queries_that_are_not_queries_get_a_message(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "ordinary words")
        t = self.start()
        t.keys("C-f")
        # Each answer quotes its query, which only natter's search can write
        # on the status row: the prompt shows the query alone.
        for text, answer in (
                ('"', 'nothing to search for in """: the search matches words made of'),
                ("-", 'nothing to search for in "-"'),
                ("*", 'nothing to search for in "*"'),
                ("has:nothing", "has:nothing is not understood; has: takes file or link"),
                ("before:yesterdayish", "before:yesterdayish is not understood; before: takes "
                                        "a date")):
            t.keys("C-u")
            t.text(text)
            screen = t.wait_for(answer)
            self.assertIn(f"Search: {text}", screen)
            self.assertNotIn("fts5", screen.lower())
            self.assertNotIn("sqlite", screen.lower())
        t.keys("Escape")
        wait_until(lambda: "Search:" not in t.screen(), what="the view closed")
        t.text("still typing")
        t.wait_for("> still typing")


if __name__ == "__main__":
    unittest.main()
