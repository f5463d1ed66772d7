"""natter export covers what was asked, not only what the cache held: the
history the cache lacks is fetched first, with progress; when it cannot be
(the homeserver out of reach) the mail and stderr say what the export covers.
A direct chat's mail is "Conversation with" its other person; deleted
messages stay out unless asked for."""

import time
import unittest
import urllib.parse

from cli_support import NatterTestCase
from test_cli_export import body_of, parse, all_defects


class ExportCoverageTest(NatterTestCase):
    def room_with_history(self, count, name="Archive", prefix="minute"):
        """bob's room with alice in it from the start, then count messages from bob:
        more than one sync brings, so natter's cache starts mid-conversation."""
        self.bob.set_displayname("Dana Whitfield")
        room = self.bob.create_room(name=name, invite=[self.alice.user_id])
        self.alice.join(room)
        sent = [f"{prefix} {i:03d}" for i in range(count)]
        ids = [self.bob.send_text(room, body) for body in sent]
        self.natter.ok("sync", "--once")
        self.assertNotIn(sent[0], self.cached(prefix), "the first sync already held the start")
        return room, sent, ids

    def cached(self, word):
        """The bodies holding word that the cache has (search reads only the cache)."""
        hits = self.natter.json_lines("search", word, "--limit", "1000")
        return sorted(h["body"] for h in hits)

    def go_offline(self):
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, "http://127.0.0.1:9"))

    def export_eml(self, *args, name="out.eml"):
        r = self.natter.run("export", *args, "--eml", name, timeout=120)
        self.assertEqual(r.returncode, 0, f"stdout: {r.stdout}\nstderr: {r.stderr}")
        msg = parse((self.natter.home / name).read_bytes())
        self.assertEqual(all_defects(msg), [])
        return r, msg

    def bodies_in(self, plain, prefix):
        return [line.split(": ", 1)[1] for line in plain.splitlines()
                if ": " + prefix + " " in line]

    def test_a_room_whose_start_was_not_cached_is_fetched_and_mailed_whole(self):
        room, sent, ids = self.room_with_history(60)
        r, msg = self.export_eml("Archive")
        self.assertIn("export: fetching older messages of Archive:", r.stderr)
        self.assertNotIn("not available", r.stderr)
        self.assertIn("exported 60 messages from Archive", r.stderr)
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assertEqual(self.bodies_in(plain, "minute"), sent)
        self.assertNotIn("Note:", plain)
        self.assertNotIn("not available", html)
        self.assertEqual(msg["X-Natter-Last-Event"], ids[-1])
        # The room's start is cached now: a second export fetches nothing.
        again, _ = self.export_eml("Archive", name="again.eml")
        self.assertNotIn("fetching", again.stderr)

    def test_a_gap_inside_a_marked_range_is_fetched(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Ledger")
        first = self.bob.send_text(room, "before the gap")
        self.natter.ok("sync", "--once")
        # More than one sync brings arrive while natter is away.
        away = [f"entry {i:03d}" for i in range(70)]
        for body in away:
            self.bob.send_text(room, body)
        last = self.bob.send_text(room, "after the gap")
        self.natter.ok("sync", "--once")
        self.assertNotIn(away[0], self.cached("entry"))
        r, msg = self.export_eml("Ledger", "--first", first, "--last", last)
        self.assertNotIn("not available", r.stderr)
        plain = body_of(msg, "plain")
        self.assertEqual(self.bodies_in(plain, "entry"), away)
        self.assertIn("exported 72 messages from Ledger", r.stderr)

    def test_offline_the_mail_and_stderr_say_what_the_export_covers(self):
        room, sent, ids = self.room_with_history(60)
        cached = self.cached("minute")
        self.go_offline()
        r, msg = self.export_eml("Archive")
        self.assertIn("natter: export: cannot fetch older messages", r.stderr)
        covers = [line for line in r.stderr.splitlines()
                  if line.startswith("natter: export: this export covers ")]
        self.assertEqual(len(covers), 1, r.stderr)
        self.assertTrue(covers[0].endswith("; earlier messages were not available"), covers)
        # The last line (what the interface shows) says it too.
        last = r.stderr.splitlines()[-1]
        self.assertTrue(last.startswith("exported "), last)
        self.assertIn("; this export covers ", last)
        self.assertIn("earlier messages were not available", last)
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        note = [line for line in plain.splitlines() if line.startswith("Note: ")]
        self.assertEqual(note, ["Note: " + covers[0][len("natter: export: "):]])
        self.assertIn("earlier messages were not available", html)
        # The times are those of the oldest and newest message mailed.
        mailed = self.bodies_in(plain, "minute")
        self.assertEqual(mailed, cached)
        self.assertEqual(mailed[-1], sent[-1])
        self.assertRegex(covers[0], r"covers \d{1,2} \w{3} \d\d:\d\d \u2013 \d{1,2} \w{3} "
                         r"\d\d:\d\d;")

    def direct_chat(self):
        """A direct chat bob started with alice, in alice's m.direct."""
        self.bob.set_displayname("Dana Whitfield")
        room = self.bob.create_room(invite=[self.alice.user_id], is_direct=True)
        self.alice.join(room)
        path = f"/user/{urllib.parse.quote(self.alice.user_id)}/account_data/m.direct"
        self.alice._c("PUT", path, {self.bob.user_id: [room]})
        return room

    def test_a_direct_chat_is_a_conversation_with_its_other_person(self):
        room = self.direct_chat()
        self.bob.send_text(room, "Can you move my 3pm?")
        self.natter.ok("sync", "--once")
        r, msg = self.export_eml(room)
        today = time.strftime("%Y-%m-%d")
        self.assertRegex(msg["Subject"], rf"^Conversation with Dana Whitfield, {today}$")
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assertTrue(plain.startswith("Conversation with Dana Whitfield ("), plain[:80])
        self.assertIn("<h1 style=\"font-size:18px;margin:0 0 4px\">Conversation with Dana "
                      "Whitfield</h1>", html)

    def test_a_direct_chat_name_is_sanitised_in_the_subject(self):
        room = self.direct_chat()
        self.bob.set_displayname("Dana\r\nBcc: evil@attacker.example")
        self.bob.send_text(room, "hello")
        self.natter.ok("sync", "--once")
        r, msg = self.export_eml(room)
        self.assertIsNone(msg["Bcc"])
        self.assertTrue(msg["Subject"].startswith("Conversation with Dana"), msg["Subject"])
        self.assertNotIn("\n", msg["Subject"])

    def test_deleted_messages_are_left_out_unless_asked_for(self):
        room = self.shared_room("Desk")
        self.bob.send_text(room, "kept one")
        doomed = self.bob.send_text(room, "this will be deleted")
        self.bob.redact(room, doomed)
        last = self.bob.send_text(room, "kept two")
        self.bob.wait_for_event(room, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        r, msg = self.export_eml("Desk")
        self.assertIn("exported 2 messages from Desk", r.stderr)
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assertIn("kept one", plain)
        self.assertIn("kept two", plain)
        self.assertNotIn("(deleted)", plain)
        self.assertNotIn("(deleted)", html)
        r, msg = self.export_eml("Desk", "--include-deleted", name="all.eml")
        self.assertIn("exported 3 messages from Desk", r.stderr)
        self.assertIn(": (deleted)", body_of(msg, "plain"))
        self.assertNotIn("this will be deleted", body_of(msg, "plain"))


if __name__ == "__main__":
    unittest.main()
