"""/broadcast and /report in the terminal interface: the report view follows
receipts and answers as they arrive, and says who read, who replied and who
did neither; a named list of the config works as --to does."""

import unittest
from urllib.parse import quote

from test_tui import TuiTestCase, wait_until

TEXT = "Offsite moved to Friday"


class TuiBroadcastTest(TuiTestCase):
    def command(self, t, line):
        t.text(line)
        t.keys("Enter")

    def line_of(self, screen, user):
        lines = [line for line in screen.splitlines() if f"({user.user_id}): " in line]
        return lines[0] if lines else ""

    def test_report_view_follows_who_reads_and_who_replies(self):
        carol = self.hs.register("carol")
        dave = self.hs.register("dave")
        board = self.bob.create_room(name="Board", invite=[self.alice.user_id,
                                                           dave.user_id])
        self.alice.join(board)
        dave.join(board)
        # More messages than a sync's timeline holds: a sync, which loads
        # members lazily, tells natter of no member but bob.
        for i in range(12):
            self.bob.send_text(board, f"agenda item {i}")
        self.alice.mark_read(board)
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f"[crypto]\nencrypt_dms = off\n[lists]\nteam = Board, {carol.user_id}\n")
        t = self.start(cols=200, rows=30)

        self.command(t, "/broadcast @list:nobody hello")
        t.wait_for('no list "nobody" in [lists] of the config (the config\'s lists are team); '
                   "nothing was sent")
        self.command(t, f"/broadcast @list:team {TEXT}")
        t.wait_for("broadcast 1 sent to 2 of 2 (/report 1)", timeout=60)
        copy = self.bob.wait_for_event(board, lambda e: e["sender"] == self.alice.user_id
                                       and e.get("content", {}).get("body") == TEXT)
        dm = wait_until(lambda: next(iter(carol.sync()["rooms"].get("invite", {})), None),
                        what="carol's invitation")
        carol.join(dm)

        self.command(t, "/report")
        screen = t.wait_for("any other key closes the report")
        self.assertIn("Broadcast 1, ", screen)
        self.assertIn(TEXT, screen)
        self.assertIn("Board (Board)", screen)
        self.assertRegex(self.line_of(screen, dave), r": sent .*; not read; no reply$")

        # The view is made again as each sync lands: no key is pressed.
        self.bob._c("POST", f"/rooms/{quote(board)}/receipt/m.read/{quote(copy['event_id'])}",
                    {})
        carol.send_text(dm, "Thanks \x1b[2J\x1b]0;pwned\x07 noted")
        screen = t.wait_screen(
            lambda s: "; read " in self.line_of(s, self.bob)
            and "replied" in self.line_of(s, carol), "bob read and carol replied", timeout=30)
        self.assertRegex(self.line_of(screen, self.bob), r": sent .*; read \d{4}-.*; no reply$")
        self.assertRegex(self.line_of(screen, carol),
                         r": sent .*; not read; replied \d{4}-.*: \"Thanks .*noted\"$")
        self.assertRegex(self.line_of(screen, dave), r"; not read; no reply$")
        self.assertIn("(direct chat)", screen)
        self.assertIn("3 people: 1 read it, 1 replied", screen)

        t.keys("Escape")
        wait_until(lambda: "closes the report" not in t.screen(), what="the report closed")
        self.command(t, "/report 7")
        t.wait_for("there is no broadcast 7")

    def test_targets_named_in_words_end_where_a_name_ends(self):
        carol = self.hs.register("carol", displayname="Carol Jones")
        board = self.shared_room("Board Room")
        exec_team = self.shared_room("Exec Team")
        dm = self.alice.create_room(invite=[carol.user_id], is_direct=True)
        carol.join(dm)
        self.alice.set_account_data("m.direct", {carol.user_id: [dm]})
        t = self.start(cols=160)
        t.wait_for("Carol Jones")
        # A comma, with or without a space, between names of several words;
        # the text starts after the longest that names a room or a person.
        self.command(t, "/broadcast Board Room, Carol Jones,Exec Team Offsite moved, "
                        "see the agenda")
        t.wait_for("broadcast 1 sent to 3 of 3 (/report 1): Board Room, Carol Jones, Exec Team",
                   timeout=60)
        text = "Offsite moved, see the agenda"
        for room in (board, exec_team):
            self.bob.wait_for_event(room, lambda e: e["sender"] == self.alice.user_id
                                    and e.get("content", {}).get("body") == text)
        carol.wait_for_event(dm, lambda e: e.get("content", {}).get("body") == text)
        self.command(t, "/broadcast Board Room")
        t.wait_for("usage: /broadcast ROOM[,ROOM...] TEXT")


if __name__ == "__main__":
    unittest.main()
