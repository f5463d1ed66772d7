"""Spaces from the command line: `natter rooms --space NAME` lists the rooms
of one space the user is in (those the space lists, and those that name it
as their parent), by its name, alias or id, over sliding sync and /v3/sync
alike; an unknown space is an error that names the spaces there are."""

import secrets
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_support import NatterTestCase, natter_for  # noqa: E402


class SpacesCliTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.bob.user_id.split(":", 1)[1]
        self.alias_part = "eng-" + secrets.token_hex(4)
        self.eng = self.space("Engineering", alias=self.alias_part)
        self.board = self.space("Board")
        self.deploys = self.room("Deploys")
        self.oncall = self.room("Oncall")
        self.lunch = self.room("Lunch")
        self.minutes = self.room("Minutes")
        self.child(self.eng, self.deploys)
        self.child(self.eng, self.oncall)
        self.child(self.board, self.minutes)
        # A room cannot file itself under a space: only the space's own list
        # counts (whoever may set a room's state may name any space).
        self.rogue = self.room("Rogue")
        self.bob.send_state(self.rogue, "m.space.parent", self.board, {"via": [self.server]})
        # Talk after the state, more than a first sync's timeline holds: the
        # state must come as state, not in the timeline.
        for room in (self.eng, self.board, self.oncall, self.minutes, self.rogue):
            for i in range(12):
                self.bob.send_text(room, f"later {i}")

    def space(self, name, alias=None):
        room = self.bob.create_room(name=name, invite=[self.alice.user_id], alias=alias,
                                    creation_content={"type": "m.space"})
        self.alice.join(room)
        return room

    def room(self, name):
        room = self.bob.create_room(name=name, invite=[self.alice.user_id])
        self.alice.join(room)
        return room

    def child(self, space, room):
        self.bob.send_state(space, "m.space.child", room, {"via": [self.server]})

    def natter_with(self, protocol):
        n = natter_for(self.alice, self.hs)
        self.addCleanup(n.cleanup)
        conf = n.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text(f"[sync]\nprotocol = {protocol}\n")
        n.ok("sync", "--once")
        return n

    def names(self, n, *args):
        return sorted(r["name"] for r in n.json_lines("rooms", *args))

    def test_rooms_of_a_space_by_name_alias_or_id_over_both_syncs(self):
        for protocol in ("sliding", "v3"):
            with self.subTest(protocol=protocol):
                n = self.natter_with(protocol)
                for what in ("Engineering", "engineering", f"#{self.alias_part}:{self.server}",
                             self.eng):
                    self.assertEqual(self.names(n, "--space", what), ["Deploys", "Oncall"],
                                     what)
                self.assertEqual(self.names(n, "--space", "Board"), ["Minutes"])
                # The plain listing has the spaces, marked as such.
                rooms = {r["name"]: r for r in n.json_lines("rooms")}
                self.assertTrue(rooms["Engineering"]["space"])
                self.assertFalse(rooms["Lunch"]["space"])
                text = n.ok("rooms", "--space", "Engineering")
                self.assertIn("Deploys", text)
                self.assertNotIn("Lunch", text)
                self.assertRegex(n.ok("rooms"), r"space\s+Engineering")

    def test_a_room_the_space_drops_is_no_longer_listed(self):
        n = self.natter_with("sliding")
        self.assertEqual(self.names(n, "--space", "Engineering"), ["Deploys", "Oncall"])
        # Removing a child is an m.space.child with empty content.
        self.bob.send_state(self.eng, "m.space.child", self.deploys, {})
        self.bob.send_text(self.lunch, "after the change")
        n.ok("sync", "--once")
        self.assertEqual(self.names(n, "--space", "Engineering"), ["Oncall"])

    def test_an_unknown_space_names_the_spaces_there_are(self):
        self.natter.ok("sync", "--once")
        r = self.natter.run("rooms", "--space", "Lunch")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        # A room that is no space is not one, though the name is known.
        self.assertRegex(r.stderr, r'^natter: no space "Lunch": the spaces you are in are '
                         r'"(Board", "Engineering|Engineering", "Board)"\n$')

    def test_no_space_at_all_says_so(self):
        carol = self.hs.register("carol")
        n = natter_for(carol, self.hs)
        self.addCleanup(n.cleanup)
        carol.create_room(name="Solo")
        n.ok("sync", "--once")
        r = n.run("rooms", "--space", "Engineering")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr, 'natter: no space "Engineering": the cache knows of no '
                         "space you are in\n")


if __name__ == "__main__":
    unittest.main()
