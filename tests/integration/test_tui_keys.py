"""Moving between rooms and through the messages with the keys and the
mouse wheel, in tmux against the testbed."""

import re
import shutil
import time
import unittest
import uuid

from natter_harness import _q
from test_tui import TuiTestCase, wait_until


class TuiKeysTest(TuiTestCase):
    def list_order(self, t):
        """The room names of the list, top to bottom, without headings."""
        names = []
        for line in t.screen().splitlines()[1:]:
            if "│" not in line:
                continue
            left = line.split("│")[0]
            if left.startswith(" ") and left.strip():
                names.append(left.strip().rsplit(" ", 1)[0] if left.strip()[-1].isdigit()
                             else left.strip())
        return names

    def test_the_list_has_its_sections_in_order(self):
        fav = self.shared_room("Favourite Room")
        low = self.shared_room("Someday Room")
        self.shared_room("Plain Room")
        for room, tag in ((fav, "m.favourite"), (low, "m.lowpriority")):
            self.alice._c("PUT", f"/user/{_q(self.alice.user_id)}/rooms/{_q(room)}/tags/{tag}",
                          {"order": 0.5})
        dm = self.bob.create_room(invite=[self.alice.user_id], is_direct=True)
        self.alice.join(dm)
        self.alice._c("PUT", f"/user/{_q(self.alice.user_id)}/account_data/m.direct",
                      {self.bob.user_id: [dm]})
        self.bob.create_room(name="Invited Room", invite=[self.alice.user_id])
        t = self.start()
        t.wait_for("Invited Room")

        def column():
            return [l.split("│")[0].strip() for l in t.screen().splitlines()[1:] if "│" in l
                    and l.split("│")[0].strip()]

        want = ["Invites", "Invited Room", "Favourites", "Favourite Room", "Direct",
                self.bob.user_id.split(":")[0][1:], "Rooms", "Plain Room", "Low priority",
                "Someday Room"]
        got = wait_until(lambda: len(column()) >= len(want) and column(), what="the sections")
        names = [re.sub(r"\s+\d+( @\d+)?$", "", c) for c in got]
        self.assertEqual(names[:len(want)], want)

    def test_drafts_survive_switching_rooms_and_restarting(self):
        self.shared_room("Alpha Room")
        self.shared_room("Bravo Room")
        t = self.start()
        self.switch(t, "Alpha Room")
        t.text("draft for alpha")
        self.switch(t, "Bravo Room")
        t.text("draft for bravo")
        t.keys("M-Enter")
        t.text("and its second line")
        screen = t.wait_for("and its second line")
        lines = screen.rstrip("\n").split("\n")
        self.assertEqual(lines[-2].strip(), "> draft for bravo")  # the box grew a row
        self.assertIn("and its second line", lines[-1])
        self.switch(t, "Alpha Room")
        t.wait_for("> draft for alpha")
        t.keys("C-q")
        wait_until(lambda: not t.alive(), what="natter to quit")
        t = self.start()
        self.switch(t, "Bravo Room")
        t.wait_for("and its second line")
        self.switch(t, "Alpha Room")
        t.wait_for("> draft for alpha")

    def test_a_pasted_newline_never_sends(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.tmux("set-buffer", "first pasted line\nsecond pasted line\n")
        t.tmux("paste-buffer", "-p", "-t", "t")
        # The whole paste is in the compose box, its first line not sent.
        screen = t.wait_for("second pasted line")
        lines = screen.rstrip("\n").split("\n")
        self.assertEqual(lines[-2].strip(), "> first pasted line", screen)
        self.assertIn("second pasted line", lines[-1])
        t.keys("Enter")
        self.bob.wait_for_event(room, lambda e: e["sender"] == self.alice.user_id and
                                e["type"] == "m.room.message")
        # Sent in order: a line the paste had sent would be on the server before.
        mine = [e["content"]["body"] for e in self.bob.messages(room)["chunk"]
                if e["sender"] == self.alice.user_id and e["type"] == "m.room.message"]
        self.assertEqual(mine, ["first pasted line\nsecond pasted line"])

    def test_alt_digits_and_alt_arrows_move_between_rooms(self):
        for name in ("Alpha Room", "Bravo Room", "Charlie Room"):
            self.shared_room(name)
        t = self.start()
        t.wait_for("Charlie Room")
        order = wait_until(lambda: len(self.list_order(t)) == 3 and self.list_order(t),
                           what="three rooms listed")
        t.keys("M-2")
        wait_until(lambda: self.title(t) == order[1], what="room 2")
        t.keys("M-3")
        wait_until(lambda: self.title(t) == order[2], what="room 3")
        t.keys("M-Down")
        wait_until(lambda: self.title(t) == order[0], what="round to the first room")
        t.keys("M-Up")
        wait_until(lambda: self.title(t) == order[2], what="back round to the last")
        t.keys("C-p")
        wait_until(lambda: self.title(t) == order[1], what="C-p")

    def test_alt_a_goes_to_mentions_first_then_unread(self):
        quiet = self.shared_room("Quiet Room")
        chatty = self.shared_room("Chatty Room")
        urgent = self.shared_room("Urgent Room")
        self.shared_room("Lobby")
        t = self.start()
        t.wait_for("Lobby")
        self.bob.send_text(chatty, "just chatting")
        self.bob.send_text(urgent, f"{self.alice.user_id} please call me")
        t.wait_screen(lambda s: "Urgent Room" in s and "Chatty Room" in s, "the rooms")
        # Mentions and unread come from the server's counts with the next sync.
        # The list counts unread messages, and the ones that mention you after "@".
        wait_until(lambda: any(re.search(r"Urgent Room\s+1 @1\s*│", l)
                               for l in t.screen().splitlines()), what="the mention count")
        wait_until(lambda: any(re.search(r"Chatty Room\s+1\s*│", l)
                               for l in t.screen().splitlines()), what="the unread count")
        t.keys("M-a")
        wait_until(lambda: self.title(t) == "Urgent Room", what="the mention first")
        t.keys("M-a")
        wait_until(lambda: self.title(t) == "Chatty Room", what="then the unread room")
        # Once the server has counted Urgent Room read, no room is left: the
        # read ones (Quiet Room, Lobby) are never chosen.
        wait_until(lambda: any(re.search(r"Urgent Room\s*│", l)
                               for l in t.screen().splitlines()), what="Urgent Room read")
        t.keys("M-a")
        t.wait_for("no other room has unread messages")
        self.assertEqual(self.title(t), "Chatty Room")

    def test_ctrl_k_finds_a_room_by_its_alias(self):
        alias = f"budget-{uuid.uuid4().hex[:6]}"
        room = self.bob.create_room(name="Finance", alias=alias, preset="public_chat")
        self.alice.join(room)
        self.shared_room("Lobby")
        t = self.start()
        t.wait_for("Lobby")
        t.keys("C-k")
        t.text(alias)
        t.keys("Enter")
        wait_until(lambda: self.title(t) == "Finance", what="the room found by its alias")

    def scroll_until(self, t, needle):
        for _ in range(40):
            if needle in t.screen():
                return t.screen()
            t.keys("PageUp")
            time.sleep(0.3)
        return t.wait_for(needle)

    def test_a_gap_left_by_a_limited_sync_is_marked_and_filled(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "before the gap")
        self.natter.ok("sync", "--once")
        for i in range(130):
            self.bob.send_text(room, f"gap message {i:03d}")
        self.natter.ok("sync", "--once")   # limited: the oldest of them are not cached
        # Offline, the hole is marked where it is and stays marked.
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        t = self.terminal()
        t.wait_for("gap message 129")
        screen = self.scroll_until(t, "before the gap")
        lines = [l.split("│")[-1] for l in screen.splitlines()]
        at = next(i for i, l in enumerate(lines) if "before the gap" in l)
        self.assertIn("messages missing here", lines[at + 1])
        self.assertNotIn("gap message 000", screen)
        t.close()
        # Online, scrolling to it fills it.
        session.write_text(good)
        t = self.start()
        t.wait_for("gap message 129")
        screen = self.scroll_until(t, "before the gap")
        lines = [l.split("│")[-1] for l in screen.splitlines()]
        at = next(i for i, l in enumerate(lines) if "before the gap" in l)
        self.assertIn("gap message 000", lines[at + 1])
        self.assertIn("gap message 001", lines[at + 2])
        self.assertNotIn("messages missing here", t.screen())

    def test_mouse_wheel_scrolls_the_messages(self):
        room = self.shared_room("Board Room")
        for i in range(60):
            self.bob.send_text(room, f"line {i:02d}")
        t = self.start()
        t.wait_for("line 59")
        self.assertNotIn("line 20", t.screen())
        for _ in range(15):
            t.text("\x1b[<64;50;10M")   # SGR mouse: wheel up at column 50, row 10
        t.wait_for("line 20")
        t.wait_for("-- scrolled --")
        for _ in range(15):
            t.text("\x1b[<65;50;10M")   # wheel down
        t.wait_for("line 59")
        wait_until(lambda: "-- scrolled --" not in t.screen(), what="back at the newest")

    def esc_pause_key(self, t):
        """Types hello, Esc, and after a pause b then X."""
        t.text("hello")
        t.wait_for("> hello")
        t.keys("Escape")
        time.sleep(0.3)  # the pause is what is tested: well over natter's 25 ms
        t.text("b")
        t.text("X")

    def test_esc_then_a_key_after_a_pause_is_esc_then_the_key(self):
        self.shared_room("Board Room")
        t = self.start()
        self.esc_pause_key(t)
        t.wait_for("> hellobX")

    def test_escdelay_from_the_environment_is_honoured(self):
        self.shared_room("Board Room")
        self.natter.env["ESCDELAY"] = "3000"
        t = self.start()
        self.esc_pause_key(t)
        t.wait_for("> Xhello")  # within 3 s, Esc b is M-b: a word left


if __name__ == "__main__":
    unittest.main()
