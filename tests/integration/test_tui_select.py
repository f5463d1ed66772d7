"""Select mode, invitations and typing notices in the terminal UI, checked
from the other user's side of the server."""

import os
import shutil
import unittest

from test_tui import TuiTestCase, wait_until


class TuiSelectTest(TuiTestCase):
    def room_with(self, *bodies):
        """Board Room holding bob's messages, oldest first; returns (room, event ids)."""
        room = self.shared_room("Board Room")
        ids = [self.bob.send_text(room, b) for b in bodies]
        self.natter.ok("sync", "--once")
        return room, ids

    def select(self, t, ups):
        """Enters select mode on the newest message and moves up ups times."""
        t.keys("M-s")
        wait_until(lambda: "SELECT" in self.status(t), what="select mode")
        for _ in range(ups):
            t.keys("Up")

    def test_reply_to_an_older_message(self):
        room, ids = self.room_with("first point", "second point", "third point")
        t = self.start()
        t.wait_for("third point")
        self.select(t, 2)
        t.keys("r")
        t.wait_for("replying to")
        self.assertIn("first point", self.status(t))
        t.text("agreed on the first")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["sender"] == self.alice.user_id and
                                     "agreed on the first" in e["content"].get("body", ""))
        self.assertEqual(ev["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], ids[0])
        t.wait_for("↳")

    def test_edit_react_and_delete_the_selected_message(self):
        room, ids = self.room_with("from bob")
        t = self.start()
        for text in ("draft one", "draft two"):
            t.text(text)
            t.keys("Enter")
            self.bob.wait_for_event(room, lambda e, s=text: e["content"].get("body") == s)
        mine = self.bob.messages(room)["chunk"]
        first = next(e["event_id"] for e in mine if e["content"].get("body") == "draft one")
        t.wait_screen(lambda s: "sending" not in s and "draft two" in s, "both sent")
        # Keep a draft: editing puts it aside and gives it back after.
        t.text("half typed")
        self.select(t, 1)
        t.keys("e")
        t.wait_for("editing your message")
        t.keys("C-u")
        t.text("final one")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["content"].get("m.relates_to", {})
                                     .get("rel_type") == "m.replace")
        self.assertEqual(ev["content"]["m.relates_to"]["event_id"], first)
        self.assertEqual(ev["content"]["m.new_content"]["body"], "final one")
        # Other clients' fallback is "* final one", not a bullet list.
        self.assertEqual(ev["content"]["body"], "* final one")
        self.assertNotIn("formatted_body", ev["content"])
        t.wait_for("> half typed")
        t.wait_for("final one (edited)")

        # Bob's message cannot be edited; it can be reacted to.
        t.keys("C-u")
        self.select(t, 2)
        t.keys("e")
        t.wait_for("only your own text messages can be edited")
        t.keys("+")
        t.wait_for("react to")
        t.text("👍")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.reaction")
        self.assertEqual(ev["content"]["m.relates_to"],
                         {"rel_type": "m.annotation", "event_id": ids[0], "key": "👍"})
        t.wait_for("👍 1")

        # d asks first; another key keeps the message; d d deletes it.
        second = next(e["event_id"] for e in self.bob.messages(room)["chunk"]
                      if e["content"].get("body") == "draft two")
        self.select(t, 0)
        t.keys("d")
        t.wait_for("Press the key again")
        t.keys("Down")
        t.keys("d")
        t.wait_for("Press the key again")
        t.keys("d")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.redaction")
        self.assertEqual(ev["redacts"], second)
        t.wait_for("(message deleted)")

    def test_copy_puts_the_text_where_ctrl_y_pastes_it(self):
        self.room_with("the number is 4471", "later talk")
        t = self.start()
        t.wait_for("later talk")
        self.select(t, 1)
        t.keys("c")
        t.wait_for("copied the message")
        t.keys("Escape")
        wait_until(lambda: "SELECT" not in self.status(t), what="compose mode")
        t.keys("C-y")
        t.wait_for("> the number is 4471")

    def test_open_an_attachment_that_is_not_the_newest(self):
        room = self.shared_room("Board Room")
        older, newer = os.urandom(3000), os.urandom(4000)
        for data, name in ((older, "older.bin"), (newer, "newer.bin")):
            mxc = self.bob.upload(data, "application/octet-stream", name)
            self.bob.send_event(room, "m.room.message", {
                "msgtype": "m.file", "body": name, "url": mxc,
                "info": {"mimetype": "application/octet-stream", "size": len(data)}})
        record = self.fake_xdg_open()
        t = self.start()
        t.wait_for("newer.bin")
        self.select(t, 1)
        t.keys("o")
        path = wait_until(lambda: record.exists() and record.read_text(), what="xdg-open")
        self.assertEqual(os.path.basename(path), "older.bin")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), older)

    def test_open_a_link_as_the_message_shows_it(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "see [the report](https://example.org/q3-report) today")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "the deck", "format": "org.matrix.custom.html",
            "formatted_body": '<a href="https://example.org/deck?v=(2)">the deck</a>'})
        self.natter.ok("sync", "--once")
        record = self.fake_xdg_open()
        t = self.start()
        t.wait_for("the deck")
        self.select(t, 1)
        t.keys("o")
        # The Markdown link's closing bracket is not part of the link.
        url = wait_until(lambda: record.exists() and record.read_text(), what="xdg-open")
        self.assertEqual(url, "https://example.org/q3-report")
        record.unlink()
        t.keys("Down")
        t.keys("o")
        url = wait_until(lambda: record.exists() and record.read_text(), what="xdg-open")
        self.assertEqual(url, "https://example.org/deck?v=(2)")

    def test_mark_a_range_of_messages(self):
        self.room_with(*[f"point {i}" for i in range(6)])
        t = self.start()
        t.wait_for("point 5")
        self.select(t, 1)
        t.keys("m")
        t.wait_for("range started")
        t.keys("Up")
        t.keys("Up")
        wait_until(lambda: "(3 marked)" in self.status(t), what="three marked")
        t.keys("Escape")
        t.wait_screen(lambda s: "3 marked" in self.status_of(s) and
                      "SELECT" not in self.status_of(s), "the range kept in compose mode")
        t.keys("Escape")
        t.wait_for("range cleared")
        self.assertNotIn("marked", self.status(t))

    def test_select_mode_moves_into_older_history(self):
        room = self.shared_room("Board Room")
        for i in range(30):
            self.bob.send_text(room, f"line {i:02d}")
        self.natter.ok("sync", "--once")
        t = self.start()
        t.wait_for("line 29")
        t.keys("M-s")
        for _ in range(29):
            t.keys("Up")
        t.wait_for("line 00")
        t.keys("c")
        t.wait_for("copied")
        t.keys("Escape")
        wait_until(lambda: "SELECT" not in self.status(t), what="compose mode")
        t.keys("C-y")
        t.wait_for("> line 00")

    def test_accept_and_decline_invitations_with_keys(self):
        self.shared_room("Lobby")
        first = self.bob.create_room(name="Offsite Planning", invite=[self.alice.user_id])
        t = self.start()
        t.wait_for("Offsite Planning")
        t.keys("C-k")
        t.text("Offsite")
        t.keys("Enter")
        t.wait_for("You are invited to Offsite Planning")
        t.keys("M-j")
        self.bob.wait_for_event(first, lambda e: e["type"] == "m.room.member" and
                                e["state_key"] == self.alice.user_id and
                                e["content"].get("membership") == "join")
        t.wait_for("accepted the invitation")

        second = self.bob.create_room(name="Spam Club", invite=[self.alice.user_id])
        t.wait_for("Spam Club")
        t.keys("C-k")
        t.text("Spam")
        t.keys("Enter")
        t.wait_for("You are invited to Spam Club")
        t.keys("M-r")
        self.bob.wait_for_event(second, lambda e: e["type"] == "m.room.member" and
                                e["state_key"] == self.alice.user_id and
                                e["content"].get("membership") == "leave")
        t.wait_for("declined the invitation")
        wait_until(lambda: not any("Spam Club" in l and "│" in l
                                   for l in t.screen().splitlines()),
                   what="the declined room gone from the list")

    def test_mentions_links_and_edited_marks_are_drawn_apart(self):
        self.alice.set_displayname("Alice Archer")
        room = self.shared_room("Board Room")
        ev = self.bob.send_text(room, "for alice archer: read https://example.org/q3 first")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "* fixed", "m.new_content": {
                "msgtype": "m.text", "body": "for alice archer: read https://example.org/q3 now"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": ev}})
        t = self.start()
        t.wait_for("(edited)")
        line = "".join(l for l in t.tmux("capture-pane", "-p", "-e", "-J", "-t", "t")
                       .splitlines() if "example.org" in l or "(edited)" in l)

        def attrs_before(word):
            """The SGR sequences in effect where word starts on the line."""
            head = line[:line.index(word)]
            return head[head.rindex("\x1b["):] if "\x1b[" in head else ""

        plain = attrs_before("for ")
        self.assertNotEqual(attrs_before("alice archer"), plain)
        self.assertNotEqual(attrs_before("https://"), plain)
        self.assertNotEqual(attrs_before("(edited)"), plain)
        self.assertNotEqual(attrs_before("alice archer"), attrs_before("https://"))

    def test_a_refused_message_can_be_retried_or_discarded(self):
        room = self.shared_room("Board Room")
        levels = self.bob.get_state(room, "m.room.power_levels")
        levels["events_default"] = 50
        self.bob.send_state(room, "m.room.power_levels", "", levels)
        t = self.start()
        t.text("is this on?")
        t.keys("Enter")
        t.wait_for("/retry or /discard")
        self.assertIn("not sent", t.screen())
        levels["events_default"] = 0
        self.bob.send_state(room, "m.room.power_levels", "", levels)
        t.text("/retry")
        t.keys("Enter")
        t.wait_for("sending 1 message again")
        ev = self.bob.wait_for_event(room, lambda e: e["content"].get("body") == "is this on?")
        self.assertEqual(ev["sender"], self.alice.user_id)
        wait_until(lambda: "/retry or /discard" not in t.screen(), what="the failure gone")

        levels["events_default"] = 50
        self.bob.send_state(room, "m.room.power_levels", "", levels)
        t.text("never mind")
        t.keys("Enter")
        t.wait_for("/retry or /discard")
        t.text("/discard")
        t.keys("Enter")
        t.wait_for("discarded 1 unsent message")
        wait_until(lambda: "never mind" not in t.screen(), what="the discarded message gone")

    def test_typing_is_sent_and_stopped(self):
        room = self.shared_room("Board Room")
        other = self.shared_room("Travel Desk")
        since = self.bob.sync()["next_batch"]
        t = self.start()
        self.switch(t, "Board Room")

        def typing_changes():
            """The typing lists bob's next sync brings, by room."""
            nonlocal since
            resp = self.bob.sync(since=since, timeout=2000)
            since = resp["next_batch"]
            return {rid: e["content"]["user_ids"]
                    for rid, r in resp.get("rooms", {}).get("join", {}).items()
                    for e in r.get("ephemeral", {}).get("events", []) if e["type"] == "m.typing"}

        t.text("let me think")
        users = wait_until(lambda: typing_changes().get(room), what="a typing notice")
        self.assertEqual(users, [self.alice.user_id])
        t.keys("C-u")
        wait_until(lambda: typing_changes().get(room) == [], what="typing stopped")
        # A command is not a message being typed. The server orders typing
        # notices: once it tells of typing in Travel Desk, begun after the
        # command was drawn, a notice for the command would have come first.
        t.text("/help")
        t.wait_for("> /help")
        self.switch(t, "Travel Desk")
        t.text("a real message")
        seen = {}
        wait_until(lambda: seen.update(typing_changes()) or seen.get(other),
                   what="typing in Travel Desk")
        self.assertNotIn(room, seen)


if __name__ == "__main__":
    unittest.main()
