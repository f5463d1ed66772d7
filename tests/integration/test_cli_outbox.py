"""Exactly-once delivery: natter killed with SIGKILL at each point of a
send delivers every queued message exactly once when started again."""

import signal
import unittest

from cli_support import NatterTestCase


class OutboxTest(NatterTestCase):
    def count(self, room, body):
        chunk = self.bob.messages(room, limit=200)["chunk"]
        return sum(1 for e in chunk if e.get("content", {}).get("body") == body)

    def crash_then_restart(self, point, body):
        room = self.shared_room(f"Crash {point}")
        r = self.natter.run("send", f"Crash {point}", body,
                            env={"NATTER_TEST_CRASH": point})
        self.assertEqual(r.returncode, -signal.SIGKILL, r.stderr)
        return room

    def test_killed_after_queueing(self):
        room = self.crash_then_restart("after-queue", "queued then killed")
        self.assertEqual(self.count(room, "queued then killed"), 0)
        outbox = self.natter.json_lines("outbox")
        self.assertEqual([o["state"] for o in outbox], ["queued"])
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, "queued then killed"), 1)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, "queued then killed"), 1)
        self.assertIn("empty", self.natter.ok("outbox"))

    def test_killed_after_the_server_stored_it(self):
        room = self.crash_then_restart("after-send", "sent then killed")
        self.assertEqual(self.count(room, "sent then killed"), 1)
        # The row is still queued: the restart sends it again with the same
        # txnId, and the server answers with the same event instead of a copy.
        self.assertEqual(len(self.natter.json_lines("outbox")), 1)
        self.natter.ok("sync", "--once")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, "sent then killed"), 1)
        self.assertEqual(self.natter.json_lines("outbox"), [])
        bodies = self.natter.bodies(room)
        self.assertEqual(bodies.count("sent then killed"), 1)

    def test_offline_send_waits_in_the_outbox(self):
        room = self.shared_room("Later")
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        r = self.natter.run("send", "Later", "written on the train")
        self.assertEqual(r.returncode, 1)
        self.assertIn("outbox", r.stderr)
        self.assertRegex(r.stderr, r"(?m)^natter: queued !.*: not sent yet")
        listing = self.natter.ok("outbox")
        # Where it goes by name, who sends it and what it says.
        me = self.alice.user_id.split(":")[0][1:]
        self.assertRegex(listing, rf"queued  Later \({room}\)  {me}: written on the train  "
                         r"\d attempt\(s\)")
        [item] = self.natter.json_lines("outbox")
        self.assertEqual((item["room"], item["room_id"], item["sender"]), ("Later", room, me))
        session.write_text(good)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, "written on the train"), 1)

    def test_a_new_send_does_not_overtake_a_queued_one(self):
        room = self.shared_room("Order")
        session = self.natter.profile_dir() / "session"
        good = session.read_text()
        session.write_text(good.replace(self.hs.url, "http://127.0.0.1:9"))
        self.assertEqual(self.natter.run("send", "Order", "first, from the train").returncode, 1)
        session.write_text(good)
        self.natter.ok("send", "Order", "second, from the office")
        chunk = self.bob.messages(room, limit=50)["chunk"]
        bodies = [e["content"]["body"] for e in reversed(chunk)
                  if e["type"] == "m.room.message"]
        self.assertEqual(bodies, ["first, from the train", "second, from the office"])
        self.assertEqual(self.natter.json_lines("outbox"), [])


if __name__ == "__main__":
    unittest.main()
