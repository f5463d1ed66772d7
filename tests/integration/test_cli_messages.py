"""Receiving and sending through the CLI, as the other user sees it."""

import json
import re
import time
import unittest

from cli_support import NatterTestCase, natter_for


def body_is(text):
    return lambda e: e.get("content", {}).get("body") == text


class MessagesTest(NatterTestCase):
    def test_rooms_lists_invites_and_joined_rooms_with_unread(self):
        room = self.bob.create_room(name="Board Pack", invite=[self.alice.user_id])
        self.natter.ok("sync", "--once")
        rooms = {r["room_id"]: r for r in self.natter.json_lines("rooms")}
        self.assertEqual(rooms[room]["membership"], "invite")
        self.assertEqual(rooms[room]["name"], "Board Pack")
        self.assertIn("joined", self.natter.ok("join", "Board Pack"))
        # A receipt makes the count start here; without one, Synapse may
        # still count the invite (see Client.mark_read).
        self.natter.ok("sync", "--once")
        self.assertIn("read up to", self.natter.ok("read", "Board Pack"))
        self.bob.send_text(room, "first draft attached")
        self.bob.send_text(room, "second draft")
        self.alice.wait_unread(room, 2)
        self.natter.ok("sync", "--once")
        rooms = {r["room_id"]: r for r in self.natter.json_lines("rooms")}
        self.assertEqual(rooms[room]["membership"], "join")
        self.assertEqual(rooms[room]["unread"], 2)
        text = self.natter.ok("rooms")
        self.assertRegex(text, r"\n?\s+2\s.*Board Pack\s+" + re.escape(room))

    def test_message_from_the_other_user_arrives(self):
        room = self.shared_room()
        self.bob.send_text(room, "Can you move my 3pm?")
        self.natter.ok("sync", "--once")
        msgs = [m for m in self.natter.history(room) if m["type"] == "m.room.message"]
        self.assertEqual(msgs[-1]["body"], "Can you move my 3pm?")
        self.assertEqual(msgs[-1]["sender"], self.bob.user_id)
        self.assertIn(": Can you move my 3pm?", self.natter.ok("history", "Planning"))

    def test_send_reply_edit_react_redact_seen_by_the_other_user(self):
        room = self.shared_room()
        self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("membership") == "join"
                                and e.get("state_key") == self.alice.user_id)
        out = self.natter.ok("send", "Planning", "The car is booked for **8:15**.")
        first = out.split()[-1]
        ev = self.bob.wait_for_event(room, body_is("The car is booked for **8:15**."))
        self.assertEqual(ev["event_id"], first)
        self.assertIn("<strong>8:15</strong>", ev["content"]["formatted_body"])
        self.natter.ok("sync", "--once")

        self.natter.ok("send", "Planning", "--reply", first, "and the driver has your number")
        ev = self.bob.wait_for_event(room, body_is("and the driver has your number"))
        self.assertEqual(ev["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], first)

        self.natter.ok("edit", "Planning", first, "The car is booked for 8:30.")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get(
            "m.relates_to", {}).get("rel_type") == "m.replace")
        self.assertEqual(ev["content"]["m.new_content"]["body"], "The car is booked for 8:30.")
        self.assertEqual(ev["content"]["m.relates_to"]["event_id"], first)

        self.natter.ok("react", "Planning", first, "👍")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.reaction")
        self.assertEqual(ev["content"]["m.relates_to"],
                         {"rel_type": "m.annotation", "event_id": first, "key": "👍"})

        self.natter.ok("send", "Planning", "--emote", "is on the way")
        ev = self.bob.wait_for_event(room, body_is("is on the way"))
        self.assertEqual(ev["content"]["msgtype"], "m.emote")

        self.natter.ok("sync", "--once")
        mine = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertEqual(mine[first]["body"], "The car is booked for 8:30.")
        self.assertTrue(mine[first]["edited"])
        self.assertEqual(mine[first]["reactions"], "👍 1")
        self.assertIn("(edited)", self.natter.ok("history", "Planning"))

        self.natter.ok("redact", "Planning", first)
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.redaction")
        self.assertEqual(ev.get("redacts", ev["content"].get("redacts")), first)
        self.natter.ok("sync", "--once")
        mine = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertTrue(mine[first]["redacted"])
        self.assertNotIn("8:30", self.natter.ok("history", "Planning"))

    def test_only_own_messages_can_be_edited(self):
        room = self.shared_room()
        theirs = self.bob.send_text(room, "not yours to edit")
        self.natter.ok("sync", "--once")
        r = self.natter.run("edit", "Planning", theirs, "hijacked")
        self.assertEqual(r.returncode, 1)
        self.assertIn("only your own messages", r.stderr)

    def test_text_from_stdin(self):
        room = self.shared_room()
        self.natter.ok("send", "Planning", input="line one\nline two\n")
        ev = self.bob.wait_for_event(room, body_is("line one\nline two"))
        self.assertNotIn("formatted_body", ev["content"])
        r = self.natter.run("send", "Planning", input="")
        self.assertEqual(r.returncode, 1)
        self.assertIn("empty", r.stderr)

    def test_dm_is_created_once_and_marked_direct(self):
        out = self.natter.ok("dm", self.bob.user_id)
        self.assertTrue(out.startswith("created !"), out)
        room = out.split()[-1]
        sync = self.bob.sync()
        invite = sync["rooms"]["invite"][room]["invite_state"]["events"]
        me = [e for e in invite if e["type"] == "m.room.member"
              and e["state_key"] == self.bob.user_id]
        self.assertTrue(me[0]["content"].get("is_direct"))
        self.assertEqual(self.alice.get_account_data("m.direct"), {self.bob.user_id: [room]})
        self.assertEqual(self.natter.ok("dm", self.bob.user_id).split(), ["existing", room])
        self.bob.join(room)
        self.natter.ok("send", self.bob.user_id, "hello via the DM")
        # A direct chat is end-to-end encrypted from its first event, as
        # Element makes it: the server holds only ciphertext.
        state = self.bob.get_state(room, "m.room.encryption")
        self.assertEqual(state["algorithm"], "m.megolm.v1.aes-sha2")
        sent = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.encrypted"
                                       and e["sender"] == self.alice.user_id)
        self.assertNotIn("hello via the DM", json.dumps(sent))
        rooms = {r["room_id"]: r for r in self.natter.json_lines("rooms")}
        self.assertTrue(rooms[room]["dm"])
        self.assertTrue(rooms[room]["encrypted"])
        self.assertEqual(rooms[room]["dm_user"], self.bob.user_id)
        self.natter.ok("sync", "--once")
        mine = [m for m in self.natter.history(room) if m["type"] == "m.room.message"]
        self.assertEqual([m["body"] for m in mine], ["hello via the DM"])
        self.assertEqual(mine[0]["encryption"], "ok")

    def test_broadcast_reaches_three_targets_once_each(self):
        carol = self.hs.register("carol")
        r1 = self.shared_room("Exec Office")
        r2 = self.shared_room("Travel Desk")
        dm = self.natter.ok("dm", carol.user_id).split()[-1]
        carol.join(dm)
        out = self.natter.ok("broadcast", "--to", f"Exec Office,Travel Desk,{carol.user_id}",
                             "Office closes at 4 today")
        self.assertEqual(out.count("sent "), 3)
        for room, user in ((r1, self.bob), (r2, self.bob)):
            msgs = [e for e in user.messages(room)["chunk"]
                    if e.get("content", {}).get("body") == "Office closes at 4 today"]
            self.assertEqual(len(msgs), 1, room)
        # The direct chat is encrypted: one ciphertext, no plaintext.
        chunk = carol.messages(dm)["chunk"]
        sealed = [e for e in chunk if e["type"] == "m.room.encrypted"
                  and e["sender"] == self.alice.user_id]
        self.assertEqual(len(sealed), 1)
        self.assertNotIn("Office closes", json.dumps(chunk))

    def test_broadcast_reports_each_target(self):
        self.shared_room("Exec Office")
        r = self.natter.run("broadcast", "--to", "Exec Office,No Such Room", "hello")
        self.assertEqual(r.returncode, 1)
        self.assertIn("sent Exec Office", r.stdout)
        self.assertIn("failed No Such Room", r.stderr)
        self.assertIn("1 of 2 targets", r.stderr)
        for line in r.stderr.splitlines():
            self.assertTrue(line.startswith("natter: "), line)

    def test_room_names_resolve_or_list_candidates(self):
        a = self.shared_room("Team Alpha")
        b = self.shared_room("Team Beta")
        self.natter.ok("send", "team alpha", "exact, any case")
        self.natter.ok("send", "Team B", "unique prefix")
        self.bob.wait_for_event(a, body_is("exact, any case"))
        self.bob.wait_for_event(b, body_is("unique prefix"))
        r = self.natter.run("history", "Team")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Team Alpha", r.stderr)
        self.assertIn("Team Beta", r.stderr)
        r = self.natter.run("history", "Nowhere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no room", r.stderr)

    def test_nothing_is_sent_in_clear_to_an_encrypted_room(self):
        room = self.bob.create_room(name="Secret", invite=[self.alice.user_id], initial_state=[{
            "type": "m.room.encryption", "state_key": "",
            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        self.alice.join(room)
        self.natter.ok("sync", "--once")
        self.natter.ok("send", "Secret", "the acquisition closes Friday")
        self.natter.ok("broadcast", "--to", "Secret", "hello")
        chunk = self.bob.messages(room)["chunk"]
        self.assertFalse([e for e in chunk if e["type"] == "m.room.message"])
        sealed = [e for e in chunk if e["type"] == "m.room.encrypted"
                  and e["sender"] == self.alice.user_id]
        self.assertEqual(len(sealed), 2)
        for e in sealed:
            self.assertEqual(e["content"]["algorithm"], "m.megolm.v1.aes-sha2")
        self.assertNotIn("acquisition", json.dumps(chunk))
        self.assertNotIn("hello", json.dumps(chunk))
        self.assertEqual(self.natter.json_lines("outbox"), [])

    def test_events_must_belong_to_the_room_named(self):
        self.shared_room("One")
        other = self.shared_room("Two")
        ev = self.bob.send_text(other, "in room two")
        self.natter.ok("sync", "--once")
        for args in (("react", "One", ev, "👍"), ("redact", "One", ev),
                     ("download", "One", ev)):
            with self.subTest(args=args):
                r = self.natter.run(*args)
                self.assertEqual(r.returncode, 1)
                self.assertIn("is not in One", r.stderr)

    def test_invite_and_leave(self):
        carol = self.hs.register("carol")
        room = self.shared_room()
        self.assertIn("invited to", self.natter.ok("invite", "Planning", carol.user_id))
        self.assertIn(room, carol.sync()["rooms"]["invite"])
        r = self.natter.run("invite", "Planning", "carol")
        self.assertEqual(r.returncode, 2)
        self.assertIn("natter: \"carol\" is not a user id", r.stderr)
        self.natter.ok("leave", "Planning")
        self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.member"
                                and e["state_key"] == self.alice.user_id
                                and e["content"]["membership"] == "leave")
        rooms = {r["room_id"]: r for r in self.natter.json_lines("rooms")}
        self.assertEqual(rooms[room]["membership"], "leave")

    def test_unknown_event_types_are_kept_and_shown(self):
        room = self.shared_room()
        ev = self.bob.send_event(room, "com.example.poll", {"question": "Lunch?"})
        self.bob.send_text(room, "after the poll")
        self.natter.ok("sync", "--once")
        listed = {m["event_id"]: m for m in self.natter.history(room)}
        self.assertEqual(listed[ev]["type"], "com.example.poll")
        self.assertIn("[com.example.poll]", self.natter.ok("history", "Planning"))
        self.assertEqual(self.natter.bodies(room)[-1], "after the poll")

    def test_read_sends_a_receipt_the_other_user_sees(self):
        room = self.shared_room()
        last = self.bob.send_text(room, "did you see this?")
        self.alice.wait_unread(room, 1)
        self.natter.ok("sync", "--once")
        self.assertEqual({r["room_id"]: r for r in self.natter.json_lines("rooms")}[room]
                         ["unread"], 1)
        self.assertIn(last, self.natter.ok("read", "Planning"))
        deadline, since, readers = time.monotonic() + 30, None, {}
        while self.alice.user_id not in readers and time.monotonic() < deadline:
            sync = self.bob.sync(since=since, timeout=5000,
                                 filter={"room": {"timeline": {"limit": 0}}})
            since = sync["next_batch"]
            room_sync = sync.get("rooms", {}).get("join", {}).get(room, {})
            for e in room_sync.get("ephemeral", {}).get("events", []):
                if e["type"] == "m.receipt":
                    readers.update(e["content"].get(last, {}).get("m.read", {}))
        self.assertIn(self.alice.user_id, readers)
        self.assertEqual({r["room_id"]: r for r in self.natter.json_lines("rooms")}[room]
                         ["unread"], 0)

    def test_hostile_text_is_inert_in_every_output(self):
        evil_name = "Evil\x1b]0;pwned\x07\x1b[2J\u202eroom"
        room = self.bob.create_room(name=evil_name, invite=[self.alice.user_id])
        self.alice.join(room)
        self.bob.set_displayname("Bob\x1b[31m\u202e")
        self.bob.send_text(room, "hi\x1b[?1049h\x1b]52;c;ZXZpbA==\x07\u009b31m\r\x08zalgo"
                           + "e" + "\u0301" * 50)
        self.natter.ok("sync", "--once")
        for args in (("rooms",), ("history", room), ("rooms", "--json"),
                     ("history", room, "--json")):
            out = self.natter.ok(*args)
            with self.subTest(args=args):
                self.assertNotIn("\x1b", out)
                self.assertNotIn("\u009b", out)
                self.assertNotIn("\u202e", out)
                self.assertNotIn("\r", out)
                self.assertNotIn("\x08", out)
        text = self.natter.ok("history", room)
        self.assertIn("␛", text)
        for line in self.natter.ok("history", room, "--json").splitlines():
            json.loads(line)
        last = self.natter.history(room)[-1]
        self.assertTrue(last["body"].startswith("hi\x1b[?1049h"))


if __name__ == "__main__":
    unittest.main()
