"""Direct chats: one with each person, listed in the account's m.direct.

A broadcast to people who have no chat yet makes one each and lists every
one; an invitation to a direct chat is one, and is listed once joined; and
a chat that m.direct lost is found again rather than made a second time."""

import unittest

from cli_support import NatterTestCase
from natter_harness import MatrixError


class DirectChatTest(NatterTestCase):
    def direct(self):
        try:
            return self.alice.get_account_data("m.direct")
        except MatrixError as e:
            if e.status != 404:
                raise
            return {}

    def rooms(self):
        return {r["room_id"]: r for r in self.natter.json_lines("rooms")}

    def invites_from_alice(self, user):
        invites = user.sync()["rooms"].get("invite", {})
        return [rid for rid, r in invites.items()
                if any(e["type"] == "m.room.member" and e["sender"] == self.alice.user_id
                       for e in r["invite_state"]["events"])]

    def test_broadcast_to_ten_new_people_lists_ten_chats(self):
        people = [self.hs.register(f"p{i}") for i in range(10)]
        out = self.natter.ok("broadcast", "--to", ",".join(p.user_id for p in people),
                             "The offsite moves to Friday")
        self.assertEqual(out.count("sent "), 10, out)
        direct = self.direct()
        for p in people:
            with self.subTest(user=p.user_id):
                self.assertEqual(len(direct.get(p.user_id, [])), 1, direct)
                room = direct[p.user_id][0]
                self.assertEqual(self.invites_from_alice(p), [room])
                self.assertEqual(self.natter.ok("dm", p.user_id).split(), ["existing", room])
        # Each chat is the one name says: nothing ambiguous to send or leave.
        dms = [r for r in self.rooms().values() if r["dm"]]
        self.assertEqual(sorted(r["dm_user"] for r in dms), sorted(p.user_id for p in people))

    def test_an_invitation_to_a_direct_chat_is_one_and_listed_once_joined(self):
        room = self.bob.create_room(invite=[self.alice.user_id], is_direct=True,
                                    preset="trusted_private_chat")
        self.natter.ok("sync", "--once")
        listed = self.rooms()[room]
        self.assertEqual(listed["membership"], "invite")
        self.assertTrue(listed["dm"], listed)
        self.assertEqual(listed["dm_user"], self.bob.user_id)
        self.assertRegex(self.natter.ok("rooms"), rf"(?m)^.*DM.*{room}$")
        self.natter.ok("join", room)
        self.assertEqual(self.direct(), {self.bob.user_id: [room]})
        listed = self.rooms()[room]
        self.assertEqual(listed["membership"], "join")
        self.assertTrue(listed["dm"], listed)
        self.assertEqual(self.natter.ok("dm", self.bob.user_id).split(), ["existing", room])

    def test_dm_accepts_an_invitation_rather_than_making_a_second_chat(self):
        room = self.bob.create_room(invite=[self.alice.user_id], is_direct=True,
                                    preset="trusted_private_chat")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.natter.ok("dm", self.bob.user_id).split(), ["existing", room])
        self.assertIn(room, self.alice.joined_rooms())
        self.assertEqual(self.direct(), {self.bob.user_id: [room]})
        self.natter.ok("send", self.bob.user_id, "accepted")
        self.assertEqual(len(self.alice.joined_rooms()), 1)

    def test_a_chat_lost_from_m_direct_is_not_made_again(self):
        room = self.natter.ok("dm", self.bob.user_id).split()[-1]
        self.bob.join(room)
        # Another client's write (or a lost one) left it out of m.direct.
        self.alice.set_account_data("m.direct", {})
        self.natter.ok("sync", "--once")
        self.assertEqual(self.natter.ok("dm", self.bob.user_id).split(), ["existing", room])
        self.assertEqual(self.direct(), {self.bob.user_id: [room]})
        self.natter.ok("send", self.bob.user_id, "still the one chat")
        self.assertEqual(self.alice.joined_rooms(), [room])
        # A named room of the same two people is not a direct chat.
        carol = self.hs.register("carol")
        planning = carol.create_room(name="Carol and Alice", invite=[self.alice.user_id])
        self.alice.join(planning)
        self.natter.ok("sync", "--once")
        self.assertTrue(self.natter.ok("dm", carol.user_id).startswith("created "))


if __name__ == "__main__":
    unittest.main()
