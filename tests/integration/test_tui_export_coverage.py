"""The interface's /export and search say when the cache lacks part of a
room's history: /export fetches it first (or, when it cannot, its note and
the mail say what the export covers), and search offers to fetch it. A
direct chat's mail is a conversation with its other person."""

import email
import email.policy
import time
import unittest
import urllib.parse

from test_cli_export import FROM, SmtpSink, body_of, parse
from test_tui import TuiTestCase, wait_until


# A sync brings a room's newest 10 (sliding sync) or 50 (/v3/sync)
# messages, and the interface pages in 100 more to fill the pane of the
# room it opens: this many leave the start of the room out of the cache.
COUNT = 150


class TuiExportCoverageTest(TuiTestCase):
    def setUp(self):
        super().setUp()
        conf = self.natter.config_home / "natter" / "config"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f"[mail]\nfrom = {FROM}\n")

    def room_with_history(self, count=COUNT):
        """bob's room with alice in it from the start; more messages than a sync
        brings and the interface pages in to fill its pane, so the cache starts
        mid-conversation."""
        room = self.bob.create_room(name="Archive", invite=[self.alice.user_id])
        self.alice.join(room)
        for i in range(count):
            self.bob.send_text(room, f"minute {i:03d}")
        t = self.start(200, 30)
        t.wait_for(f"minute {count - 1:03d}")
        return room, t

    def mail(self, path):
        wait_until(lambda: path.exists(), what="the .eml", timeout=60)
        return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)

    def minutes(self, plain):
        return [line.split(": ", 1)[1] for line in plain.splitlines() if ": minute " in line]

    def test_export_fetches_what_the_cache_lacks_first(self):
        room, t = self.room_with_history()
        path = self.natter.home / "whole.eml"
        t.text(f"/export {path}")
        t.keys("Enter")
        t.wait_for(f"exported {COUNT} messages from Archive", timeout=60)
        self.assertNotIn("not available", t.screen())
        plain = body_of(self.mail(path), "plain")
        self.assertEqual(self.minutes(plain), [f"minute {i:03d}" for i in range(COUNT)])

    def test_export_that_cannot_fetch_says_what_it_covers(self):
        room, t = self.room_with_history()
        # The export runs as a child that reads the session anew: point it at
        # a closed port, while the interface goes on with the one it has.
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, "http://127.0.0.1:9"))
        path = self.natter.home / "part.eml"
        t.text(f"/export {path}")
        t.keys("Enter")
        t.wait_for("earlier messages were not available", timeout=90)
        status = self.status(t)
        self.assertIn("exported ", status)
        self.assertIn("; this export covers ", status)
        plain = body_of(self.mail(path), "plain")
        self.assertIn("\nNote: this export covers ", plain)
        self.assertIn("earlier messages were not available", plain)
        self.assertNotIn("minute 000", plain)
        self.assertIn(f"minute {COUNT - 1:03d}", plain)

    def test_search_says_rooms_are_not_fully_cached_and_fetches_them(self):
        room, t = self.room_with_history()
        t.keys("C-f")
        t.text("minute")
        t.wait_for("1 room is not fully cached, C-b fetches it")
        self.assertNotIn(f" {COUNT} results", t.screen())
        t.keys("C-b")
        t.wait_for(f"{COUNT} results", timeout=60)
        t.wait_for("history fetched")
        self.assertNotIn("not fully cached", t.screen())


    def test_a_direct_chat_is_mailed_as_a_conversation_with_its_other_person(self):
        sink = SmtpSink(self.natter.home / "sink")
        self.addCleanup(sink.stop)
        conf = self.natter.config_home / "natter" / "config"
        conf.write_text(f"[mail]\nfrom = {FROM}\nsmtp_url = smtp://127.0.0.1:{sink.port}\n")
        self.bob.set_displayname("Dana Whitfield")
        room = self.bob.create_room(invite=[self.alice.user_id], is_direct=True)
        self.alice.join(room)
        path = f"/user/{urllib.parse.quote(self.alice.user_id)}/account_data/m.direct"
        self.alice._c("PUT", path, {self.bob.user_id: [room]})
        self.bob.send_text(room, "Can you move my 3pm?")
        t = self.start(120, 30)
        self.switch(t, "Dana Whitfield")
        t.wait_for("Can you move my 3pm?")
        t.text("/export boss@example.org")
        t.keys("Enter")
        t.wait_for('subject (empty: "Conversation with NAME, DATES")')
        t.keys("Enter")
        wait_until(lambda: sink.mails(), what="the mail", timeout=60)
        (_, raw), = sink.mails()
        today = time.strftime("%Y-%m-%d")
        self.assertEqual(parse(raw)["Subject"], f"Conversation with Dana Whitfield, {today}")


if __name__ == "__main__":
    unittest.main()
