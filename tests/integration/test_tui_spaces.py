"""Spaces and VIPs in the terminal interface: the room list groups rooms
under the spaces the user is in (a space folds with M-c, and stays folded
after a restart), Ctrl-K finds rooms by their space's name, and [ui] spaces
= off lists them as before; the rooms of the config's VIPs come first,
marked, and a VIP's message notifies in a muted room and in quiet hours."""

import time
import unittest

import test_tui_notify
from natter_harness import wait_until
from test_tui import TuiTestCase


def list_rows(screen):
    """The room list's rows, as drawn left of its border."""
    return [line.split("│", 1)[0].rstrip() for line in screen.splitlines() if "│" in line]


def pane_text(screen):
    """What is drawn right of the room list."""
    return "\n".join(line.split("│", 1)[1] for line in screen.splitlines() if "│" in line)


def row_of(rows, text):
    """The index of the first row that is text (after its mark column)."""
    for i, row in enumerate(rows):
        if row[1:].split("  ")[0].strip() == text or row.strip() == text:
            return i
    return -1


class TuiSpacesTest(TuiTestCase):
    # Its notification server, not its tests.
    private_bus = test_tui_notify.TuiNotifyTest.private_bus
    start_on_bus = test_tui_notify.TuiNotifyTest.start_on_bus
    calls = test_tui_notify.TuiNotifyTest.calls

    def setUp(self):
        super().setUp()
        self.server = self.bob.user_id.split(":", 1)[1]

    def joined(self, name, others=(), **kwargs):
        """A room of bob's that alice (and others) joined."""
        people = [self.alice, *others]
        room = self.bob.create_room(name=name, invite=[p.user_id for p in people], **kwargs)
        for p in people:
            p.join(room)
        return room

    def engineering(self):
        """A space with Deploys and Oncall in it, and Lunch in none."""
        space = self.joined("Engineering", creation_content={"type": "m.space"})
        rooms = {name: self.joined(name) for name in ("Deploys", "Oncall", "Lunch")}
        for name in ("Deploys", "Oncall"):
            self.bob.send_state(space, "m.space.child", rooms[name], {"via": [self.server]})
        return space, rooms

    def write_config(self, text):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text(text)

    def assert_unfolded(self, screen):
        """Engineering's two rooms are listed right under its open heading."""
        rows = list_rows(screen)
        head = row_of(rows, "▾ Engineering")
        self.assertEqual(sorted([row_of(rows, "Deploys"), row_of(rows, "Oncall")]),
                         [head + 1, head + 2], rows)

    def test_rooms_are_listed_under_their_space_which_folds(self):
        _, rooms = self.engineering()
        t = self.start()
        screen = t.wait_screen(lambda s: "▾ Engineering" in s and "Lunch" in s, "the space")
        rows = list_rows(screen)
        head = row_of(rows, "▾ Engineering")
        self.assertGreaterEqual(head, 0, rows)
        # Its rooms under it, the room of no space under Rooms, and the
        # space itself not listed as a room to chat in.
        self.assertEqual(sorted(rows[head + 1:head + 3]), [" Deploys", " Oncall"], rows)
        self.assertLess(head, row_of(rows, "Rooms"))
        self.assertLess(row_of(rows, "Rooms"), row_of(rows, "Lunch"))
        self.assertNotIn(" Engineering", rows)

        self.switch(t, "Deploys")
        t.keys("M-c")
        # Folded: only the room in view stays, until another is. (The
        # heading can be captured before the rows under it are redrawn, so
        # the wait is for the rows.)
        screen = t.wait_screen(lambda s: "▸ Engineering" in s and " Oncall" not in list_rows(s),
                               "Engineering folded")
        self.assertIn(" Deploys", list_rows(screen))
        self.switch(t, "Lunch")
        t.wait_screen(lambda s: " Deploys" not in list_rows(s), "Deploys folded away")
        self.bob.send_text(rooms["Oncall"], "pager went off")
        screen = t.wait_screen(lambda s: any(r.startswith("▸ Engineering") and
                                             r.endswith(" 1") for r in list_rows(s)),
                               "the folded space's unread count")
        self.assertNotIn(" Oncall", list_rows(screen))

        # Folded it stays, in a new run; Ctrl-K by the space's name lists
        # its rooms, and M-c in one of them unfolds it.
        t.close()
        t = self.terminal()
        t.wait_for("online")
        screen = t.wait_for("▸ Engineering")
        self.assertNotIn(" Oncall", list_rows(screen))
        t.keys("C-k")
        t.text("engin")
        screen = t.wait_screen(lambda s: "Oncall  (Engineering)" in s and
                               "Deploys  (Engineering)" in s, "the space's rooms in Ctrl-K")
        self.assertNotIn("Lunch", pane_text(screen))
        t.keys("Enter")
        wait_until(lambda: self.title(t) in ("Deploys", "Oncall"), what="a room of the space")
        t.keys("M-c")
        self.assert_unfolded(t.wait_for("▾ Engineering"))

    def test_fold_names_a_space_from_any_room(self):
        self.engineering()
        t = self.start()
        t.wait_screen(lambda s: "▾ Engineering" in s and "Lunch" in s, "the space")
        self.switch(t, "Lunch")
        # The start of its name is enough, case aside; the room in view
        # is in no space and stays where it is.
        t.text("/fold engin ")
        t.keys("Enter")
        screen = t.wait_for("folded Engineering")
        rows = list_rows(screen)
        self.assertIn("▸ Engineering", " ".join(rows))
        self.assertNotIn(" Deploys", rows)
        self.assertNotIn(" Oncall", rows)
        self.assertEqual(self.title(t), "Lunch")
        t.text("/fold Finance")
        t.keys("Enter")
        t.wait_for('no space you are in is named "Finance"')
        t.text("/fold ENGINEERING")
        t.keys("Enter")
        self.assert_unfolded(t.wait_for("unfolded Engineering"))
        # Without a name, the space of the room in view, as M-c.
        t.text("/fold")
        t.keys("Enter")
        t.wait_for("the room in view is not listed under a space")

    def test_grouping_off_lists_space_rooms_with_the_others(self):
        self.engineering()
        self.write_config("[ui]\nspaces = off\n")
        t = self.start()
        screen = t.wait_screen(lambda s: all(f" {n}" in list_rows(s)
                                             for n in ("Deploys", "Oncall", "Lunch")),
                               "the rooms")
        rows = list_rows(screen)
        self.assertFalse([r for r in rows if "Engineering" in r], rows)
        rooms = row_of(rows, "Rooms")
        self.assertGreaterEqual(rooms, 0, rows)
        for name in ("Deploys", "Oncall", "Lunch"):
            self.assertGreater(row_of(rows, name), rooms)

    def quiet_hours_now(self):
        """Quiet hours from an hour ago to an hour from now, local time."""
        now = time.time()
        fmt = lambda t: time.strftime("%H:%M", time.localtime(t))  # noqa: E731
        return f"{fmt(now - 3600)}-{fmt(now + 3600)}"

    def test_vip_rooms_come_first_marked_and_notify_in_muted_rooms_and_quiet_hours(self):
        carol = self.hs.register("carol")
        ops = self.joined("Ops", [carol])
        lobby = self.joined("Lobby")
        self.joined("Chatter")
        dm = carol.create_room(invite=[self.alice.user_id], is_direct=True)
        self.alice.join(dm)
        self.alice.set_account_data("m.direct", {carol.user_id: [dm]})
        self.write_config(f"[notify]\nvip = {carol.user_id}\nmute = Ops\n"
                          f"quiet_hours = {self.quiet_hours_now()}\n")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Chatter")
        me = self.alice.user_id
        # Muted room and quiet hours: nothing from bob, even a mention; a
        # VIP's message notifies anyway.
        self.bob.send_text(ops, f"{me} muted mention")
        self.bob.send_text(lobby, f"{me} quiet mention")
        carol.send_text(ops, "numbers for the board, please")
        wait_until(lambda: self.calls(tmp), what="the VIP's notification")
        screen = t.wait_screen(lambda s: row_of(list_rows(s), "Ops") >= 0 and
                               list_rows(s)[row_of(list_rows(s), "Ops")].startswith("*"),
                               "Ops marked")
        rows = list_rows(screen)
        # The VIP's rooms first: her direct chat, and Ops with her unread message.
        self.assertEqual(row_of(rows, "VIP"), 0, rows)
        vip_rows = rows[1:3]
        self.assertTrue(all(r.startswith("*") for r in vip_rows), rows)
        self.assertIn("Ops", " ".join(vip_rows))
        self.assertLess(2, row_of(rows, "Lobby"))
        self.assertFalse(rows[row_of(rows, "Lobby")].startswith("*"), rows)
        self.bob.send_text(lobby, "the end")
        t.keys("C-k")
        t.text("Lobby")
        t.keys("Enter")
        t.wait_for("the end")
        notes = self.calls(tmp)
        self.assertEqual([n["body"] for n in notes], ["numbers for the board, please"], notes)
        # Read, Ops is no longer a VIP's room; the direct chat still is.
        t.keys("C-k")
        t.text("Ops")
        t.keys("Enter")
        t.wait_for("numbers for the board")
        t.keys("C-k")
        t.text("Lobby")
        t.keys("Enter")
        screen = t.wait_screen(lambda s: not list_rows(s)[row_of(list_rows(s), "Ops")]
                               .startswith("*"), "Ops no longer first")
        rows = list_rows(screen)
        self.assertEqual(row_of(rows, "VIP"), 0, rows)
        self.assertTrue(rows[1].startswith("*"), rows)
        self.assertGreater(row_of(rows, "Ops"), 2, rows)


if __name__ == "__main__":
    unittest.main()
