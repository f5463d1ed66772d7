"""Reminders and messages waiting for an answer, from the command line.

Reminders live in the account's data (org.natter.reminders): two natters of
one user (two devices) see, snooze and finish each other's; a write that
another client lost (an older copy written over natter's) is put back by
the next sync; natters adding at the same moment lose none. `natter
waiting` lists questions and flagged messages that those asked have
neither answered nor read once [followup] wait has passed."""

import json
import subprocess
import time
import unittest
from urllib.parse import quote

from cli_support import NatterTestCase, natter_for
from natter_harness import MatrixError

TYPE = "org.natter.reminders"


class RemindTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.room = self.shared_room()
        self.event = self.bob.send_text(self.room, "Can you book the Friday offsite?")
        self.natter.ok("sync", "--once")

    def second(self):
        """Another natter (another device) of alice's."""
        other = natter_for(self.alice, self.hs)
        self.addCleanup(other.cleanup)
        return other

    def account_data(self):
        path = f"/user/{quote(self.alice.user_id)}/account_data/{TYPE}"
        try:
            return self.alice._c("GET", path).get("reminders", {})
        except MatrixError as e:
            if e.status != 404:
                raise
            return {}

    def put_account_data(self, content):
        path = f"/user/{quote(self.alice.user_id)}/account_data/{TYPE}"
        self.alice._c("PUT", path, content)

    def remind(self, natter, *args):
        out = natter.ok("remind", *args)
        self.assertRegex(out, r"^reminder [0-9a-f]{12} at ")
        return out.split()[1]

    def test_two_natters_of_one_account_share_snooze_and_finish(self):
        other = self.second()
        rid = self.remind(self.natter, "Planning", self.event, "+1h", "call", "the", "venue")
        self.assertEqual(self.account_data()[rid]["event_id"], self.event)

        rows = other.json_lines("reminders")
        self.assertEqual([r["id"] for r in rows], [rid])
        self.assertEqual(rows[0]["note"], "call the venue")
        self.assertEqual(rows[0]["text"], "Can you book the Friday offsite?")
        self.assertEqual(rows[0]["room"], "Planning")
        self.assertFalse(rows[0]["due"])
        due = rows[0]["due_ts"]
        self.assertAlmostEqual(due / 1000, time.time() + 3600, delta=120)

        out = other.ok("remind", "--snooze", rid[:5], "+3h")
        self.assertIn(f"reminder {rid} snoozed until ", out)
        rows = self.natter.json_lines("reminders")
        self.assertAlmostEqual(rows[0]["due_ts"] / 1000, time.time() + 3 * 3600, delta=120)

        text = self.natter.ok("reminders")
        self.assertIn(rid, text)
        self.assertIn("call the venue", text)

        self.assertEqual(self.natter.ok("remind", "--done", rid).strip(), f"reminder {rid} done")
        self.assertEqual(other.json_lines("reminders"), [])
        self.assertEqual(other.ok("reminders").strip(), "no reminders")
        self.assertTrue(self.account_data()[rid]["done"])

    def test_a_past_time_is_due_at_once(self):
        rid = self.remind(self.natter, "Planning", self.event, "+1s")
        deadline = time.monotonic() + 30
        while True:
            rows = self.natter.json_lines("reminders")
            if rows[0]["due"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(rows[0]["id"], rid)
        self.assertTrue(rows[0]["due"])
        self.assertIn("(due)", self.natter.ok("reminders"))

    def test_a_write_another_client_lost_is_put_back_by_the_next_sync(self):
        before = self.account_data()
        rid = self.remind(self.natter, "Planning", self.event, "+2h")
        # Another client that read the account data before the reminder
        # writes its own copy back over natter's.
        self.put_account_data({"reminders": before, "other": "client"})
        self.assertNotIn(rid, self.account_data())
        self.natter.ok("sync", "--once")
        self.assertIn(rid, self.account_data())
        self.assertEqual([r["id"] for r in self.second().json_lines("reminders")], [rid])

    def test_over_v3_sync_too_a_lost_write_is_put_back(self):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text("[sync]\nprotocol = v3\n")
        self.assertIn("/v3/sync", self.natter.ok("whoami"))
        rid = self.remind(self.natter, "Planning", self.event, "+2h")
        self.natter.ok("sync", "--once")
        self.put_account_data({"reminders": {}})
        self.natter.ok("sync", "--once")
        self.assertIn(rid, self.account_data())

    def test_offline_a_reminder_is_kept_here_and_goes_with_the_next_sync(self):
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        r = self.natter.run("remind", "Planning", self.event, "+2h", "on", "the", "train")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stdout, r"^reminder [0-9a-f]{12} at ")
        self.assertIn("not on the account yet", r.stderr)
        rid = r.stdout.split()[1]
        r = self.natter.run("reminders", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("these are the cache's", r.stderr)
        self.assertEqual([json.loads(line)["note"] for line in r.stdout.splitlines()],
                         ["on the train"])
        self.assertEqual(self.account_data(), {})
        session.write_text(good)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.account_data()[rid]["note"], "on the train")

    def test_natters_adding_at_the_same_moment_lose_none(self):
        other = self.second()
        other.ok("sync", "--once")
        procs = []
        for i in range(4):
            for n in (self.natter, other):
                procs.append(n.popen("remind", self.room, self.event, f"+{i + 1}h", f"n{i}",
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True))
        ids = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
            ids.append(out.split()[1])
        self.assertEqual(len(set(ids)), 8)
        # Each natter writes back what the account lacks of its own.
        for n in (self.natter, other, self.natter):
            rows = n.json_lines("reminders")
        self.assertEqual(sorted(r["id"] for r in rows), sorted(ids))
        self.assertEqual(sorted(self.account_data()), sorted(ids))

    def test_bad_usage_and_unknown_things(self):
        r = self.natter.run("remind", "Planning", self.event, "half past nine")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("is not a time", r.stderr)
        r = self.natter.run("remind", "Planning", "$nosuchevent:localhost", "+1h")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no message $nosuchevent:localhost in Planning", r.stderr)
        r = self.natter.run("remind", "--done", "abcdef")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no reminder abcdef", r.stderr)
        self.assertEqual(self.account_data(), {})

    def test_server_text_in_a_reminder_is_inert(self):
        evil = self.bob.send_text(self.room, "Ping \x1b]0;pwned\x07\x1b[2J now?")
        self.natter.ok("sync", "--once")
        self.remind(self.natter, "Planning", evil, "+1h", "note\x1b[31m")
        text = self.natter.ok("reminders")
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x07", text)
        self.assertIn("Ping", text)


class WaitingTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.carol = self.hs.register("carol")

    def write_config(self, wait):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        text = "[crypto]\nencrypt_dms = off\n"
        if wait:
            text += f"\n[followup]\nwait = {wait}\n"
        (conf / "config").write_text(text)

    def receipt(self, user, room, event_id):
        user._c("POST", f"/rooms/{quote(room)}/receipt/m.read/{quote(event_id)}", {})

    def waiting(self):
        return {r["event_id"]: r for r in self.natter.json_lines("waiting")}

    def waiting_until(self, done, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            rows = self.waiting()
            if done(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.3)

    def send(self, room, text):
        return self.natter.ok("send", room, text).split()[-1]

    def test_questions_wait_until_those_asked_answer_or_read(self):
        self.write_config(None)
        dm = self.natter.ok("dm", self.bob.user_id).split()[-1]
        self.bob.join(dm)
        group = self.bob.create_room(name="Board", invite=[self.alice.user_id,
                                                           self.carol.user_id])
        self.alice.join(group)
        self.carol.join(group)
        self.natter.ok("sync", "--once")

        ask_dm = self.send(dm, "Did the board pack go out? I need it by noon.")
        note = self.send(dm, "The car is booked for 8:15.")
        ask_carol = self.send("Board", f"{self.carol.user_id} can you review the minutes?")
        # Within the default wait (a day) nothing is listed yet.
        self.assertEqual(self.waiting(), {})
        self.assertEqual(self.natter.ok("waiting").strip(), "nothing waits for an answer")

        self.write_config("1s")
        rows = self.waiting_until(lambda r: ask_dm in r and ask_carol in r)
        self.assertEqual(sorted(rows), sorted([ask_dm, ask_carol]))
        self.assertEqual(rows[ask_dm]["waiting_for"], [self.bob.user_id])
        self.assertEqual(rows[ask_carol]["waiting_for"], [self.carol.user_id])
        self.assertFalse(rows[ask_dm]["flagged"])

        out = self.natter.ok("waiting", "--flag", dm, note)
        self.assertIn(f"flag", out)
        rows = self.waiting()
        self.assertTrue(rows[note]["flagged"])
        self.assertEqual(rows[note]["waiting_for"], [self.bob.user_id])
        text = self.natter.ok("waiting")
        self.assertIn("[flagged] The car is booked", text)
        self.assertIn("Did the board pack go out?", text)

        # bob is not asked in Board: his receipt leaves carol's question
        # waiting; bob's answer in the chat clears both of its messages.
        self.receipt(self.bob, group, ask_carol)
        self.bob.send_text(dm, "Yes, this morning.")
        rows = self.waiting_until(lambda r: ask_dm not in r)
        self.assertEqual(sorted(rows), [ask_carol])
        self.receipt(self.carol, group, ask_carol)
        rows = self.waiting_until(lambda r: ask_carol not in r)
        self.assertEqual(rows, {})

        self.natter.ok("waiting", "--unflag", dm, note)
        path = f"/user/{quote(self.alice.user_id)}/account_data/{TYPE}"
        flags = self.alice._c("GET", path)["reminders"]
        self.assertEqual([f["kind"] for f in flags.values()], ["flag"])
        self.assertTrue(all(f["done"] for f in flags.values()))

    def test_bad_wait_in_the_config_is_said(self):
        self.write_config("soon")
        r = self.natter.run("waiting")
        self.assertIn("wait must be a time like 1d", r.stderr)


if __name__ == "__main__":
    unittest.main()
