"""Simplified sliding sync (MSC4186) against the testbed, which offers it:
natter chooses it by itself, says so, takes in an account's rooms a window
at a time (the list on screen first, then the rest, with "N of M rooms"
meanwhile), counts unread messages and mentions itself (Synapse sends 0),
starts a connection the server forgot again, and keeps /v3/sync when told
to. The rest of the integration suite runs on sliding sync too, since the
testbed offers it: sending, history, search, export, encryption."""

import re
import sqlite3
import unittest

from cli_support import NatterTestCase, natter_for
from fault_proxy import DELAY, FaultProxy
from natter_harness import wait_until
from test_tui import TuiTestCase

SLIDE = r"^POST /_matrix/client/unstable/org\.matrix\.simplified_msc3575/sync"
# The window natter asks for first, in rooms (core-slide.c's CORE_SLIDE_FIRST).
FIRST_WINDOW = 40


def many_rooms(user, other, n):
    """n rooms of user's, the first made first: "Room 01" is the least
    recently active. other speaks in each, so that every room has news."""
    rooms = []
    for i in range(1, n + 1):
        room = user.create_room(name=f"Room {i:02d}", invite=[other.user_id])
        other.join(room)
        other.send_text(room, f"note {i:02d} for the team")
        rooms.append(room)
    return rooms


def write_config(natter, text):
    path = natter.config_home / "natter" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


class ProtocolTest(NatterTestCase):
    def test_whoami_says_sliding_sync_and_the_config_can_insist_on_v3(self):
        self.assertIn("sync: simplified sliding sync (MSC4186)", self.natter.ok("whoami"))
        room = self.shared_room("Planning")
        self.bob.send_text(room, "the old way still works")
        write_config(self.natter, "[sync]\nprotocol = v3\n")
        self.assertIn("sync: /v3/sync", self.natter.ok("whoami"))
        self.natter.ok("-v", "sync", "--once")
        log = (self.natter.state_home / "natter" / "default.log").read_text()
        self.assertIn("GET /_matrix/client/v3/sync", log)
        self.assertIn("the old way still works", self.natter.bodies(room))

    def test_a_bad_protocol_in_the_config_is_named(self):
        write_config(self.natter, "[sync]\nprotocol = fast\n")
        r = self.natter.run("whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('protocol must be auto, sliding or v3, not "fast"', r.stderr)
        self.assertIn("sync: simplified sliding sync (MSC4186)", r.stdout)


class WindowTest(NatterTestCase):
    def test_every_room_is_known_past_the_first_window(self):
        many_rooms(self.alice, self.bob, FIRST_WINDOW + 5)
        fresh = natter_for(self.alice, self.hs)
        self.addCleanup(fresh.cleanup)
        fresh.ok("-v", "sync", "--once")
        names = [r["name"] for r in fresh.json_lines("rooms")]
        self.assertEqual(sorted(names), [f"Room {i:02d}" for i in range(1, FIRST_WINDOW + 6)])
        log = (fresh.state_home / "natter" / "default.log").read_text()
        self.assertIn(f"sync: every room known ({FIRST_WINDOW + 5} rooms)", log)
        # The first answer held the newest rooms only; the rest came after.
        self.assertGreaterEqual(len(re.findall(r"simplified_msc3575/sync: 200", log)), 2)
        self.assertIn("note 01 for the team", fresh.bodies("Room 01"))

    def test_history_of_a_room_the_window_cut_is_filled_on_demand(self):
        room = self.alice.create_room(name="Long Thread", invite=[self.bob.user_id])
        self.bob.join(room)
        for i in range(30):
            self.bob.send_text(room, f"point {i:02d} of the plan")
        self.natter.ok("sync", "--once")
        bodies = self.natter.bodies(room, limit=40)
        self.assertEqual(bodies[-30:], [f"point {i:02d} of the plan" for i in range(30)])


class CountsTest(NatterTestCase):
    def room_row(self, name):
        return next(r for r in self.natter.json_lines("rooms") if r["name"] == name)

    def test_unread_and_mentions_are_counted_and_reading_clears_them(self):
        room = self.shared_room("Board")
        self.bob.send_text(room, "agenda for thursday")
        self.bob.send_text(room, f"{self.alice.user_id} can you book the room?")
        self.bob.send_text(room, "thanks all")
        self.natter.ok("sync", "--once")
        row = self.room_row("Board")
        self.assertEqual((row["unread"], row["highlight"]), (3, 1))
        # alice answers from natter: what came before her answer is read.
        self.natter.ok("send", "Board", "booked")
        self.natter.ok("sync", "--once")
        self.assertEqual((self.room_row("Board")["unread"], self.room_row("Board")["highlight"]),
                         (0, 0))
        self.bob.send_text(room, "one more thing")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.room_row("Board")["unread"], 1)
        # Read in another client: the receipt comes back and clears it.
        self.alice.mark_read(room)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.room_row("Board")["unread"], 0)

    def test_unread_past_the_window_are_all_counted(self):
        room = self.bob.create_room(name="Weekend", invite=[self.alice.user_id])
        self.alice.join(room)
        self.bob.send_text(room, "friday: all read")
        self.alice.mark_read(room)
        for i in range(25):  # more than a window brings a room
            self.bob.send_text(room, f"saturday note {i:02d}")
        self.bob.send_text(room, f"{self.alice.user_id} monday first thing please")
        self.natter.ok("sync", "--once")
        row = self.room_row("Weekend")
        self.assertEqual((row["unread"], row["highlight"]), (26, 1))
        self.assertIn("saturday note 00", self.natter.bodies("Weekend", limit=40))


class ConnectionTest(NatterTestCase):
    def test_a_position_the_server_forgot_starts_the_connection_again(self):
        room = self.shared_room("Desk")
        cache = self.natter.profile_dir() / "cache.db"
        with sqlite3.connect(cache) as db:
            # Synapse numbers positions across all connections: one this
            # far on is no connection's.
            n = db.execute("UPDATE meta SET value = '2000000000/s1_1_0_1_1_1_1_1_0_1_1_1_1_1'"
                           " WHERE key = 'slide.pos.natter-cli'").rowcount
        self.assertEqual(n, 1)
        self.bob.send_text(room, "after the server forgot")
        self.natter.ok("-v", "sync", "--once")
        log = (self.natter.state_home / "natter" / "default.log").read_text()
        self.assertIn("forgot the sliding sync connection", log)
        self.assertIn("after the server forgot", self.natter.bodies(room))

    def test_invites_and_rooms_left_are_seen(self):
        kept = self.shared_room("Kept")
        gone = self.shared_room("Gone")
        invite = self.bob.create_room(name="Offsite", invite=[self.alice.user_id])
        self.alice.leave(gone)
        self.bob.send_text(kept, "still here")
        self.natter.ok("sync", "--once")
        rows = {r["name"]: r for r in self.natter.json_lines("rooms")}
        self.assertEqual(rows["Offsite"]["membership"], "invite")
        self.assertEqual(rows["Kept"]["membership"], "join")
        self.assertNotEqual(rows.get("Gone", {}).get("membership"), "join")
        self.natter.ok("join", invite)
        self.natter.ok("sync", "--once")
        rows = {r["name"]: r for r in self.natter.json_lines("rooms")}
        self.assertEqual(rows["Offsite"]["membership"], "join")


class LazyMembersTest(NatterTestCase):
    """/v3/sync loads members lazily: one who said nothing lately is not in
    what a first sync brings, and must still get the room's key."""

    def test_a_quiet_member_reads_what_natter_sends_on_v3(self):
        carol = self.hs.register("carol")
        quiet = natter_for(self.bob, self.hs)
        self.addCleanup(quiet.cleanup)
        encryption = {"type": "m.room.encryption", "state_key": "",
                      "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
        room = carol.create_room(name="Board", invite=[self.alice.user_id, self.bob.user_id],
                                 initial_state=[encryption])
        self.bob.join(room)
        quiet.ok("sync", "--once")  # Bob's device and its keys are published
        self.alice.join(room)
        for i in range(60):  # more than a sync's timeline holds
            carol.send_text(room, f"agenda item {i:02d}")
        write_config(self.natter, "[sync]\nprotocol = v3\n")
        self.natter.ok("sync", "--once")
        with sqlite3.connect(self.natter.profile_dir() / "cache.db") as db:
            known = [u for (u,) in db.execute("SELECT user_id FROM members WHERE room_id = ?",
                                              (room,))]
        self.assertNotIn(self.bob.user_id, known)  # what makes this test mean something
        self.natter.ok("send", room, "Bob, the figures are in the pack")
        quiet.ok("sync", "--once")
        self.assertIn("Bob, the figures are in the pack", quiet.bodies(room, limit=5))


class InterfaceTest(TuiTestCase):
    def test_the_list_comes_first_and_the_rest_of_the_rooms_after(self):
        many_rooms(self.alice, self.bob, FIRST_WINDOW + 5)
        proxy = FaultProxy(self.hs.url)
        self.addCleanup(proxy.close)
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, proxy.url))
        # The first answer comes at once; those that widen the window wait
        # (opening the newest room asks again, subscribed to it).
        proxy.fault(DELAY, SLIDE + r".*pos=", delay=6, times=-1)
        t = self.terminal(cols=100, rows=30, args=("-v",))
        t.wait_for(f"{FIRST_WINDOW} of {FIRST_WINDOW + 5} rooms")
        screen = t.screen()
        self.assertIn(f"Room {FIRST_WINDOW + 5:02d}", screen)
        self.assertNotIn("Room 01", screen)
        # The compose box takes keys meanwhile.
        t.text("typing while rooms load")
        t.wait_for("typing while rooms load")
        proxy.clear()
        wait_until(lambda: " of 45 rooms" not in t.screen(), timeout=30,
                   what="every room known")
        t.keys("C-u")
        self.switch(t, "Room 01")
        t.wait_for("note 01 for the team")
        # With -v the interface logs as the commands do, and no message text.
        log = (self.natter.state_home / "natter" / "default.log").read_text()
        self.assertIn(f"sync: every room known ({FIRST_WINDOW + 5} rooms)", log)
        self.assertNotIn("note 01 for the team", log)


if __name__ == "__main__":
    unittest.main()
