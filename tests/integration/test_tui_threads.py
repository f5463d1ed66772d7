"""Threads (m.thread) in the terminal UI: a root's summary in the room, the
thread opened from select mode or /thread, a message sent into it as
another client reads it, and Esc back to the room."""

import unittest

from test_tui import TuiTestCase, wait_until
from test_cli_threads import in_thread


class TuiThreadsTest(TuiTestCase):
    def thread(self):
        """bob's root with two replies in its thread and a message after it."""
        room = self.shared_room("Board Room")
        root = self.bob.send_text(room, "Who takes the minutes on Thursday?")
        first = self.bob.send_event(room, "m.room.message", in_thread(root, "I can do it"))
        second = self.bob.send_event(room, "m.room.message",
                                     in_thread(root, "Then Priya does the slides", first))
        self.bob.send_text(room, "Lunch is at one")
        return room, root, second

    def test_open_a_thread_from_select_mode_and_reply_in_it(self):
        room, root, second = self.thread()
        t = self.start()
        screen = t.wait_for("Lunch is at one")
        self.assertIn("⤷ 2 replies, last", screen)
        self.assertNotIn("I can do it", screen)
        t.keys("M-s")
        wait_until(lambda: "SELECT" in self.status(t), what="select mode")
        t.keys("Up")
        t.keys("t")
        screen = t.wait_for("thread: Esc returns to the room")
        self.assertIn("I can do it", screen)
        self.assertIn("Then Priya does the slides", screen)
        self.assertNotIn("Lunch is at one", screen)
        self.assertIn("› thread", self.title(t))
        self.assertLess(screen.index("Who takes the minutes"), screen.index("I can do it"))

        t.text("I will bring the projector")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["content"].get("body") ==
                                     "I will bring the projector")
        self.assertEqual(ev["content"]["m.relates_to"],
                         {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                          "m.in_reply_to": {"event_id": second}})
        t.wait_screen(lambda s: "I will bring the projector" in s and "sending" not in s,
                      "the message in the thread")

        t.keys("Escape")
        screen = t.wait_screen(lambda s: "3 replies" in s, "the room again")
        self.assertIn("Lunch is at one", screen)
        self.assertNotIn("I can do it", screen)
        self.assertNotIn("› thread", self.title(t))

    def test_thread_command_and_a_reply_arriving_while_open(self):
        room, root, second = self.thread()
        t = self.start()
        t.wait_for("Lunch is at one")
        t.text("/thread")
        t.keys("Enter")
        t.wait_for("thread: Esc returns to the room")
        self.bob.send_event(room, "m.room.message",
                            in_thread(root, "Slides are in the shared drive", second))
        screen = t.wait_for("Slides are in the shared drive")
        self.assertNotIn("Lunch is at one", screen)
        t.keys("Escape")
        t.wait_for("⤷ 3 replies, last")
        t.text("/thread $nothing:here")
        t.keys("Enter")
        t.wait_for("no message $nothing:here")

    def test_a_search_result_in_a_thread_opens_in_its_thread(self):
        self.thread()
        t = self.start()
        t.wait_for("Lunch is at one")
        t.keys("C-f")
        t.wait_for("Search:")
        t.text("priya")
        screen = t.wait_for("1 result")
        self.assertIn("in a thread", screen)
        t.keys("Enter")
        wait_until(lambda: "SELECT" in self.status(t), what="the result selected")
        screen = t.wait_for("thread: Esc returns to the room")
        self.assertIn("I can do it", screen)
        self.assertNotIn("Lunch is at one", screen)
        self.assertIn("› thread", self.title(t))

    def test_replies_a_limited_sync_left_out_are_loaded_when_it_opens(self):
        room = self.shared_room("Board Room")
        root = self.bob.send_text(room, "Who takes the minutes on Thursday?")
        self.natter.ok("sync", "--once")
        self.bob.send_event(room, "m.room.message", in_thread(root, "I can do it"))
        for i in range(130):
            self.bob.send_text(room, f"filler {i:03d}")
        self.natter.ok("sync", "--once")   # limited: the reply is not cached
        self.natter.ok("read", "Board Room")
        t = self.start()
        screen = t.wait_for("filler 129")
        self.assertNotIn("reply", screen)
        t.text(f"/thread {root}")
        t.keys("Enter")
        screen = t.wait_screen(lambda s: "I can do it" in s, "the reply paged in")
        self.assertIn("thread: Esc returns to the room", screen)
        self.assertLess(screen.index("Who takes the minutes"), screen.index("I can do it"))
        self.assertNotIn("filler", screen)
        t.wait_screen(lambda s: "messages missing here" not in s, "the gap filled")


if __name__ == "__main__":
    unittest.main()
