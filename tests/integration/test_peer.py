#!/usr/bin/env python3
"""Proves the Element-grade peer (tests/peer) against the real Synapse, without
natter: peers encrypt for each other, decrypt each other exactly, the server
holds only ciphertext, and history visibility "joined" keeps the past from a
later member."""

import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import element_peer  # noqa: E402
from element_peer import ElementPeer, PeerError  # noqa: E402
from natter_harness import Homeserver, require  # noqa: E402

MEGOLM = "m.megolm.v1.aes-sha2"


def unique(text):
    """text with a marker no other message has, to look for in ciphertext."""
    return f"{text} {uuid.uuid4().hex}"


class TestPeer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ok, why = element_peer.install()
        require("peer", ok, why)
        cls.hs = Homeserver.get()

    def peer(self, name):
        """A started peer for a new user; closed (and its exit checked) after the test."""
        user = self.hs.register(name)
        p = ElementPeer(self.hs, user)
        self.addCleanup(p.close)
        p.start()
        return p

    def assert_decrypted(self, event, sender, body):
        """event is an encrypted message from peer sender that decrypted to body exactly."""
        self.assertTrue(event["encrypted"], event)
        self.assertTrue(event["decrypted"], event)
        self.assertEqual(event["algorithm"], MEGOLM)
        self.assertEqual(event["type"], "m.room.message")
        self.assertEqual(event["body"], body)
        self.assertEqual(event["sender"], sender.user_id)
        self.assertEqual(event["sender_device"], sender.device_id)
        self.assertEqual(event["sender_curve25519"], sender.curve25519)
        self.assertEqual(event["sender_ed25519"], sender.ed25519)

    def assert_ciphertext_only(self, peer, room, event_id, plaintext):
        """The server's copy of event_id is m.room.encrypted and holds no plaintext."""
        raw = peer.raw_event(room, event_id)
        self.assertEqual(raw["type"], "m.room.encrypted")
        self.assertEqual(raw["content"]["algorithm"], MEGOLM)
        self.assertTrue(raw["content"]["ciphertext"])
        self.assertNotIn("body", raw["content"])
        self.assertNotIn(plaintext.split()[-1], json.dumps(raw))
        return raw

    def test_encrypted_dm_both_ways(self):
        """Alice opens an encrypted DM with Bob and writes before he joins
        (shared history: the invitee gets the key); each decrypts the
        other's message exactly and the server sees only ciphertext."""
        alice, bob = self.peer("alice"), self.peer("bob")
        room = alice.create_dm(bob.user_id)

        encryption = alice.user.get_state(room, "m.room.encryption")
        self.assertEqual(encryption["algorithm"], MEGOLM)
        self.assertEqual(alice.user.get_account_data("m.direct"), {bob.user_id: [room]})
        invite = alice.user.get_state(room, "m.room.member", bob.user_id)
        self.assertEqual(invite["membership"], "invite")
        self.assertTrue(invite["is_direct"])

        hello = unique("Hello Bob, the quarterly figures are attached ✓")
        hello_id = alice.send(room, hello)
        bob.join(room)
        self.assertEqual(bob.user.get_account_data("m.direct"), {alice.user_id: [room]})
        got = bob.wait_message(room, body_contains=hello.split()[-1])
        self.assertEqual(got["event_id"], hello_id)
        self.assert_decrypted(got, alice, hello)

        reply = unique("Thanks Alice — I'll read them tonight")
        reply_id = bob.send(room, reply)
        got = alice.wait_message(room, event_id=reply_id)
        self.assert_decrypted(got, bob, reply)

        self.assert_ciphertext_only(alice, room, hello_id, hello)
        self.assert_ciphertext_only(bob, room, reply_id, reply)

        seen = {m["event_id"]: m for m in bob.messages(room)}
        self.assertEqual(seen[hello_id]["body"], hello)
        self.assertEqual(seen[reply_id]["body"], reply)

    def test_joined_history_is_hidden_from_a_later_member(self):
        """With history visibility "joined", Carol, invited after two
        messages, can neither fetch nor decrypt them, and decrypts what
        Alice and Bob send once she has joined."""
        alice, bob, carol = self.peer("alice"), self.peer("bob"), self.peer("carol")
        room = alice.create_room(name="board", invite=[bob.user_id], history_visibility="joined")
        self.assertEqual(alice.user.get_state(room, "m.room.history_visibility"),
                         {"history_visibility": "joined"})
        bob.join(room)
        alice.wait_member(room, bob.user_id)

        before = [unique("Before Carol: the merger is off"), unique("Before Carol: keep it quiet")]
        before_ids = [alice.send(room, body) for body in before]
        for event_id, body in zip(before_ids, before):
            self.assert_decrypted(bob.wait_message(room, event_id=event_id), alice, body)
        before_raw = [self.assert_ciphertext_only(alice, room, event_id, body)
                      for event_id, body in zip(before_ids, before)]

        alice.invite(room, carol.user_id)
        carol.join(room)
        alice.wait_member(room, carol.user_id)
        bob.wait_member(room, carol.user_id)
        after_alice = unique("After Carol: welcome to the board")
        after_alice_id = alice.send(room, after_alice)
        after_bob = unique("After Carol: glad you are here")
        after_bob_id = bob.send(room, after_bob)

        self.assert_decrypted(carol.wait_message(room, event_id=after_alice_id), alice, after_alice)
        self.assert_decrypted(carol.wait_message(room, event_id=after_bob_id), bob, after_bob)

        seen = carol.messages(room)
        bodies = [m["body"] for m in seen]
        self.assertIn(after_alice, bodies)
        self.assertIn(after_bob, bodies)
        for body in before:
            self.assertNotIn(body, bodies)
        for event_id in before_ids:
            with self.assertRaises(PeerError, msg="the server served Carol an event from before she joined"):
                carol.raw_event(room, event_id)
        # Even holding the ciphertext, Carol's device has no key for it.
        for raw in before_raw:
            attempt = carol.decrypt(raw)
            self.assertFalse(attempt["decrypted"], attempt)
            self.assertIsNone(attempt["body"])
            self.assertTrue(attempt["error_code"], attempt)

    def test_a_member_who_left_gets_no_later_key(self):
        """Once Carol has left, Alice's next message is under a new room key
        that Bob gets and Carol's device does not."""
        alice, bob, carol = self.peer("alice"), self.peer("bob"), self.peer("carol")
        room = alice.create_room(name="trio", invite=[bob.user_id, carol.user_id])
        bob.join(room)
        carol.join(room)
        alice.wait_member(room, bob.user_id)
        alice.wait_member(room, carol.user_id)
        shared = unique("For the three of us")
        shared_id = alice.send(room, shared)
        first = carol.wait_message(room, event_id=shared_id)
        self.assert_decrypted(first, alice, shared)

        carol.leave(room)
        alice.wait_member(room, carol.user_id, membership="leave")
        private = unique("Now that Carol has gone")
        private_id = alice.send(room, private)
        got = bob.wait_message(room, event_id=private_id)
        self.assert_decrypted(got, alice, private)
        self.assertNotEqual(got["session_id"], first["session_id"])
        attempt = carol.decrypt(self.assert_ciphertext_only(alice, room, private_id, private))
        self.assertFalse(attempt["decrypted"], attempt)
        self.assertEqual(attempt["error_code"], "MEGOLM_UNKNOWN_INBOUND_SESSION_ID")

    def test_devices_are_known_with_their_keys(self):
        """Each peer lists the other's device with the keys it logged in with."""
        alice, bob = self.peer("alice"), self.peer("bob")
        for viewer, owner in ((alice, bob), (bob, alice)):
            devices = {d["device_id"]: d for d in viewer.devices(owner.user_id)}
            self.assertIn(owner.device_id, devices)
            device = devices[owner.device_id]
            self.assertEqual(device["curve25519"], owner.curve25519)
            self.assertEqual(device["ed25519"], owner.ed25519)
            self.assertIn(MEGOLM, device["algorithms"])
            self.assertEqual(device["verification"], "unverified")
            self.assertFalse(device["cross_signing_verified"])

    def test_errors_are_answers(self):
        """A command that cannot be done is answered with a reason and the peer goes on."""
        alice = self.peer("alice")
        with self.assertRaisesRegex(PeerError, "not a room this client knows"):
            alice.send("!nowhere:localhost", "lost")
        with self.assertRaisesRegex(PeerError, "unknown command"):
            alice.command("teleport")
        room = alice.create_room(name="quiet")
        with self.assertRaisesRegex(PeerError, "did not arrive .* within 300 ms"):
            alice.wait_message(room, body_contains="never sent", timeout=0.3)
        alone = unique("still here")
        self.assert_ciphertext_only(alice, room, alice.send(room, alone), alone)

    def test_a_message_from_before_the_invite_is_reported_undecryptable(self):
        """Bob, invited after Alice wrote, is shown the event (shared
        history) without its key: the peer says why it cannot decrypt."""
        alice, bob = self.peer("alice"), self.peer("bob")
        room = alice.create_room(name="late", history_visibility="shared")
        early = unique("Written before Bob was invited")
        early_id = alice.send(room, early)
        alice.invite(room, bob.user_id)
        bob.join(room)
        alice.wait_member(room, bob.user_id)
        later = unique("Written after Bob joined")
        later_id = alice.send(room, later)

        self.assert_decrypted(bob.wait_message(room, event_id=later_id), alice, later)
        got = bob.wait_message(room, event_id=early_id, timeout=2)
        self.assertTrue(got["encrypted"])
        self.assertFalse(got["decrypted"])
        self.assertIsNone(got["body"])
        self.assertEqual(got["error_code"], "HISTORICAL_MESSAGE_USER_NOT_JOINED")
        with self.assertRaisesRegex(PeerError, f"could not be decrypted: {re.escape(early_id)}"):
            bob.wait_message(room, body_contains=early.split()[-1], timeout=0.5)


if __name__ == "__main__":
    unittest.main()
