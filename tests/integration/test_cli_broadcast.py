"""Broadcast reports: who got a broadcast, who read it and who answered.

A group room of four (bob reads, carol answers, dave does neither) and a
direct chat with erin, who reads only a later message; the report says
exactly that, per person. Named lists come from the config's [lists]; an
unknown list, or a list naming a room natter cannot find, sends nothing."""

import json
import time
import unittest
from urllib.parse import quote

from cli_support import NatterTestCase

TEXT = "The offsite moves to Friday"


class BroadcastReportTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.carol = self.hs.register("carol")
        self.dave = self.hs.register("dave")
        self.erin = self.hs.register("erin")

    def write_config(self, lists):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text("[crypto]\nencrypt_dms = off\n\n[lists]\n" + lists)

    def board(self):
        """Board: bob's room with alice, carol and dave joined, and more
        messages after their joins than a sync's timeline holds, so that a
        sync, which loads members lazily, tells natter of none of them."""
        room = self.bob.create_room(name="Board", invite=[self.alice.user_id,
                                                          self.carol.user_id,
                                                          self.dave.user_id])
        for user in (self.alice, self.carol, self.dave):
            user.join(room)
        for i in range(12):
            self.bob.send_text(room, f"agenda item {i}")
        self.alice.mark_read(room)
        self.natter.ok("sync", "--once")
        return room

    def receipt(self, user, room, event_id):
        user._c("POST", f"/rooms/{quote(room)}/receipt/m.read/{quote(event_id)}", {})

    def report(self, bid):
        return self.natter.json_lines("broadcast", "--report", bid)

    def report_until(self, bid, done, timeout=30):
        """The report once done(rows) holds: receipts reach a sync a moment after
        they are posted."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.report(bid)
            if done(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)

    def copy_in(self, user, room):
        return user.wait_for_event(room, lambda e: e.get("content", {}).get("body") == TEXT
                                   and e["sender"] == self.alice.user_id)

    def test_report_says_who_read_who_replied_and_who_did_neither(self):
        room = self.board()
        self.write_config(f"board = Board, {self.erin.user_id}\n")
        out = self.natter.ok("broadcast", "--to", "@list:board", TEXT)
        self.assertEqual(out.count("sent "), 2, out)
        bid = out.splitlines()[-1].split()[1]
        self.assertRegex(out.splitlines()[-1], rf"^broadcast {bid} ")

        copy = self.copy_in(self.bob, room)
        dm = self.erin.sync()["rooms"]["invite"]
        self.assertEqual(len(dm), 1, dm)
        dm = self.erin.join(next(iter(dm)))
        dm_copy = self.copy_in(self.erin, dm)
        self.receipt(self.bob, room, copy["event_id"])
        self.carol.send_text(room, "Noted \x1b[2J\x1b]0;pwned\x07 see you Friday")
        # erin's receipt is on a later message of the chat, not on the copy.
        later = self.natter.ok("send", dm, "Lunch is at one").split()[-1]
        self.erin.wait_for_event(dm, lambda e: e["event_id"] == later)
        self.receipt(self.erin, dm, later)

        def settled(rows):
            who = {r.get("user_id"): r for r in rows}
            return (who.get(self.bob.user_id, {}).get("read")
                    and who.get(self.erin.user_id, {}).get("read")
                    and who.get(self.carol.user_id, {}).get("replied"))

        rows = self.report_until(bid, settled)
        who = {r["user_id"]: r for r in rows}
        self.assertEqual(sorted(who), sorted(u.user_id for u in
                                             (self.bob, self.carol, self.dave, self.erin)))
        for r in rows:
            self.assertEqual(r["sent"], "sent", r)
            self.assertEqual(r["broadcast"], int(bid))
        self.assertEqual(who[self.bob.user_id]["event_id"], copy["event_id"])
        self.assertEqual(who[self.erin.user_id]["event_id"], dm_copy["event_id"])
        self.assertEqual(who[self.bob.user_id]["room"], "Board")
        self.assertFalse(who[self.bob.user_id]["direct"])
        self.assertTrue(who[self.erin.user_id]["direct"])
        self.assertEqual(who[self.erin.user_id]["target"], self.erin.user_id)

        self.assertEqual([who[u.user_id]["read"] for u in
                          (self.bob, self.carol, self.dave, self.erin)],
                         [True, False, False, True])
        self.assertEqual([who[u.user_id]["replied"] for u in
                          (self.bob, self.carol, self.dave, self.erin)],
                         [False, True, False, False])
        self.assertGreater(who[self.bob.user_id]["read_ts"], 0)
        carol = who[self.carol.user_id]
        self.assertGreaterEqual(carol["reply_ts"], who[self.carol.user_id]["sent_ts"])
        self.assertIn("see you Friday", carol["reply"])
        self.assertNotIn("\x1b", carol["reply"])
        self.assertNotIn("\x07", carol["reply"])

        text = self.natter.ok("broadcast", "--report", bid)
        self.assertNotIn("\x1b", text)
        lines = {u: next(line for line in text.splitlines() if u.user_id in line)
                 for u in (self.bob, self.carol, self.dave, self.erin)}
        self.assertRegex(lines[self.bob], r" in Board: sent .*; read \d{4}-.*; no reply$")
        self.assertRegex(lines[self.carol], r"; not read; replied \d{4}-.*: \"Noted .*Friday\"$")
        self.assertRegex(lines[self.dave], r"; not read; no reply$")
        self.assertRegex(lines[self.erin], r", direct chat: sent .*; read \d{4}-.*; no reply$")
        self.assertIn("4 people: 2 read it, 1 replied", text)

        listed = self.natter.json_lines("broadcast", "--list")
        self.assertEqual([(b["id"], b["targets"], b["sent"], b["text"]) for b in listed],
                         [(int(bid), 2, 2, TEXT)])
        self.assertRegex(self.natter.ok("broadcast", "--list"),
                         rf"(?m)^{bid} +\d{{4}}-.* sent to 2 of 2 +{TEXT}$")

    def test_unknown_list_or_member_sends_nothing(self):
        room = self.board()
        self.write_config("board = Board, No Such Room\nfew = Board\n")
        r = self.natter.run("broadcast", "--to", "@list:bored", "hello")
        self.assertEqual(r.returncode, 1)
        self.assertIn('no list "bored"', r.stderr)
        self.assertIn("lists are board, few", r.stderr)
        self.assertIn("nothing was sent", r.stderr)

        r = self.natter.run("broadcast", "--to", "@list:board", "hello")
        self.assertEqual(r.returncode, 1)
        self.assertIn("No Such Room (of list board)", r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        self.assertEqual(r.stdout, "")
        bodies = [e.get("content", {}).get("body") for e in self.bob.messages(room)["chunk"]]
        self.assertNotIn("hello", bodies)
        # A person of a list who does not exist: nothing goes to the rooms
        # of the list either.
        self.write_config(f"board = Board, @nobody-{self.dave.user_id[1:]}\n")
        r = self.natter.run("broadcast", "--to", "@list:board", "hello")
        self.assertEqual(r.returncode, 1)
        self.assertIn("(of list board)", r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        bodies = [e.get("content", {}).get("body") for e in self.bob.messages(room)["chunk"]]
        self.assertNotIn("hello", bodies)
        self.assertEqual(self.natter.json_lines("broadcast", "--list"), [])
        self.assertEqual(self.natter.ok("broadcast", "--list"), "no broadcasts yet\n")

    def test_a_copy_in_the_outbox_is_reported_so_until_it_goes(self):
        room = self.board()
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        r = self.natter.run("broadcast", "--to", "Board", TEXT)
        self.assertEqual(r.returncode, 1)
        bid = r.stdout.splitlines()[-1].split()[1]
        r = self.natter.run("broadcast", "--report", bid, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("who is in that room may be out of date", r.stderr)
        rows = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertTrue(rows)
        self.assertEqual({x["sent"] for x in rows}, {"queued"}, rows)
        self.assertRegex(self.natter.ok("broadcast", "--report", bid),
                         r"(?m): not sent yet, in the outbox \(.+\)$")

        session.write_text(good)
        self.natter.ok("sync", "--once")
        copy = self.copy_in(self.bob, room)
        rows = self.report(bid)
        self.assertEqual(len(rows), 3, rows)
        self.assertEqual({(x["sent"], x["event_id"]) for x in rows}, {("sent", copy["event_id"])})

    def test_report_of_a_target_that_failed_and_of_no_broadcast(self):
        self.board()
        r = self.natter.run("broadcast", "--to", "Board,No Such Room", TEXT)
        self.assertEqual(r.returncode, 1)
        bid = r.stdout.splitlines()[-1].split()[1]
        rows = self.report(bid)
        failed = [x for x in rows if x["target"] == "No Such Room"]
        self.assertEqual(len(failed), 1, rows)
        self.assertEqual(failed[0]["sent"], "unsent")
        self.assertIn("No Such Room", failed[0]["why"])
        self.assertNotIn("user_id", failed[0])
        self.assertEqual(len([x for x in rows if x["sent"] == "sent"]), 3, rows)
        text = self.natter.ok("broadcast", "--report", bid)
        self.assertRegex(text, r"(?m)^No Such Room: not sent: ")

        r = self.natter.run("broadcast", "--report", str(int(bid) + 1))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"there is no broadcast {int(bid) + 1}", r.stderr)
        r = self.natter.run("broadcast", "--report", "latest")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--report takes a broadcast's number", r.stderr)
        self.assertEqual(json.loads(self.natter.ok("broadcast", "--list", "--json"))["sent"], 1)


if __name__ == "__main__":
    unittest.main()
