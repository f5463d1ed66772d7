"""End-to-end encryption with an Element-grade peer (matrix-js-sdk with its
Rust crypto): natter reads, finds, exports and answers an encrypted direct
chat, and the server only ever sees ciphertext."""

import json
import unittest

from cli_support import ElementChatTestCase, natter_for
from element_peer import ElementPeer, install
from natter_harness import require, wait_until
from test_tui import TuiTestCase


class E2eeTest(ElementChatTestCase):

    def test_natter_reads_finds_and_answers_an_encrypted_chat(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "The car is booked for 8:15.")
        raw = self.dana.raw_event(room, sent)
        self.assertEqual(raw["type"], "m.room.encrypted")
        self.assertNotIn("8:15", str(raw))

        self.natter.ok("sync", "--once")
        history = self.natter.history(room)
        mine = [m for m in history if m.get("event_id") == sent]
        self.assertEqual(len(mine), 1, history)
        self.assertEqual(mine[0]["body"], "The car is booked for 8:15.")
        self.assertEqual(mine[0]["encryption"], "ok")
        hits = self.natter.json_lines("search", "booked")
        self.assertEqual([h["event_id"] for h in hits], [sent])
        eml = self.natter.home / "chat.eml"
        self.natter.ok("export", room, "--eml", eml)
        self.assertIn("The car is booked for 8:15.", eml.read_text())

        out = self.natter.ok("send", room, "Thank you, 8:15 is fine.")
        self.assertTrue(out.startswith("sent "), out)
        event_id = out.split()[-1]
        got = self.dana.wait_message(room, event_id=event_id)
        self.assertTrue(got["encrypted"])
        self.assertTrue(got["decrypted"], got)
        self.assertEqual(got["body"], "Thank you, 8:15 is fine.")
        raw = self.dana.raw_event(room, event_id)
        self.assertEqual(raw["type"], "m.room.encrypted")
        self.assertNotIn("8:15", str(raw))

    def test_an_attachment_goes_encrypted_and_comes_back_whole(self):
        room = self.encrypted_dm()
        data = bytes(range(256)) * 64 + b"board pack, confidential"
        path = self.natter.home / "board-pack.pdf"
        path.write_bytes(data)
        out = self.natter.ok("send", room, "--file", path)
        event_id = out.split()[-1]
        got = self.dana.wait_message(room, event_id=event_id)
        self.assertTrue(got["decrypted"], got)
        self.assertEqual(got["body"], "board-pack.pdf")
        self.assertNotIn("board-pack", str(self.dana.raw_event(room, event_id)))
        # The server holds only ciphertext; natter gets the file back whole.
        self.natter.ok("sync", "--once")
        sent = [m for m in self.natter.history(room) if m["event_id"] == event_id][0]
        self.assertNotEqual(self.alice.download(sent["url"]), data)
        saved = self.natter.ok("download", room, event_id).split("saved ", 1)[1].strip()
        self.assertEqual(open(saved, "rb").read(), data)

    def test_devices_lists_what_element_shows(self):
        listed = self.natter.json_lines("devices", self.bob.user_id)
        peer = [d for d in listed if d["device_id"] == self.dana.device_id]
        self.assertEqual(len(peer), 1, listed)
        self.assertEqual(peer[0]["ed25519"], self.dana.ed25519)
        self.assertEqual(peer[0]["curve25519"], self.dana.curve25519)
        self.assertEqual(peer[0]["trust"], "unverified")
        # natter's own device as Element sees it, and as natter says it is.
        seen = self.dana.devices(self.alice.user_id)
        own = [d for d in self.natter.json_lines("devices") if d["this_device"]]
        self.assertEqual(len(own), 1)
        self.assertIn(own[0]["ed25519"], [d["ed25519"] for d in seen])

    def test_a_later_member_reads_what_comes_after_not_before(self):
        room = self.encrypted_dm()
        before = self.natter.ok("send", room, "before Carol: the merger").split()[-1]
        carol_user = self.hs.register("carol")
        carol = ElementPeer(self.hs, carol_user)
        self.addCleanup(carol.close)
        carol.start()
        self.natter.ok("invite", room, carol_user.user_id)
        carol.join(room)
        self.natter.ok("sync", "--once")
        after = self.natter.ok("send", room, "after Carol: the offsite").split()[-1]
        got = carol.wait_message(room, event_id=after)
        self.assertTrue(got["decrypted"], got)
        self.assertEqual(got["body"], "after Carol: the offsite")
        # The key natter shares with her starts after what she must not read.
        old = carol.wait_message(room, event_id=before, timeout=5)
        self.assertFalse(old["decrypted"], old)
        self.assertIsNone(old["body"])

    def test_replies_edits_reactions_and_deletions_go_both_ways_encrypted(self):
        room = self.encrypted_dm()
        lunch = self.dana.send(room, "Lunch at 12?")
        self.natter.ok("sync", "--once")
        self.natter.ok("react", room, lunch, "👍")
        mine = self.natter.ok("send", room, "Meeting at 3", "--reply", lunch).split()[-1]
        # Dana's Element reads each of them decrypted: the reply before it is
        # edited (an edited message shows its m.new_content, which has no reply).
        got = self.dana.wait_message(room, event_id=mine)
        self.assertEqual(got["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], lunch)
        gone = self.natter.ok("send", room, "sent by mistake").split()[-1]
        self.natter.ok("sync", "--once")  # edits name what the cache holds
        self.natter.ok("edit", room, mine, "Meeting at 4")
        self.natter.ok("redact", room, gone)

        def seen(pred, what):
            return wait_until(lambda: [m for m in self.dana.messages(room) if pred(m)],
                              what=what)
        react = seen(lambda m: m["type"] == "m.reaction", "natter's reaction at Dana's")[0]
        self.assertTrue(react["encrypted"] and react["decrypted"], react)
        self.assertEqual(react["content"]["m.relates_to"],
                         {"rel_type": "m.annotation", "event_id": lunch, "key": "👍"})
        edit = seen(lambda m: m.get("content", {}).get("m.relates_to", {}).get("rel_type")
                    == "m.replace", "natter's edit at Dana's")[0]
        self.assertTrue(edit["encrypted"] and edit["decrypted"], edit)
        self.assertEqual(edit["content"]["m.new_content"]["body"], "Meeting at 4")
        seen(lambda m: m["event_id"] == gone and m.get("redacted"), "the deletion at Dana's")
        for event_id in (react["event_id"], edit["event_id"]):
            raw = self.dana.raw_event(room, event_id)
            self.assertEqual(raw["type"], "m.room.encrypted")
        # And the other way: Dana edits hers and reacts to natter's.
        self.dana.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "* Lunch at 1?",
            "m.new_content": {"msgtype": "m.text", "body": "Lunch at 1?"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": lunch}})
        self.dana.send_event(room, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": mine, "key": "✅"}})
        self.natter.ok("sync", "--once")
        theirs = self.message(self.natter, room, lunch)
        self.assertEqual(theirs["body"], "Lunch at 1?")
        self.assertTrue(theirs["edited"])
        self.assertEqual(theirs["reactions"], "👍 1")
        ours = self.message(self.natter, room, mine)
        self.assertEqual(ours["body"], "Meeting at 4")
        self.assertEqual(ours["reactions"], "✅ 1")
        self.assertTrue(self.message(self.natter, room, gone)["redacted"])

    def test_a_replayed_or_tampered_message_says_so(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "Wire the deposit today")
        content = self.dana.raw_event(room, sent)["content"]
        # The same ciphertext again, under a new event, through the server.
        replay = self.bob.send_event(room, "m.room.encrypted", content)
        ct = content["ciphertext"]
        tampered = self.bob.send_event(room, "m.room.encrypted", {
            **content, "ciphertext": ct[:20] + ("A" if ct[20] != "A" else "B") + ct[21:]
        })
        self.natter.ok("sync", "--once")
        self.assertEqual(self.body_of(self.natter, room, sent), "Wire the deposit today")
        self.assertEqual(self.message(self.natter, room, replay)["encryption"],
                         "refused: its message index was used before")
        self.assertTrue(self.message(self.natter, room, tampered)["encryption"]
                        .startswith("cannot be decrypted"))
        text = self.natter.ok("history", room)
        self.assertIn("[encrypted: refused: its message index was used before]", text)
        self.assertIn("[encrypted: cannot be decrypted", text)
        self.assertEqual(text.count("Wire the deposit today"), 1)

    def test_messages_from_a_device_nobody_verified_are_marked(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "Please call me after the board")
        self.natter.ok("send", room, "Will do")
        self.natter.ok("sync", "--once")
        theirs = self.message(self.natter, room, sent)
        self.assertEqual(theirs["sender_trust"], "unverified")
        mine = [m for m in self.natter.history(room) if m.get("body") == "Will do"]
        self.assertEqual(mine[0]["sender_trust"], "verified")
        text = self.natter.ok("history", room)
        self.assertIn("Please call me after the board [unverified device]", text)
        self.assertIn("Will do\n", text)
        # Compared with what Element shows, and said so: the mark goes.
        self.natter.ok("trust", self.bob.user_id, self.dana.device_id, self.dana.ed25519)
        self.assertEqual(self.message(self.natter, room, sent)["sender_trust"], "verified")
        self.assertNotIn("[unverified device]", self.natter.ok("history", room))
        self.natter.ok("trust", "--block", self.bob.user_id, self.dana.device_id)
        self.assertIn("[blocked device]", self.natter.ok("history", room))

    def test_a_device_its_owner_cross_signed_is_not_marked(self):
        room = self.encrypted_dm()
        master = self.dana.cross_sign()
        sent = self.dana.send(room, "Signed off by me")
        listed = [d for d in self.natter.json_lines("devices", self.bob.user_id)
                  if d["device_id"] == self.dana.device_id]
        self.assertEqual(listed[0]["trust"], "signed", listed)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.message(self.natter, room, sent)["sender_trust"], "signed")
        self.assertNotIn("[unverified device]", self.natter.ok("history", room))
        self.assertTrue(master)

    def test_an_identity_that_changes_is_flagged_until_accepted(self):
        room = self.encrypted_dm()
        first = self.dana.cross_sign()
        sent = self.dana.send(room, "Sign here, please")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.message(self.natter, room, sent)["sender_trust"], "signed")
        # Bob's cross-signing is made anew (a reset, or someone else).
        second = self.dana.cross_sign()
        self.assertNotEqual(first, second)
        r = self.natter.run("devices", self.bob.user_id, "--json")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("WARNING: the identity (master key) of %s changed" % self.bob.user_id,
                      r.stderr)
        self.assertIn("natter trust --accept-identity %s" % self.bob.user_id, r.stderr)
        listed = [json.loads(line) for line in r.stdout.splitlines()]
        dana = [d for d in listed if d["device_id"] == self.dana.device_id]
        self.assertEqual((dana[0]["trust"], dana[0]["identity_changed"]), ("changed", True))
        self.assertEqual(self.message(self.natter, room, sent)["sender_trust"], "changed")
        self.assertIn("Sign here, please [identity changed]", self.natter.ok("history", room))
        out = self.natter.ok("trust", "--accept-identity", self.bob.user_id)
        self.assertEqual(out, "accepted the new identity of %s\n" % self.bob.user_id)
        r = self.natter.run("devices", self.bob.user_id, "--json")
        self.assertNotIn("WARNING", r.stderr)
        dana = [json.loads(line) for line in r.stdout.splitlines()
                if json.loads(line)["device_id"] == self.dana.device_id]
        self.assertEqual(dana[0]["trust"], "signed")
        self.assertEqual(self.message(self.natter, room, sent)["sender_trust"], "signed")
        again = self.natter.ok("trust", "--accept-identity", self.bob.user_id)
        self.assertIn("did not change: nothing to accept", again)

    def test_a_new_device_gets_earlier_keys_from_a_verified_one(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "The board meets at 9 on Monday.")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.body_of(self.natter, room, sent), "The board meets at 9 on Monday.")
        # A second natter logs in as the same user: the message is there,
        # its key is not (Dana's client shared it before this device was).
        laptop = natter_for(self.alice, self.hs)
        self.addCleanup(laptop.cleanup)
        laptop.ok("sync", "--once")
        waiting = self.message(laptop, room, sent)
        self.assertTrue(waiting["encryption"].startswith("waiting for the key"), waiting)
        self.assertNotIn("body", waiting)
        first = self.own_device(self.natter)
        second = self.own_device(laptop)
        # An unverified device asks in vain: the first natter keeps the
        # request until its user compares fingerprints.
        laptop.ok("sync", "--once")
        self.natter.ok("sync", "--once")
        laptop.ok("sync", "--once")
        self.assertNotIn("body", self.message(laptop, room, sent))
        r = self.natter.run("trust", self.alice.user_id, second["device_id"], "AAAA BBBB")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not the key", r.stderr)
        out = self.natter.ok("trust", self.alice.user_id, second["device_id"],
                             *second["ed25519"].split())
        self.assertIn("verified", out)
        laptop.ok("trust", self.alice.user_id, first["device_id"], first["ed25519"])
        self.natter.ok("sync", "--once")     # answers the request it kept
        laptop.ok("sync", "--once")          # the forwarded key comes
        self.assertEqual(self.body_of(laptop, room, sent), "The board meets at 9 on Monday.")
        hits = laptop.json_lines("search", "Monday")
        self.assertEqual([h["event_id"] for h in hits], [sent])
        self.assertEqual([d["trust"] for d in laptop.json_lines("devices")
                          if d["device_id"] == first["device_id"]], ["verified"])

    def test_room_keys_move_between_element_and_natter_in_a_key_file(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "The offsite moved to Thursday.")
        self.natter.ok("sync", "--once")
        # A fresh natter device has the message but not its key.
        laptop = natter_for(self.alice, self.hs)
        self.addCleanup(laptop.cleanup)
        laptop.ok("sync", "--once")
        self.assertNotIn("body", self.message(laptop, room, sent))
        # Dana's Element exports its keys; the file opens in natter only
        # with its passphrase, and then the message reads and is found.
        path = laptop.home / "element-keys.txt"
        path.write_text(self.dana.export_keys("tulip ✓ 42", rounds=10000))
        r = laptop.run("keys", "import", path, "--passphrase-stdin", input="tulip 42\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("natter: wrong passphrase", r.stderr)
        self.assertNotIn("body", self.message(laptop, room, sent))
        out = laptop.ok("keys", "import", path, "--passphrase-stdin", input="tulip ✓ 42\n")
        self.assertRegex(out, r"^imported [1-9]\d* room keys?\n$")
        self.assertEqual(self.body_of(laptop, room, sent), "The offsite moved to Thursday.")
        self.assertEqual([h["event_id"] for h in laptop.json_lines("search", "offsite")], [sent])
        again = laptop.ok("keys", "import", path, "--passphrase-stdin", input="tulip ✓ 42\n")
        self.assertRegex(again, r"^imported 0 room keys, [1-9]\d* known already\n$")
        # And back: natter's file opens in the Rust crypto of a new Element
        # device, which then reads natter's own message.
        mine = self.natter.ok("send", room, "Thursday works for me.").split()[-1]
        out_path = self.natter.home / "natter-keys.txt"
        out = self.natter.ok("keys", "export", out_path, "--passphrase-stdin", input="kestrel\n")
        self.assertRegex(out, r"^exported [1-9]\d* room keys? to ")
        self.assertEqual(out_path.stat().st_mode & 0o777, 0o600)
        text = out_path.read_text()
        self.assertTrue(text.startswith("-----BEGIN MEGOLM SESSION DATA-----\n"), text[:60])
        r = self.natter.run("keys", "export", out_path, "--passphrase-stdin", input="kestrel\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("exists: give --force", r.stderr)
        phone = ElementPeer(self.hs, self.bob, device_name="Dana's phone")
        self.addCleanup(phone.close)
        phone.start()
        phone.wait_member(room, self.alice.user_id)
        before = phone.wait_message(room, event_id=mine)
        self.assertIsNone(before["body"], before)
        imported, total = phone.import_keys(text, "kestrel")
        self.assertGreaterEqual(total, 2, "Dana's key and natter's own")
        self.assertEqual(phone.wait_message(room, event_id=mine, body_contains="Thursday works")
                         ["body"], "Thursday works for me.")

    def test_a_withheld_key_says_why_both_ways(self):
        room = self.encrypted_dm()
        # Dana's Element sends room keys only to devices their owner
        # cross-signed: natter's is not, and is told so.
        self.dana.cross_sign()
        self.dana.isolation(True)
        sent = self.dana.send(room, "For signed devices only")
        self.natter.ok("sync", "--once")
        msg = self.message(self.natter, room, sent)
        self.assertNotIn("body", msg)
        self.assertTrue(msg["encryption"].startswith(
            "waiting for the key: its sender withheld it (m.unverified"), msg)
        self.assertIn("[encrypted: waiting for the key: its sender withheld it (m.unverified",
                      self.natter.ok("history", room))
        # natter set to do the same shares its key with Dana's signed
        # device, and withholds it from her new phone, which nobody
        # cross-signed, telling it why.
        self.dana.isolation(False)
        phone = ElementPeer(self.hs, self.bob, device_name="Dana's phone")
        self.addCleanup(phone.close)
        phone.start()
        self.natter.ok("sync", "--once")
        conf = self.natter.config_home / "natter" / "config"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text("[crypto]\nsend_keys = signed\n")
        mine = self.natter.ok("send", room, "Not for unsigned devices").split()[-1]
        self.assertEqual(self.dana.wait_message(room, event_id=mine)["body"],
                         "Not for unsigned devices")
        got = phone.wait_message(room, event_id=mine, timeout=20)
        self.assertIsNone(got["body"], got)
        self.assertEqual(got["error_code"], "MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE", got)
        # Back to every device: the next message reaches the phone too.
        conf.write_text("[crypto]\nsend_keys = all\n")
        again = self.natter.ok("send", room, "For every device").split()[-1]
        self.assertEqual(phone.wait_message(room, event_id=again, body_contains="every device")
                         ["body"], "For every device")
        conf.write_text("[crypto]\nsend_keys = some\n")
        r = self.natter.run("rooms")
        self.assertIn("send_keys", r.stderr)

    def test_a_broken_key_file_is_refused_with_a_reason(self):
        path = self.natter.home / "keys.txt"
        cases = [
            ("", "not a room key file"),
            ('{"keys": []}', "not a room key file"),
            ("-----BEGIN MEGOLM SESSION DATA-----\nAXNhbHRz\n", "cut short"),
        ]
        for text, why in cases:
            path.write_text(text)
            r = self.natter.run("keys", "import", path, "--passphrase-stdin", input="x\n")
            self.assertEqual(r.returncode, 1, r)
            self.assertIn(why, r.stderr)
            self.assertTrue(r.stderr.startswith("natter: "), r.stderr)
        r = self.natter.run("keys", "import", self.natter.home / "none.txt",
                            "--passphrase-stdin", input="x\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("none.txt", r.stderr)
        r = self.natter.run("keys", "export", path, "--passphrase-stdin", input="\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("empty passphrase", r.stderr)
        for bad in (["keys"], ["keys", "send", path], ["keys", "import", path, "--force"]):
            r = self.natter.run(*bad)
            self.assertEqual(r.returncode, 2, r)

    def test_a_forwarded_key_is_refused_from_an_unverified_device(self):
        room = self.encrypted_dm()
        sent = self.dana.send(room, "Salary review notes")
        self.natter.ok("sync", "--once")
        laptop = natter_for(self.alice, self.hs)
        self.addCleanup(laptop.cleanup)
        laptop.ok("sync", "--once")
        second = self.own_device(laptop)
        # The first natter trusts the laptop and answers; the laptop has
        # not verified the first natter, so it does not believe the key.
        self.natter.ok("trust", self.alice.user_id, second["device_id"], second["ed25519"])
        laptop.ok("sync", "--once")
        self.natter.ok("sync", "--once")
        laptop.ok("-v", "sync", "--once")
        self.assertNotIn("body", self.message(laptop, room, sent))
        log = (laptop.state_home / "natter" / "default.log").read_text()
        self.assertIn(f"a forwarded room key from {self.alice.user_id} refused: its device "
                      "is not verified", log)

    def message(self, natter, room, event_id):
        found = [m for m in natter.history(room) if m.get("event_id") == event_id]
        self.assertEqual(len(found), 1, found)
        return found[0]

    def body_of(self, natter, room, event_id):
        return self.message(natter, room, event_id).get("body")

    def own_device(self, natter):
        own = [d for d in natter.json_lines("devices") if d["this_device"]]
        self.assertEqual(len(own), 1, own)
        return own[0]


class E2eeTuiTest(TuiTestCase):
    """The interface in an encrypted direct chat reads and answers like in
    any other room."""

    def setUp(self):
        ok, why = install()
        require("peer", ok, why)
        super().setUp()
        self.natter.ok("sync", "--once")
        self.dana = ElementPeer(self.hs, self.bob)
        self.addCleanup(self.dana.close)
        self.dana.start()

    def test_an_encrypted_chat_reads_and_answers_in_the_interface(self):
        room = self.dana.create_dm(self.alice.user_id)
        self.natter.ok("sync", "--once")
        self.natter.ok("join", room)
        self.dana.wait_member(room, self.alice.user_id)
        self.dana.send(room, "Can you move my 3pm?")
        t = self.start()
        screen = t.wait_for("Can you move my 3pm?")
        self.assertIn("(encrypted)", screen.splitlines()[0])
        self.assertIn("Can you move my 3pm? [unverified device]", screen)
        t.text("Moved to 4pm.")
        t.keys("Enter")
        got = self.dana.wait_message(room, body_contains="Moved to 4pm.")
        self.assertTrue(got["encrypted"] and got["decrypted"], got)
        t.wait_for("Moved to 4pm.")


if __name__ == "__main__":
    unittest.main()
