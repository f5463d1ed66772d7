#!/usr/bin/env python3
"""Proves the Element-grade peer (tests/peer) against the real Synapse, without
natter: peers encrypt for each other, decrypt each other exactly, the server
holds only ciphertext, and history visibility "joined" keeps the past from a
later member; recovery set up on one login restores history and
cross-signing on the next; SAS verification ends verified when the strings
match and cancelled on both sides when they do not."""

import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import element_peer  # noqa: E402
from element_peer import ElementPeer, PeerError  # noqa: E402
from natter_harness import Homeserver, require, wait_until  # noqa: E402

MEGOLM = "m.megolm.v1.aes-sha2"
SSSS_AES = "m.secret_storage.v1.aes-hmac-sha2"
BACKUP_ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"
CROSS_SIGNING_SECRETS = ("m.cross_signing.master", "m.cross_signing.self_signing",
                         "m.cross_signing.user_signing")
# A recovery key as Element shows it: base58 of 0x8B 0x01, the 32-byte key and
# a parity byte, in groups of four.
RECOVERY_KEY = re.compile(r"E[1-9A-HJ-NP-Za-km-z]{3}( [1-9A-HJ-NP-Za-km-z]{4}){11}")
UNPADDED_BASE64 = re.compile(r"[A-Za-z0-9+/]+")


def unique(text):
    """text with a marker no other message has, to look for in ciphertext."""
    return f"{text} {uuid.uuid4().hex}"


class PeerTestCase(unittest.TestCase):
    """Peers on the testbed, and what to check of what they say."""

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


class TestPeer(PeerTestCase):
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


def recovery_key_for(key):
    """The recovery key Element would show for the 32-byte secret storage key."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    raw = b"\x8b\x01" + key
    parity = 0
    for byte in raw:
        parity ^= byte
    raw += bytes([parity])
    n, text = int.from_bytes(raw, "big"), ""
    while n:
        n, digit = divmod(n, 58)
        text = alphabet[digit] + text
    text = "1" * (len(raw) - len(raw.lstrip(b"\0"))) + text
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def last_seq(peer):
    """Where the peer's wire log ends now."""
    entries = peer.wire()
    return entries[-1]["seq"] if entries else 0


def to_device(peer, since, prefix="m.key.verification."):
    """The to-device events of type prefix* the peer sent and received after
    since, in order: (direction, type, content)."""
    out = []
    for entry in peer.wire(since=since):
        if entry["kind"] == "sync":
            out += [("received", e["type"], e["content"]) for e in entry["to_device"]
                    if e["type"].startswith(prefix)]
        elif entry["kind"] == "request" and "/sendToDevice/" in entry["path"]:
            type = entry["path"].split("/sendToDevice/")[1].split("/")[0]
            if type.startswith(prefix):
                for devices in entry["body"]["messages"].values():
                    out += [("sent", type, content) for content in devices.values()]
    return out


class TestPeerRecoveryAndVerification(PeerTestCase):
    """Secret storage, key backup, recovery and SAS verification, between peers only."""

    def login_again(self, peer, device_name):
        """A new device of peer's user, started; closed (its exit checked) after the test."""
        again = ElementPeer(self.hs, peer.user, device_name=device_name)
        self.addCleanup(again.close)
        again.start()
        self.assertNotEqual(again.device_id, peer.device_id)
        return again

    def assert_recovery_on_server(self, peer, setup, passphrase):
        """What bootstrap_recovery left on the server, read there: a default secret
        storage key (with its passphrase's derivation when there is one), the
        cross-signing and backup secrets encrypted under it only, and a key
        backup signed by the device and the master key."""
        user, key_id = peer.user, setup["key_id"]
        self.assertRegex(setup["recovery_key"], f"^{RECOVERY_KEY.pattern}$")
        self.assertEqual(user.get_account_data("m.secret_storage.default_key"), {"key": key_id})
        key = user.get_account_data(f"m.secret_storage.key.{key_id}")
        self.assertEqual(key["algorithm"], SSSS_AES)
        self.assertTrue(key["iv"] and key["mac"], key)
        if passphrase:
            self.assertEqual(key["passphrase"]["algorithm"], "m.pbkdf2")
            self.assertGreaterEqual(key["passphrase"]["iterations"], 100_000)
            self.assertTrue(key["passphrase"]["salt"])
        else:
            self.assertNotIn("passphrase", key)
        for name in CROSS_SIGNING_SECRETS + ("m.megolm_backup.v1",):
            content = user.get_account_data(name)
            self.assertEqual(list(content), ["encrypted"], name)
            self.assertEqual(list(content["encrypted"]), [key_id], name)
            self.assertEqual(set(content["encrypted"][key_id]), {"iv", "ciphertext", "mac"}, name)

        backup = user.api("GET", "/_matrix/client/v3/room_keys/version")
        self.assertEqual(backup["version"], setup["backup_version"])
        self.assertEqual(backup["algorithm"], BACKUP_ALGORITHM)
        self.assertRegex(backup["auth_data"]["public_key"], f"^{UNPADDED_BASE64.pattern}$")
        self.assertEqual(set(backup["auth_data"]["signatures"][user.user_id]),
                         {f"ed25519:{peer.device_id}", f"ed25519:{setup['master']}"})

        query = user.api("POST", "/_matrix/client/v3/keys/query", {"device_keys": {user.user_id: []}})
        self.assertEqual(query["master_keys"][user.user_id]["keys"],
                         {f"ed25519:{setup['master']}": setup["master"]})

        status = peer.own_device_status()
        for flag in ("signed_by_owner", "cross_signing_verified", "cross_signing_ready",
                     "secret_storage_ready", "backup_key_cached"):
            self.assertTrue(status[flag], (flag, status))
        self.assertEqual((status["master"], status["backup_version"]),
                         (setup["master"], setup["backup_version"]))
        # Each secret is a 32-byte key in unpadded base64.
        for name, secret in peer.secrets().items():
            self.assertRegex(secret, f"^{UNPADDED_BASE64.pattern}$", name)
            self.assertEqual(len(secret), 43, name)

    def assert_cross_signed_by_owner(self, viewer, device_id):
        """viewer comes to see device_id of its own user signed by its owner and verified."""
        def signed():
            device = {d["device_id"]: d for d in viewer.devices(viewer.user_id)}.get(device_id)
            return device if device and device["signed_by_owner"] else None
        device = wait_until(signed, timeout=30, what=f"{device_id} signed by its owner, to {viewer!r}")
        self.assertTrue(device["cross_signing_verified"], device)

    def test_recovery_restores_history_and_cross_signs_a_new_login(self):
        """Alice sets up recovery, writes in two rooms and waits for her room keys
        to be backed up; a new login of hers cannot read that history until it
        recovers with the recovery key: then every old message decrypts from the
        backup, and the new device is cross-signed, as her first device sees."""
        alice = self.peer("alice")
        setup = alice.bootstrap_recovery()
        self.assert_recovery_on_server(alice, setup, passphrase=False)

        board, notes = alice.create_room(name="board"), alice.create_room(name="notes")
        sent = {}
        for room, body in ((board, unique("Q3: revenue up 4%, costs flat")),
                           (board, unique("Keep the numbers to yourselves")),
                           (notes, unique("Dentist on Thursday at 9"))):
            sent[alice.send(room, body)] = (room, body)
        sessions = {}
        for event_id, (room, body) in sent.items():
            raw = self.assert_ciphertext_only(alice, room, event_id, body)
            sessions.setdefault(room, set()).add(raw["content"]["session_id"])
        self.assertEqual(sum(map(len, sessions.values())), 2, sessions)

        waited = alice.backup_wait()
        self.assertEqual((waited["version"], waited["count"], waited["local"]),
                         (setup["backup_version"], 2, 2))
        backed = alice.backup_keys()
        self.assertEqual(backed["undecryptable"], [])
        self.assertEqual((backed["version"], backed["algorithm"], backed["count"]),
                         (setup["backup_version"], BACKUP_ALGORITHM, 2))
        self.assertEqual({room: set(keys) for room, keys in backed["rooms"].items()}, sessions)
        for keys in backed["rooms"].values():
            for session_id, key in keys.items():
                self.assertEqual((key["key_session_id"], key["key_index"]), (session_id, 0))
                self.assertEqual(key["algorithm"], MEGOLM)
                self.assertEqual(key["sender_key"], alice.curve25519)
                self.assertEqual(key["sender_claimed_keys"], {"ed25519": alice.ed25519})
                self.assertEqual((key["first_message_index"], key["forwarded_count"]), (0, 0))
        # The server holds each room key encrypted to the backup key only.
        stored = alice.user.api("GET", "/_matrix/client/v3/room_keys/keys?version=" + setup["backup_version"])
        for room, data in stored["rooms"].items():
            for session in data["sessions"].values():
                self.assertEqual(set(session["session_data"]), {"ciphertext", "ephemeral", "mac"})
        self.assertNotIn("session_key", json.dumps(stored))

        second = self.login_again(alice, "alice's new laptop")
        before = second.own_device_status()
        self.assertFalse(before["signed_by_owner"], before)
        self.assertFalse(before["cross_signing_ready"], before)
        for room in sessions:
            for message in second.messages(room):
                self.assertFalse(message["decrypted"], message)
                self.assertIsNone(message["body"], message)

        restored = second.recover(recovery_key=setup["recovery_key"])
        self.assertEqual((restored["imported"], restored["total"], restored["failures"]), (2, 2, 0))
        self.assertEqual((restored["key_id"], restored["master"]), (setup["key_id"], setup["master"]))
        self.assertEqual((restored["backup_version"], restored["backing_up_to"]),
                         (setup["backup_version"], setup["backup_version"]))
        for event_id, (room, body) in sent.items():
            self.assert_decrypted(second.wait_message(room, event_id=event_id), alice, body)
        log = second.stderr()
        for complaint in ("Failed to decrypt megolm session from backup", "Error importing keys from backup"):
            self.assertNotIn(complaint, log)

        after = second.own_device_status()
        for flag in ("signed_by_owner", "cross_signing_verified", "cross_signing_ready",
                     "secret_storage_ready", "backup_key_cached"):
            self.assertTrue(after[flag], (flag, after))
        self.assertEqual(after["backup_version"], setup["backup_version"])
        self.assertEqual(second.secrets(), alice.secrets())
        self.assert_cross_signed_by_owner(alice, second.device_id)
        self.assert_cross_signed_by_owner(second, alice.device_id)
        # On the server: the new device's keys carry the self-signing key's signature.
        query = alice.user.api("POST", "/_matrix/client/v3/keys/query",
                               {"device_keys": {alice.user_id: [second.device_id]}})
        (self_signing,) = query["self_signing_keys"][alice.user_id]["keys"].values()
        self.assertIn(f"ed25519:{self_signing}",
                      query["device_keys"][alice.user_id][second.device_id]["signatures"][alice.user_id])

    def test_recovery_from_a_passphrase(self):
        """A secret storage key made from a passphrase records its derivation; a
        new login recovers with the passphrase, and refuses a wrong passphrase
        and a well-formed recovery key of another key without touching anything."""
        alice = self.peer("alice")
        passphrase = f"correct horse battery staple {uuid.uuid4().hex[:8]}"
        setup = alice.bootstrap_recovery(passphrase=passphrase)
        self.assert_recovery_on_server(alice, setup, passphrase=True)

        second = self.login_again(alice, "alice's phone")
        with self.assertRaisesRegex(PeerError, "not the key of secret storage key"):
            second.recover(passphrase=passphrase + "!")
        with self.assertRaisesRegex(PeerError, "not the key of secret storage key"):
            second.recover(recovery_key=recovery_key_for(os.urandom(32)))
        self.assertFalse(second.own_device_status()["signed_by_owner"])

        restored = second.recover(passphrase=passphrase)
        self.assertEqual((restored["imported"], restored["total"], restored["failures"]), (0, 0, 0))
        self.assertEqual((restored["key_id"], restored["master"]), (setup["key_id"], setup["master"]))
        self.assertTrue(second.own_device_status()["signed_by_owner"])
        self.assertEqual(second.secrets(), alice.secrets())
        self.assert_cross_signed_by_owner(alice, second.device_id)

    def test_backup_keys_reports_what_it_cannot_trust(self):
        """backup_keys tells a session whose MAC is wrong (undecryptable) and one
        filed under another session's id (its key names its own id) from a
        good one."""
        alice = self.peer("alice")
        version = alice.bootstrap_recovery()["backup_version"]
        room = alice.create_room(name="audit")
        alice.send(room, unique("to be backed up"))
        alice.backup_wait()
        stored = alice.user.api("GET", f"/_matrix/client/v3/room_keys/keys?version={version}")
        ((session_id, session),) = stored["rooms"][room]["sessions"].items()
        put = f"/_matrix/client/v3/room_keys/keys/{room}/{{}}?version={version}"
        alice.user.api("PUT", put.format("misfiled"), session)
        tampered = json.loads(json.dumps(session))
        tampered["session_data"]["mac"] = "AAAAAAAAAAA"
        alice.user.api("PUT", put.format("badmac"), tampered)

        backed = alice.backup_keys()
        self.assertEqual(backed["count"], 3)
        self.assertEqual(backed["undecryptable"], [{"room_id": room, "session_id": "badmac"}])
        self.assertEqual(set(backed["rooms"][room]), {session_id, "misfiled"})
        self.assertEqual(backed["rooms"][room][session_id]["key_session_id"], session_id)
        self.assertEqual(backed["rooms"][room]["misfiled"]["key_session_id"], session_id)

    def test_a_new_login_verifies_itself_and_gets_the_secrets(self):
        """Alice's new login verifies itself against her first device by SAS
        (the new one requests and starts): both end done, the first device
        cross-signs the new one, which asks its own devices for the secrets
        (m.secret.request to "*"), gets each back Olm-encrypted, and with the
        backup key reads history from before it existed."""
        alice = self.peer("alice")
        setup = alice.bootstrap_recovery()
        room = alice.create_room(name="diary")
        old = unique("Written before the tablet existed")
        old_id = alice.send(room, old)
        alice.backup_wait()
        second = self.login_again(alice, "alice's tablet")
        marks = {alice: last_seq(alice), second: last_seq(second)}

        txn = self.request_and_accept(second, alice)
        second.verify_start_sas(txn)
        self.assert_same_sas(txn, second, alice)
        second.verify_confirm(txn)
        alice.verify_confirm(txn)
        for peer in (alice, second):
            self.assertEqual(peer.verify_wait_done(txn)["phase"], "done")
        self.assert_cross_signed_by_owner(alice, second.device_id)

        def ready():
            status = second.own_device_status()
            return status if status["cross_signing_ready"] and status["backup_key_cached"] \
                and status["master"] else None
        status = wait_until(ready, timeout=30, what="the secrets reaching the new login")
        self.assertTrue(status["signed_by_owner"] and status["cross_signing_verified"], status)
        self.assertEqual((status["master"], status["backup_version"]),
                         (setup["master"], setup["backup_version"]))
        self.assert_decrypted(second.wait_message(room, event_id=old_id), alice, old)

        # The new device MACs only its device key (it does not trust the master
        # key yet); the first device MACs its device key and the master key.
        macs = {d: c["mac"] for d, t, c in to_device(second, marks[second]) if t == "m.key.verification.mac"}
        self.assertEqual(set(macs["sent"]), {f"ed25519:{second.device_id}"})
        self.assertEqual(set(macs["received"]), {f"ed25519:{alice.device_id}", f"ed25519:{setup['master']}"})
        requests = [c for d, _, c in to_device(second, marks[second], prefix="m.secret.request")
                    if d == "sent" and c["action"] == "request"]
        self.assertEqual(sorted(c["name"] for c in requests),
                         sorted(CROSS_SIGNING_SECRETS + ("m.megolm_backup.v1",)))
        self.assertTrue(all(c["requesting_device_id"] == second.device_id for c in requests), requests)
        olm = [c for d, _, c in to_device(alice, marks[alice], prefix="m.room.encrypted") if d == "sent"]
        self.assertGreaterEqual(len(olm), 4, olm)
        for content in olm:
            self.assertEqual(content["algorithm"], "m.olm.v1.curve25519-aes-sha2")
            self.assertEqual(list(content["ciphertext"]), [second.curve25519])
        answered = {e["content"]["request_id"] for e in second.wire(since=marks[second])
                    if e["kind"] == "to_device" and e["type"] == "m.secret.send"}
        self.assertEqual(answered, {c["request_id"] for c in requests})

    def two_cross_signed_users(self):
        """Alice and Bob, each cross-signed, sharing an encrypted DM (so each
        tracks the other's devices); neither has verified the other."""
        alice, bob = self.peer("alice"), self.peer("bob")
        masters = {alice: alice.cross_sign(), bob: bob.cross_sign()}
        room = bob.create_dm(alice.user_id)
        alice.join(room)
        bob.wait_member(room, alice.user_id)
        for viewer, other in ((alice, bob), (bob, alice)):
            status = viewer.user_status(other.user_id)
            self.assertFalse(status["verified"] or status["cross_signing_verified"], status)
        return alice, bob, masters

    def request_and_accept(self, requester, receiver):
        """requester asks to verify receiver's device, which accepts; the transaction id."""
        txn = requester.verify_request(receiver.user_id, receiver.device_id)
        got = receiver.verify_wait_request(user_id=requester.user_id)
        self.assertEqual((got["transaction_id"], got["from_user"], got["from_device"], got["phase"]),
                         (txn, requester.user_id, requester.device_id, "ready"))
        self.assertFalse(got["initiated_by_me"])
        self.assertIn("m.sas.v1", got["their_methods"])
        return txn

    def assert_same_sas(self, txn, one, other):
        """Both sides show the same seven emoji and three numbers."""
        shown = [one.verify_sas(txn), other.verify_sas(txn)]
        for sas in shown:
            self.assertEqual((sas["phase"], sas["chosen_method"]), ("started", "m.sas.v1"))
            self.assertEqual(len(sas["emoji"]), 7, sas)
            for emoji in sas["emoji"]:
                self.assertEqual(len(emoji), 2, emoji)
                self.assertTrue(all(isinstance(part, str) and part for part in emoji), emoji)
            self.assertEqual(len(sas["decimal"]), 3, sas)
            self.assertTrue(all(1000 <= n <= 9191 for n in sas["decimal"]), sas)
        self.assertEqual(shown[0]["emoji"], shown[1]["emoji"])
        self.assertEqual(shown[0]["decimal"], shown[1]["decimal"])
        return shown[0]

    def test_sas_verification_of_another_users_device(self):
        """Bob verifies Alice's device by emoji: Bob requests and starts SAS,
        both see the same strings and confirm, both end done, and each now
        trusts the other's cross-signing identity. The to-device exchange is
        the one the spec orders, with the v2 MAC."""
        alice, bob, masters = self.two_cross_signed_users()
        marks = {alice: last_seq(alice), bob: last_seq(bob)}
        txn = self.request_and_accept(bob, alice)
        started = bob.verify_start_sas(txn)
        self.assertEqual((started["phase"], started["chosen_method"], started["initiated_by_me"]),
                         ("started", "m.sas.v1", True))
        self.assert_same_sas(txn, bob, alice)
        bob.verify_confirm(txn)
        alice.verify_confirm(txn)
        for peer, other in ((alice, bob), (bob, alice)):
            done = peer.verify_wait_done(txn)
            self.assertEqual((done["phase"], done["verifier"]), ("done", "done"), done)
            self.assertNotIn("cancel_code", done)
            self.assertEqual(done["other_device"], other.device_id)
        # Each signs the other's master key once done (and uploads the signature).
        for viewer, other in ((bob, alice), (alice, bob)):
            def verified(viewer=viewer, other=other):
                status = viewer.user_status(other.user_id)
                return status if status["cross_signing_verified"] else None
            status = wait_until(verified, timeout=30, what=f"{other.user_id} verified, to {viewer!r}")
            self.assertTrue(status["verified"], status)
            device = {d["device_id"]: d for d in viewer.devices(other.user_id)}[other.device_id]
            self.assertTrue(device["cross_signing_verified"], device)

        # The to-device exchange, in order up to the MACs; the two done events
        # cross each other.
        flow = to_device(bob, marks[bob])
        steps = [(d, t.rsplit(".", 1)[1]) for d, t, _ in flow]
        self.assertEqual(steps[:8], [("sent", "request"), ("received", "ready"), ("sent", "start"),
                                     ("received", "accept"), ("sent", "key"), ("received", "key"),
                                     ("sent", "mac"), ("received", "mac")])
        self.assertEqual(sorted(steps[8:]), [("received", "done"), ("sent", "done")])
        self.assertTrue(all(c["transaction_id"] == txn for _, _, c in flow), flow)
        start = flow[2][2]
        self.assertEqual((start["method"], start["from_device"]), ("m.sas.v1", bob.device_id))
        self.assertIn("curve25519-hkdf-sha256", start["key_agreement_protocols"])
        self.assertIn("hkdf-hmac-sha256.v2", start["message_authentication_codes"])
        self.assertEqual(set(start["short_authentication_string"]), {"decimal", "emoji"})
        accept = flow[3][2]
        self.assertEqual((accept["key_agreement_protocol"], accept["hash"],
                          accept["message_authentication_code"]),
                         ("curve25519-hkdf-sha256", "sha256", "hkdf-hmac-sha256.v2"))
        # Each MAC covers the sender's device key and its master key.
        self.assertEqual(set(flow[6][2]["mac"]), {f"ed25519:{bob.device_id}", f"ed25519:{masters[bob]}"})
        self.assertEqual(set(flow[7][2]["mac"]), {f"ed25519:{alice.device_id}", f"ed25519:{masters[alice]}"})
        mirrored = [("received" if d == "sent" else "sent", t) for d, t, _ in flow]
        seen_by_alice = [(d, t) for d, t, _ in to_device(alice, marks[alice])]
        self.assertEqual(seen_by_alice[:8], mirrored[:8])
        self.assertEqual(sorted(seen_by_alice[8:]), sorted(mirrored[8:]))
        # Bob's user-signing key signed Alice's master key on the server.
        def signed():
            query = bob.user.api("POST", "/_matrix/client/v3/keys/query",
                                 {"device_keys": {alice.user_id: [], bob.user_id: []}})
            (bob_user_signing,) = query["user_signing_keys"][bob.user_id]["keys"].values()
            signatures = query["master_keys"][alice.user_id]["signatures"].get(bob.user_id, {})
            return f"ed25519:{bob_user_signing}" in signatures
        wait_until(signed, timeout=30, what="Bob's signature of Alice's master key on the server")

    def test_sas_mismatch_cancels_both_sides(self):
        """When the strings differ (Alice, who received the request, started SAS;
        Bob says they do not match), both sides end cancelled with
        m.mismatched_sas, nobody is verified, and no signature is uploaded."""
        alice, bob, _ = self.two_cross_signed_users()
        marks = {alice: last_seq(alice), bob: last_seq(bob)}
        txn = self.request_and_accept(bob, alice)
        started = alice.verify_start_sas(txn)
        self.assertEqual((started["phase"], started["initiated_by_me"]), ("started", False))
        self.assert_same_sas(txn, alice, bob)
        bob.verify_mismatch(txn)
        for peer, by_me in ((bob, True), (alice, False)):
            done = peer.verify_wait_done(txn)
            self.assertEqual((done["phase"], done["cancel_code"], done["cancelled_by"],
                              done["cancelled_by_me"]),
                             ("cancelled", "m.mismatched_sas", bob.user_id, by_me), done)
            self.assertTrue(done["cancel_reason"], done)
        for viewer, other in ((bob, alice), (alice, bob)):
            status = viewer.user_status(other.user_id)
            self.assertFalse(status["verified"] or status["cross_signing_verified"], status)
            device = {d["device_id"]: d for d in viewer.devices(other.user_id)}[other.device_id]
            self.assertFalse(device["cross_signing_verified"] or device["locally_verified"], device)
        cancels = [(d, c) for d, t, c in to_device(alice, marks[alice]) if t == "m.key.verification.cancel"]
        self.assertEqual(cancels[0][0], "received", cancels)
        self.assertEqual((cancels[0][1]["code"], cancels[0][1]["transaction_id"]), ("m.mismatched_sas", txn))
        for peer in (alice, bob):
            sent = [e for e in peer.wire(since=marks[peer]) if e["kind"] == "request"
                    and e["path"].endswith("/keys/signatures/upload")]
            self.assertEqual(sent, [], f"{peer!r} uploaded a signature after a mismatch")

    def test_a_cancelled_request(self):
        """Alice accepts Bob's request and then cancels it: both end cancelled
        with m.user, and SAS can no longer start."""
        alice, bob, _ = self.two_cross_signed_users()
        txn = self.request_and_accept(bob, alice)
        alice.verify_cancel(txn)
        for peer, by_me in ((alice, True), (bob, False)):
            done = peer.verify_wait_done(txn)
            self.assertEqual((done["phase"], done["cancel_code"], done["cancelled_by_me"]),
                             ("cancelled", "m.user", by_me), done)
        with self.assertRaisesRegex(PeerError, "cancelled \\(m.user"):
            bob.verify_start_sas(txn, timeout=5)
        with self.assertRaisesRegex(PeerError, "no verification request"):
            bob.verify_sas("no-such-transaction")


if __name__ == "__main__":
    unittest.main()
