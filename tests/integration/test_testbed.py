#!/usr/bin/env python3
"""Proves the Synapse testbed and the harness work: two users chat and share a file."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from natter_harness import Homeserver, MatrixError  # noqa: E402


class TestTestbed(unittest.TestCase):
    """End-to-end checks against a real homeserver."""

    @classmethod
    def setUpClass(cls):
        cls.hs = Homeserver.get()

    def test_invite_join_message(self):
        """A creates a room, invites B, B joins and receives A's message via sync."""
        alice = self.hs.register("alice")
        bob = self.hs.register("bob")
        self.assertTrue(alice.user_id.startswith("@alice-"))
        self.assertTrue(alice.access_token and alice.device_id)

        room = alice.create_room(name="testbed", invite=[bob.user_id])
        invited = bob.sync()["rooms"]["invite"]
        self.assertIn(room, invited)
        self.assertEqual(bob.join(room), room)
        self.assertIn(room, bob.joined_rooms())

        event_id = alice.send_text(room, "hello from alice")
        event = bob.wait_for_event(room, lambda e: e.get("event_id") == event_id, timeout=30)
        self.assertEqual(event["sender"], alice.user_id)
        self.assertEqual(event["content"], {"msgtype": "m.text", "body": "hello from alice"})

        reaction = bob.react(room, event_id, "👍")
        got = alice.wait_for_event(room, lambda e: e.get("event_id") == reaction)
        self.assertEqual(got["content"]["m.relates_to"]["key"], "👍")
        bodies = [e["content"].get("body") for e in bob.messages(room, limit=10)["chunk"]]
        self.assertIn("hello from alice", bodies)

    def test_upload_download(self):
        """An uploaded file downloads byte-identical through authenticated media."""
        alice = self.hs.register("uploader")
        data = bytes(range(256)) * 4096 + b"\x00tail"
        mxc = alice.upload(data, "application/octet-stream", "blob.bin")
        self.assertTrue(mxc.startswith("mxc://localhost/"))
        self.assertEqual(alice.download(mxc), data)

    def test_account_data_and_errors(self):
        """Account data round-trips; HTTP errors surface as MatrixError with status."""
        alice = self.hs.register()
        alice.set_account_data("org.natter.test", {"x": 1})
        self.assertEqual(alice.get_account_data("org.natter.test"), {"x": 1})
        alice.set_displayname("Alice")
        with self.assertRaises(MatrixError) as cm:
            alice.get_account_data("org.natter.unset")
        self.assertEqual(cm.exception.status, 404)

    def test_many_messages_not_rate_limited(self):
        """Bursts of room creation and messages do not hit rate limits."""
        alice = self.hs.register()
        room = alice.create_room()
        for i in range(60):
            alice.send_text(room, f"msg {i}")
        for _ in range(15):
            alice.create_room()
        self.assertEqual(len(alice.joined_rooms()), 16)


if __name__ == "__main__":
    unittest.main(verbosity=2)
