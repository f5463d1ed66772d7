"""natter search over the local cache, as a user at a terminal or a script sees it."""

import json
import unittest

from cli_support import NatterTestCase, natter_for

HOSTILE = ['"', "'", '""', 'a"b', "-", "--", "*", "**a", "AND", "NOT x", "x OR", "(", ")",
           "NEAR(a b)", "col:val", "text:foo", "^a", ".", "...", "@bob:x", "#room:x", "\\",
           "🎉", "it's", "why?", "20.04", "multi-agent", '"unbalanced', "has:nothing",
           "before:someday", "-from:x", "in:no-such-room-here"]


class SearchTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.bob.set_displayname("Robert Hale")
        self.room = self.shared_room("Board Office")
        self.other = self.shared_room("Travel Desk")
        self.bob_natter = natter_for(self.bob, self.hs)
        self.addCleanup(self.bob_natter.cleanup)
        self.bob_natter.ok("sync", "--once")
        self.natter.ok("send", "Board Office", "the quarterly budget review is on Thursday")
        self.bob_natter.ok("send", "Board Office", "budget draft attached, see https://example.org/q3")
        self.bob_natter.ok("send", "Travel Desk", "flight BA718 to Zürich is booked; budget approved")
        self.bob_natter.ok("send", "Travel Desk", "hotel confirmed near the station")
        self.natter.ok("sync", "--once")

    def search(self, *args):
        return self.natter.json_lines("search", *args)

    def test_finds_messages_of_both_users_with_room_sender_and_snippet(self):
        hits = self.search("budget")
        self.assertEqual(len(hits), 3)
        by_body = {h["body"]: h for h in hits}
        mine = by_body["the quarterly budget review is on Thursday"]
        self.assertEqual(mine["room"], "Board Office")
        self.assertEqual(mine["room_id"], self.room)
        self.assertEqual(mine["sender"], self.alice.user_id)
        theirs = by_body["flight BA718 to Zürich is booked; budget approved"]
        self.assertEqual(theirs["room"], "Travel Desk")
        self.assertEqual(theirs["sender"], self.bob.user_id)
        self.assertEqual(theirs["sender_name"], "Robert Hale")
        start, end = theirs["highlights"][0]
        self.assertEqual(theirs["snippet"][start:end], "budget")
        for h in hits:
            self.assertTrue(h["event_id"].startswith("$"))
            self.assertGreater(h["ts"], 0)

        text = self.natter.ok("search", "zurich")
        self.assertIn("Travel Desk", text)
        self.assertIn("Robert Hale", text)
        self.assertIn("flight BA718 to Zürich is booked", text)

    def test_room_limit_and_filters(self):
        hits = self.search("budget", "--room", "Travel Desk")
        self.assertEqual([h["body"] for h in hits], ["flight BA718 to Zürich is booked; budget approved"])
        self.assertEqual(len(self.search("budget", "--limit", "2")), 2)
        hits = self.search("budget", "from:Robert")
        self.assertEqual({h["sender"] for h in hits}, {self.bob.user_id})
        self.assertEqual(len(hits), 2)
        hits = self.search("budget", "-draft", 'in:"Board Office"')
        self.assertEqual([h["body"] for h in hits], ["the quarterly budget review is on Thursday"])
        hits = self.search("has:link")
        self.assertEqual([h["body"] for h in hits], ["budget draft attached, see https://example.org/q3"])
        hits = self.search('"budget review"')
        self.assertEqual(len(hits), 1)
        self.assertEqual(len(self.search("hote")), 1)

    def test_hostile_queries_give_results_or_a_clear_message(self):
        for q in HOSTILE:
            r = self.natter.run("search", "--", q)
            out = (r.stdout + r.stderr).lower()
            self.assertIn(r.returncode, (0, 1), f"{q!r}: {r.stderr}")
            for word in ("fts5", "sqlite", "syntax error"):
                self.assertNotIn(word, out, f"{q!r}: {out}")
            if r.returncode == 1:
                self.assertTrue(r.stderr.startswith("natter: search: "), f"{q!r}: {r.stderr}")
        r = self.natter.run("search", "*")
        self.assertEqual(r.returncode, 1)
        self.assertIn("letters and digits", r.stderr)
        r = self.natter.run("search", "has:nothing")
        self.assertEqual(r.returncode, 1)
        self.assertIn("has: takes file or link", r.stderr)
        r = self.natter.run("search")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage:", r.stderr)

    def test_words_an_older_client_quoted_in_a_reply_find_only_the_original(self):
        first = self.bob.send_text(self.room, "is the marquee booked for the offsite?")
        reply = self.bob.send_event(self.room, "m.room.message", {
            "msgtype": "m.text",
            "body": f"> <{self.bob.user_id}> is the marquee booked for the offsite?\n\n"
                    "yes, since Monday",
            "format": "org.matrix.custom.html",
            "formatted_body": f"<mx-reply><blockquote><a href=\"https://matrix.to/#/{self.room}/"
                              f"{first}\">In reply to</a> is the marquee booked for the "
                              "offsite?</blockquote></mx-reply>yes, since Monday",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}})
        self.bob.wait_for_event(self.room, lambda e: e.get("event_id") == reply)
        self.natter.ok("sync", "--once")
        self.assertEqual([h["event_id"] for h in self.search("marquee")], [first])
        [hit] = self.search("monday")
        self.assertEqual(hit["event_id"], reply)
        self.assertEqual(hit["body"], "yes, since Monday")
        # has:link no longer counts the quote's "In reply to" link.
        self.assertNotIn(reply, [h["event_id"] for h in self.search("has:link")])

    def test_edits_and_redactions_are_reflected(self):
        out = self.natter.ok("send", "Board Office", "dinner at eight")
        event = out.split()[-1]
        self.natter.ok("sync", "--once")
        self.assertEqual(len(self.search("dinner")), 1)
        self.natter.ok("edit", "Board Office", event, "supper at nine")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.search("dinner"), [])
        self.assertEqual(len(self.search("supper")), 1)
        self.natter.ok("redact", "Board Office", event)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.search("supper"), [])

    def test_server_finds_what_the_cache_lacks_and_marks_it(self):
        # Sent before alice's first sync, further back than its timeline.
        room = self.bob.create_room(name="Archive", invite=[self.alice.user_id])
        self.bob.send_text(room, "the ancient ledger budget entry")
        for i in range(55):
            self.bob.send_text(room, f"filler {i:02d}")
        self.alice.join(room)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.search("ledger"), [])

        hits = self.search("--server", "ledger")
        self.assertEqual([h["body"] for h in hits], ["the ancient ledger budget entry"])
        self.assertTrue(hits[0]["from_server"])
        self.assertEqual(hits[0]["room"], "Archive")
        self.assertEqual(hits[0]["room_id"], room)
        self.assertEqual(hits[0]["sender_name"], "Robert Hale")
        start, end = hits[0]["highlights"][0]
        self.assertEqual(hits[0]["snippet"][start:end], "ledger")
        text = self.natter.ok("search", "--server", "ledger")
        self.assertIn("Robert Hale  (server)", text)

        # In the cache and on the server: once, as the cache's.
        hits = self.search("budget", "--server")
        ids = [h["event_id"] for h in hits]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(sorted(h["body"] for h in hits if not h["from_server"]),
                         sorted(h["body"] for h in self.search("budget")))
        self.assertEqual([h["body"] for h in hits if h["from_server"]],
                         ["the ancient ledger budget entry"])

        # The filters the server does not know are applied to its hits.
        self.assertEqual(self.search("--server", "ledger", "before:2001-01-01"), [])
        self.assertEqual(self.search("--server", "ledger", "from:@nobody:example.org"), [])
        self.assertEqual(self.search("--server", "ledger", "-ancient"), [])
        self.assertEqual(self.search("--server", "ledger", "--room", "Board Office"), [])
        self.assertEqual(len(self.search("--server", "ledger", "in:Archive")), 1)

        # Filters alone give the cache's results and say why the server was not asked.
        r = self.natter.run("search", "--server", "from:Robert")
        self.assertEqual(r.returncode, 1)
        self.assertIn("only filters", r.stderr)
        self.assertIn("Robert Hale", r.stdout)


if __name__ == "__main__":
    unittest.main()
