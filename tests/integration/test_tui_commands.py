"""Slash commands typed in the terminal UI, checked from the other user's side."""

import json
import os
import shutil
import unittest
import uuid

from natter_harness import MatrixError
from test_tui import TuiTestCase, wait_until


class TuiCommandTest(TuiTestCase):
    def command(self, t, line):
        t.text(line)
        t.keys("Enter")

    def say(self, t, room, text):
        """Types a message and waits until the server has it; returns its event."""
        self.command(t, text)
        return self.bob.wait_for_event(room, lambda e: self.mine(e, text))

    def mine(self, e, body=None):
        return e["sender"] == self.alice.user_id and e["type"] == "m.room.message" and \
            (body is None or e["content"].get("body") == body)

    def stored(self, t, text):
        """Waits until text shows as a message the server echoed, not one still sending."""
        return t.wait_screen(lambda s: text in s and "sending" not in s, f"{text!r} delivered")

    def account_data(self, type):
        try:
            return self.alice.get_account_data(type)
        except MatrixError as e:
            if e.status != 404:
                raise
            return {}

    def server_name(self):
        return self.alice.user_id.split(":", 1)[1]

    def test_join_by_alias(self):
        alias = f"team-{uuid.uuid4().hex[:8]}"
        room = self.bob.create_room(name="Team Room", alias=alias, preset="public_chat")
        t = self.start()
        self.command(t, f"/join #{alias}:{self.server_name()}")
        self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.member" and
                                e["state_key"] == self.alice.user_id and
                                e["content"].get("membership") == "join")
        t.wait_for(f"joined #{alias}")
        screen = t.wait_for("Team Room")
        self.assertIn("Team Room", screen.splitlines()[0])

    def test_leave_the_room_in_view(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("Board Room")
        self.command(t, "/leave")
        self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.member" and
                                e["state_key"] == self.alice.user_id and
                                e["content"].get("membership") == "leave")
        t.wait_for("left Board Room")

    def test_invite_into_a_named_room(self):
        room = self.shared_room("Board Room")
        carol = self.hs.register("carol")
        t = self.start()
        self.command(t, f"/invite {carol.user_id} Board Room")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.member" and
                                     e["state_key"] == carol.user_id)
        self.assertEqual(ev["content"]["membership"], "invite")
        self.assertEqual(ev["sender"], self.alice.user_id)
        t.wait_for(f"invited {carol.user_id} to Board Room")

    def test_dm_creates_a_direct_chat_and_switches_to_it(self):
        self.shared_room("Board Room")
        t = self.start()
        self.command(t, f"/dm {self.bob.user_id}")
        t.wait_for(f"direct chat with {self.bob.user_id}")

        def invited():
            invites = self.bob.sync()["rooms"].get("invite", {})
            for rid, r in invites.items():
                for e in r["invite_state"]["events"]:
                    if e["type"] == "m.room.member" and e["state_key"] == self.bob.user_id \
                            and e["content"].get("is_direct"):
                        return rid
            return None
        room = wait_until(invited, what="bob's invite to a direct chat")
        wait_until(lambda: room in self.account_data("m.direct").get(self.bob.user_id, []),
                   what="the room in alice's m.direct")
        self.bob.join(room)
        t.wait_for("(encrypted)")
        self.command(t, "this one is just between us")
        self.stored(t, "this one is just between us")
        sealed = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.encrypted"
                                         and e["sender"] == self.alice.user_id)
        self.assertNotIn("just between us", json.dumps(sealed))

    def test_me_sends_an_emote(self):
        room = self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/me is running late")
        ev = self.bob.wait_for_event(room, lambda e: self.mine(e, "is running late"))
        self.assertEqual(ev["content"]["msgtype"], "m.emote")
        t.wait_for("is running late")
        self.assertNotIn("/me", t.screen())

    def test_topic_is_set_for_everyone_once_allowed(self):
        room = self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/topic Quarterly numbers, room 4.12")
        t.wait_for("cannot set the topic of")
        levels = self.bob.get_state(room, "m.room.power_levels")
        levels["users"][self.alice.user_id] = 50
        self.bob.send_state(room, "m.room.power_levels", "", levels)
        self.command(t, "/topic Quarterly numbers, room 4.12")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.topic")
        self.assertEqual(ev["content"]["topic"], "Quarterly numbers, room 4.12")
        self.assertEqual(ev["sender"], self.alice.user_id)
        t.wait_for("topic of Board Room set")

    def test_nick_changes_the_display_name(self):
        room = self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/nick Alice from Finance")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.member" and
                                     e["state_key"] == self.alice.user_id and
                                     e["content"].get("displayname") == "Alice from Finance")
        self.assertEqual(ev["content"]["membership"], "join")
        t.wait_for("you are now Alice from Finance")

    def test_react_to_the_newest_message_from_someone_else(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "Older news")
        target = self.bob.send_text(room, "Lunch at noon?")
        self.alice.send_text(room, "I will book a table.")  # one's own is not the target
        t = self.start()
        t.wait_for("I will book a table.")
        self.command(t, "/react 👍")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.reaction")
        rel = ev["content"]["m.relates_to"]
        self.assertEqual((rel["rel_type"], rel["event_id"], rel["key"]),
                         ("m.annotation", target, "👍"))
        t.wait_for("👍 1")

    def test_reply_answers_the_other_user_and_edit_changes_your_own(self):
        room = self.shared_room("Board Room")
        question = self.bob.send_text(room, "Which car do we take?")
        t = self.start()
        t.wait_for("Which car do we take?")
        self.say(t, room, "Let me check")
        self.stored(t, "Let me check")
        self.command(t, "/reply The red one")
        reply = self.bob.wait_for_event(room, lambda e: self.mine(e, "The red one"))
        self.assertEqual(reply["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
                         question)
        self.stored(t, "The red one")
        self.command(t, "/edit The green one")
        edit = self.bob.wait_for_event(room, lambda e: self.mine(e) and
                                       "m.new_content" in e["content"])
        rel = edit["content"]["m.relates_to"]
        self.assertEqual((rel["rel_type"], rel["event_id"]), ("m.replace", reply["event_id"]))
        self.assertEqual(edit["content"]["m.new_content"]["body"], "The green one")
        t.wait_for("The green one (edited)")

    def test_delete_redacts_your_newest_message(self):
        room = self.shared_room("Board Room")
        t = self.start()
        keep = self.say(t, room, "keep this one")
        typo = self.say(t, room, "teh typo")
        self.bob.send_text(room, "noticed that")
        self.stored(t, "noticed that")
        self.command(t, "/delete")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.redaction")
        self.assertEqual(ev.get("redacts", ev["content"].get("redacts")), typo["event_id"])
        t.wait_for("deleted your message “teh typo”")
        screen = t.wait_for("(message deleted)")
        self.assertIn("keep this one", screen)
        bodies = {e["event_id"]: e["content"].get("body") for e in self.bob.messages(room)["chunk"]}
        self.assertEqual((bodies[keep["event_id"]], bodies[typo["event_id"]]),
                         ("keep this one", None))

    def test_upload_sends_the_file_unchanged(self):
        room = self.shared_room("Board Room")
        data = os.urandom(70000) + b"\x00\r\n\x1b[2J end"
        (self.natter.home / "minutes.bin").write_bytes(data)
        t = self.start()
        self.command(t, "/upload ~/minutes.bin")
        ev = self.bob.wait_for_event(room, lambda e: self.mine(e) and "url" in e["content"])
        self.assertEqual(ev["content"]["body"], "minutes.bin")
        self.assertEqual(ev["content"]["info"]["size"], len(data))
        self.assertEqual(self.bob.download(ev["content"]["url"]), data)
        t.wait_for("sent minutes.bin")

    def test_upload_of_a_missing_file_keeps_the_draft(self):
        self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/upload ~/nowhere.pdf")
        screen = t.wait_for("nowhere.pdf: not a readable file")
        self.assertIn("> /upload ~/nowhere.pdf", screen)

    def test_broadcast_to_two_rooms_and_one_that_does_not_exist(self):
        board = self.shared_room("Board")
        finance = self.shared_room("Finance")
        t = self.start()
        self.command(t, "/broadcast Board,Finance,Nowhere Offsite moved to Friday")
        for room in (board, finance):
            ev = self.bob.wait_for_event(room, lambda e: self.mine(e, "Offsite moved to Friday"))
            self.assertEqual(ev["content"]["msgtype"], "m.text")
        t.wait_for('sent to 2 of 3; no room matches "Nowhere"')

    def test_broadcast_to_ten_new_people_lists_every_chat(self):
        """Ten chats made at once: m.direct lists each, none lost to another's write."""
        self.shared_room("Board")
        people = [self.hs.register(f"p{i}") for i in range(10)]
        t = self.start()
        self.command(t, "/broadcast " + ",".join(p.user_id for p in people) +
                     " The offsite moves to Friday")
        t.wait_for("sent to 10 of 10", timeout=60)
        direct = wait_until(lambda: len(d := self.account_data("m.direct")) == 10 and d,
                            what="ten chats in m.direct")
        for p in people:
            with self.subTest(user=p.user_id):
                self.assertEqual(len(direct.get(p.user_id, [])), 1, direct)
                invites = p.sync()["rooms"].get("invite", {})
                self.assertEqual(list(invites), direct[p.user_id])
        # Asked again, each person's chat is the one there is.
        self.command(t, f"/broadcast {people[0].user_id} and again")
        t.wait_for("sent to 1 of 1")
        self.assertEqual(self.account_data("m.direct"), direct)
        self.assertEqual(len(people[0].sync()["rooms"].get("invite", {})), 1)

    def test_an_invitation_to_a_direct_chat_is_listed_as_one(self):
        self.shared_room("Board")
        room = self.bob.create_room(invite=[self.alice.user_id], is_direct=True,
                                    preset="trusted_private_chat")
        t = self.start()
        bob = self.bob.user_id.split(":")[0][1:]

        def column():
            return [l.split("│")[0].strip() for l in t.screen().splitlines()[1:] if "│" in l
                    and l.split("│")[0].strip()]
        names = wait_until(lambda: bob in column() and column(), what="the invitation")
        self.assertNotIn("Invites", names)
        self.assertEqual(names[names.index("Direct") + 1], bob)
        self.switch(t, bob)
        t.wait_for(f"You are invited to {bob}")
        t.keys("M-j")
        t.wait_for("accepted the invitation")
        wait_until(lambda: self.account_data("m.direct") == {self.bob.user_id: [room]},
                   what="the chat in alice's m.direct")

    def test_unknown_command_says_so_and_keeps_the_draft(self):
        t = self.start()
        self.command(t, "/frobnicate now")
        screen = t.wait_for("unknown command /frobnicate: /help lists them")
        self.assertIn("> /frobnicate now", screen)
        # Drawn in the theme's error colours, not the status line's.
        status = next(l for l in t.tmux("capture-pane", "-p", "-e", "-t", "t").splitlines()
                      if "unknown command" in l)
        head = status[:status.index("unknown command")]
        head_online = status[:status.index("online")]
        self.assertNotEqual(head[head.rindex("\x1b["):], head_online[head_online.rindex("\x1b["):])
        t.keys("C-u")
        self.command(t, "/help")
        screen = t.wait_for("Commands")
        self.assertIn("/broadcast ROOM[,ROOM...] TEXT", screen)
        self.assertIn("/upload PATH", screen)
        # Every key is listed as bound now; scrolling reaches the end.
        for _ in range(10):
            t.keys("PageDown")
        screen = t.wait_for("yank: paste what was cut last")
        self.assertIn("C-y", screen)
        t.keys("q")
        wait_until(lambda: "any other key closes help" not in t.screen(), what="help closed")
        t.text("typing again")
        t.wait_for("> typing again")

    def test_a_note_clears_when_the_next_command_or_message_goes(self):
        room = self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/frobnicate")
        t.wait_for("unknown command /frobnicate")
        t.keys("C-u")
        self.command(t, "/me waves")
        self.bob.wait_for_event(room, lambda e: self.mine(e, "waves"))
        t.wait_screen(lambda s: "unknown command" not in s, "the note gone after /me")
        self.command(t, "/frobnicate")
        t.wait_for("unknown command /frobnicate")
        t.keys("C-u")
        self.say(t, room, "hello")
        t.wait_screen(lambda s: "unknown command" not in s, "the note gone after a message")

    def test_a_long_note_is_shown_whole(self):
        t = self.start(cols=80)
        name = "x" * 90
        self.command(t, f"/{name}")
        screen = t.wait_for("/help lists them")
        # Wrapped over the rows of the status line, nothing cut.
        self.assertIn(f"unknowncommand/{name}:/helpliststhem", "".join(screen.split()))

    def test_missing_argument_shows_usage(self):
        self.shared_room("Board Room")
        t = self.start()
        self.command(t, "/join")
        screen = t.wait_for("usage: /join ROOM")
        self.assertIn("> /join", screen)
        t.keys("C-u")
        self.command(t, f"/invite {self.bob.user_id.split(':')[0]}")
        t.wait_for("is not a user id like @name:server")

    def test_double_slash_sends_the_text(self):
        room = self.shared_room("Board Room")
        t = self.start()
        self.command(t, "//join is a command")
        self.bob.wait_for_event(room, lambda e: self.mine(e, "/join is a command"))


if __name__ == "__main__":
    unittest.main()
