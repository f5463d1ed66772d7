"""Threads in an encrypted chat with an Element-grade peer: the relation
travels in the clear (as the spec has it), so each side, and the server,
knows a thread's reply before or without reading it."""

import unittest
from urllib.parse import quote

from cli_support import ElementChatTestCase
from test_cli_threads import in_thread


class E2eeThreadsTest(ElementChatTestCase):
    def test_a_thread_goes_both_ways_encrypted(self):
        room = self.encrypted_dm()
        root = self.dana.send(room, "Who takes the minutes on Thursday?")
        reply = self.dana.send_event(room, "m.room.message", in_thread(root, "I can do it"))
        raw = self.dana.raw_event(room, reply)
        self.assertEqual(raw["type"], "m.room.encrypted")
        self.assertEqual(raw["content"]["m.relates_to"]["rel_type"], "m.thread")

        self.natter.ok("sync", "--once")
        msgs = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertNotIn(reply, msgs)
        self.assertEqual(msgs[root]["thread_replies"], 1)
        lines = self.natter.json_lines("history", room, "--thread", root)
        self.assertEqual([(m["event_id"], m.get("body"), m.get("encryption")) for m in lines],
                         [(root, "Who takes the minutes on Thursday?", "ok"),
                          (reply, "I can do it", "ok")])

        mine = self.natter.ok("send", room, "--thread", root, "Priya does the slides")
        mine = mine.split()[-1]
        got = self.dana.wait_message(room, event_id=mine)
        self.assertTrue(got["encrypted"] and got["decrypted"], got)
        self.assertEqual(got["body"], "Priya does the slides")
        raw = self.dana.raw_event(room, mine)
        self.assertEqual(raw["type"], "m.room.encrypted")
        self.assertNotIn("Priya", str(raw))
        self.assertEqual(raw["content"]["m.relates_to"],
                         {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                          "m.in_reply_to": {"event_id": reply}})
        # The homeserver files it in the thread, unable to read it.
        got = self.bob.api("GET", f"/_matrix/client/v1/rooms/{quote(room, safe='')}/relations/"
                           f"{quote(root, safe='')}/m.thread")
        self.assertEqual({e["event_id"] for e in got["chunk"]}, {reply, mine})


if __name__ == "__main__":
    unittest.main()
