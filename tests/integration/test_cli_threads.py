"""Threads (m.thread) through the CLI: replies under their root, a thread
listed alone, and messages sent into one as another client reads them."""

import email
import email.policy
import re
import unittest
from urllib.parse import quote

from cli_support import NatterTestCase, natter_for


def in_thread(root, body, latest=None):
    """The content Element sends for a message in root's thread."""
    return {"msgtype": "m.text", "body": body,
            "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                             "m.in_reply_to": {"event_id": latest or root}}}


class ThreadsTest(NatterTestCase):
    def thread(self, room):
        """bob's root with two replies in its thread and a message after it."""
        root = self.bob.send_text(room, "Who takes the minutes on Thursday?")
        first = self.bob.send_event(room, "m.room.message", in_thread(root, "I can do it"))
        second = self.bob.send_event(room, "m.room.message",
                                     in_thread(root, "Then Priya does the slides", first))
        self.bob.send_text(room, "Lunch is at one")
        self.natter.ok("sync", "--once")
        return root, first, second

    def test_replies_show_under_their_root(self):
        room = self.shared_room()
        root, first, second = self.thread(room)
        text = self.natter.ok("history", "Planning")
        self.assertIn("Who takes the minutes on Thursday?", text)
        self.assertIn("Lunch is at one", text)
        self.assertNotIn("I can do it", text)
        self.assertRegex(text, r"\n\s+\[thread: 2 replies, last .+: Then Priya does the slides\]")
        self.assertNotIn("Then Priya does the slides\n", text)
        msgs = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertNotIn(first, msgs)
        self.assertNotIn(second, msgs)
        self.assertEqual(msgs[root]["thread_replies"], 2)
        self.assertEqual(msgs[root]["thread_last_sender"], self.bob.user_id)
        self.assertNotIn("thread_root", msgs[root])

    def test_history_of_a_thread(self):
        room = self.shared_room()
        root, first, second = self.thread(room)
        for asked in (root, second):
            lines = self.natter.json_lines("history", "Planning", "--thread", asked)
            self.assertEqual([m["event_id"] for m in lines], [root, first, second])
            self.assertEqual([m.get("thread_root") for m in lines], [None, root, root])
        text = self.natter.ok("history", "--thread", root, "Planning")
        order = [text.index(s) for s in ("Who takes the minutes", "I can do it",
                                          "Then Priya does the slides")]
        self.assertEqual(order, sorted(order))
        self.assertNotIn("Lunch is at one", text)
        self.assertNotIn("[thread:", text)
        self.assertNotIn("[in thread", text)
        r = self.natter.run("history", "Planning", "--thread", "$nothing:here")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^natter: .*no event")

    def test_send_into_a_thread(self):
        room = self.shared_room()
        root, first, second = self.thread(room)
        out = self.natter.ok("send", "Planning", "--thread", root, "I will bring the projector")
        sent = out.split()[-1]
        ev = self.bob.wait_for_event(room, lambda e: e["event_id"] == sent)
        rel = ev["content"]["m.relates_to"]
        self.assertEqual(rel, {"rel_type": "m.thread", "event_id": root,
                               "is_falling_back": True, "m.in_reply_to": {"event_id": second}})
        # Named by one of its replies, the thread is still the root's; the
        # fallback names the newest reply the cache knows.
        self.natter.ok("sync", "--once")
        out = self.natter.ok("send", "Planning", "--thread", first, "and the clicker")
        later = out.split()[-1]
        ev = self.bob.wait_for_event(room, lambda e: e["event_id"] == later)
        self.assertEqual(ev["content"]["m.relates_to"]["event_id"], root)
        self.assertEqual(ev["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], sent)
        # The homeserver counts it in the root's thread, as Element asks it.
        got = self.bob.api("GET", f"/_matrix/client/v1/rooms/{quote(room, safe='')}/relations/"
                           f"{quote(root, safe='')}/m.thread")
        self.assertEqual({e["event_id"] for e in got["chunk"]}, {first, second, sent, later})
        self.natter.ok("sync", "--once")
        lines = self.natter.json_lines("history", "Planning", "--thread", root)
        self.assertEqual([m["body"] for m in lines][-2:],
                         ["I will bring the projector", "and the clicker"])
        msgs = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertEqual(msgs[root]["thread_replies"], 4)

    def test_send_into_a_thread_of_another_room_or_none(self):
        room = self.shared_room()
        root, _, _ = self.thread(room)
        self.shared_room(name="Travel")
        r = self.natter.run("send", "Travel", "--thread", root, "wrong room")
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not in that room", r.stderr)
        r = self.natter.run("send", "Planning", "--thread", "root", "hi")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--thread wants an event id", r.stderr)

    def test_search_says_a_hit_is_in_a_thread_and_names_its_root(self):
        room = self.shared_room()
        root, first, _ = self.thread(room)
        hits = self.natter.json_lines("search", "can do")
        self.assertEqual([(h["event_id"], h["thread_root"]) for h in hits], [(first, root)])
        hits = self.natter.json_lines("search", "minutes")
        self.assertEqual([h["event_id"] for h in hits], [root])
        self.assertNotIn("thread_root", hits[0])
        text = self.natter.ok("search", "can do")
        self.assertIn("in thread \u201cWho takes the minutes on Thursday?\u201d (" + root + ")",
                      text)

    def export(self, *args):
        """The plain and HTML transcripts of natter export ... --eml FILE."""
        eml = self.natter.home / "out.eml"
        r = self.natter.run("export", *args, "--eml", str(eml), "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        self.assertEqual([d for part in msg.walk() for d in part.defects], [])
        return [msg.get_body(preferencelist=(kind,)).get_content().replace("\r\n", "\n")
                for kind in ("plain", "html")]

    def test_export_puts_a_thread_under_its_root(self):
        room = self.shared_room()
        self.thread(room)
        plain, html = self.export("Planning")
        self.assertRegex(plain, r"\n\d\d:\d\d .+: Who takes the minutes on Thursday\?\n"
                         r" {6}thread, 2 replies:\n"
                         r" {6}\d\d:\d\d .+: I can do it\n"
                         r" {6}\d\d:\d\d .+: Then Priya does the slides\n"
                         r"\d\d:\d\d .+: Lunch is at one\n")
        self.assertIn("thread, 2 replies:", html)
        self.assertLess(html.index("I can do it"), html.index("Lunch is at one"))
        # Search results hold a reply without its root: it names the thread.
        plain, html = self.export("Planning", "--query", "priya")
        self.assertRegex(plain, r": Then Priya does the slides\n +\(in a thread of: "
                         r"\"Who takes the minutes on Thursday\?\"\)\n")
        self.assertNotIn("I can do it", plain)
        self.assertIn("in a thread of: &quot;Who takes the minutes", html)

    def test_reply_whose_root_is_not_cached_shows_in_place(self):
        room = self.shared_room()
        root = self.bob.send_text(room, "Budget for Q1, final numbers?")
        for i in range(14):
            self.bob.send_text(room, f"filler {i}")
        reply = self.bob.send_event(room, "m.room.message", in_thread(root, "Signed off"))
        # Read elsewhere, nothing is unread: a new natter's first sync brings
        # the newest few events, not the root.
        self.alice.mark_read(room)
        self.alice.wait_unread(room, 0)
        fresh = natter_for(self.alice, self.hs)
        self.addCleanup(fresh.cleanup)
        fresh.ok("sync", "--once")
        text = fresh.ok("history", "Planning", "--limit", "3")
        self.assertRegex(text, r"Signed off \[in thread " + re.escape(root) + r"\]")
        msgs = {m["event_id"]: m for m in fresh.history(room, limit=3)}
        self.assertEqual(msgs[reply]["thread_root"], root)
        # Once older history brings the root, the reply goes under it.
        msgs = {m["event_id"]: m for m in fresh.history(room, limit=100)}
        self.assertNotIn(reply, msgs)
        self.assertEqual(msgs[root]["thread_replies"], 1)


if __name__ == "__main__":
    unittest.main()
