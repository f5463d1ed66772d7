"""Notifications from the terminal UI: a private D-Bus session with a
notification server that records what it receives (tests/notify)."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from natter_harness import require
from test_tui import TuiTestCase, wait_until

SERVER = os.path.join(os.path.dirname(__file__), "..", "notify", "notify-server.py")
PYTHON = "/usr/bin/python3"


def have_dbus():
    if not shutil.which("dbus-daemon"):
        return False
    return subprocess.run([PYTHON, "-c", "import gi; gi.require_version('Gio', '2.0')"],
                          capture_output=True).returncode == 0


class TuiNotifyTest(TuiTestCase):
    def private_bus(self):
        require("dbus", have_dbus(), "dbus-daemon and python3-gi are needed")
        tmp = tempfile.mkdtemp(prefix="natter-bus-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.mkdir(os.path.join(tmp, "services"))
        with open(os.path.join(tmp, "caps"), "w") as f:
            f.write("body body-markup")
        with open(os.path.join(tmp, "services", "org.freedesktop.Notifications.service"),
                  "w") as f:
            f.write("[D-BUS Service]\nName=org.freedesktop.Notifications\n"
                    f'Exec="{PYTHON}" "{os.path.abspath(SERVER)}"\n')
        with open(os.path.join(tmp, "bus.conf"), "w") as f:
            f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration'
                    ' 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
                    f"<busconfig><type>session</type><listen>unix:path={tmp}/bus</listen>"
                    f"<servicedir>{tmp}/services</servicedir><auth>EXTERNAL</auth>"
                    '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
                    '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>')
        env = {**os.environ, "NOTIFY_TEST_DIR": tmp}
        p = subprocess.run(["dbus-daemon", f"--config-file={tmp}/bus.conf", "--fork",
                            "--print-address=1", "--print-pid=1"], env=env, capture_output=True,
                           text=True, check=True, stdin=subprocess.DEVNULL)
        address, pid = p.stdout.split()[:2]
        self.addCleanup(lambda: subprocess.run(["kill", pid]))
        return tmp, address

    def start_on_bus(self, bus_address, room=None):
        """natter on the given session bus, with room (if given) in view."""
        self.natter.env["DBUS_SESSION_BUS_ADDRESS"] = bus_address
        t = self.start()
        if room is not None:
            self.switch(t, room)
        return t

    def calls(self, tmp):
        path = os.path.join(tmp, "calls.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(l) for l in f if '"Notify"' in l]

    def test_a_mention_raises_one_escaped_notification(self):
        self.bob.set_displayname("Dana <CEO> & Co")
        room = self.shared_room("Board Room")
        quiet = self.shared_room("Chatter")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Chatter")
        self.bob.send_text(room, "nothing for you here")
        me = self.alice.user_id
        self.bob.send_text(room, f"{me}: can you <b>move</b> the 3pm & the 4pm?")
        self.bob.send_text(quiet, f"{me} this room is in view")
        wait_until(lambda: self.calls(tmp), what="a notification")
        t.wait_for("this room is in view")
        t.wait_for("online")
        notes = self.calls(tmp)
        self.assertEqual(len(notes), 1, notes)
        self.assertEqual(notes[0]["summary"], "Dana <CEO> & Co in Board Room")
        self.assertIn("&lt;b&gt;move&lt;/b&gt; the 3pm &amp; the 4pm?", notes[0]["body"])
        self.assertNotIn("<b>", notes[0]["body"])

    def test_mentions_by_display_name_and_by_m_mentions(self):
        self.alice.set_displayname("Alice Archer")
        room = self.shared_room("Board Room")
        self.shared_room("Chatter")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Chatter")
        self.bob.send_text(room, "alice archer, can you send the deck?")
        self.bob.send_text(room, "Alice Archery club is closed")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "see above, thanks",
            "m.mentions": {"user_ids": [self.alice.user_id]}})
        wait_until(lambda: len(self.calls(tmp)) >= 2, what="two notifications")
        self.bob.send_text(room, "the end")
        t.keys("C-k")
        t.text("Board")
        t.keys("Enter")
        t.wait_for("the end")
        bodies = [n["body"] for n in self.calls(tmp)]
        self.assertEqual(len(bodies), 2, bodies)
        self.assertIn("send the deck", bodies[0])
        self.assertIn("see above", bodies[1])

    def test_a_name_in_a_message_whose_m_mentions_names_others_does_not_notify(self):
        self.alice.set_displayname("Alice Archer")
        room = self.shared_room("Board Room")
        self.shared_room("Chatter")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Chatter")
        # A client that says whom it mentions: Marcus, not Alice, though her
        # name is in the text.
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "Alice Archer wrote it; Marcus, please check",
            "m.mentions": {"user_ids": ["@marcus:localhost"]}})
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "thanks, Alice Archer", "m.mentions": {}})
        # An older client's message, without m.mentions: the name counts.
        self.bob.send_text(room, "Alice Archer, one more thing")
        wait_until(lambda: self.calls(tmp), what="a notification")
        self.bob.send_text(room, "the end")
        t.keys("C-k")
        t.text("Board")
        t.keys("Enter")
        t.wait_for("the end")
        bodies = [n["body"] for n in self.calls(tmp)]
        self.assertEqual(len(bodies), 1, bodies)
        self.assertIn("one more thing", bodies[0])

    def test_the_room_in_view_notifies_only_while_the_terminal_is_unfocused(self):
        room = self.shared_room("Board Room")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address)
        me = self.alice.user_id
        # What a terminal sends when it loses the focus (natter asks for
        # focus reports with CSI ? 1004 h).
        t.text("\x1b[O")
        self.bob.send_text(room, f"{me} while you were away")
        wait_until(lambda: self.calls(tmp), what="a notification while unfocused")
        t.text("\x1b[I")
        self.bob.send_text(room, f"{me} now you are here")
        t.wait_for("now you are here")
        self.bob.send_text(room, "the end")
        t.wait_for("the end")
        bodies = [n["body"] for n in self.calls(tmp)]
        self.assertEqual(len(bodies), 1, bodies)
        self.assertIn("while you were away", bodies[0])

    def test_no_notification_service_is_one_status_note(self):
        room = self.shared_room("Board Room")
        self.shared_room("Chatter")
        t = self.start_on_bus("unix:path=/nonexistent/bus", "Chatter")
        self.bob.send_text(room, f"{self.alice.user_id} first mention")
        t.wait_for("no notification service")
        t.keys("C-k")
        t.text("Board")
        t.keys("Enter")
        # Another note takes the status row; the note about the bus would
        # take it back, drawn with the message, if natter tried it again.
        t.text("/frobnicate")
        t.keys("Enter")
        t.wait_for("unknown command /frobnicate")
        t.keys("C-u")
        self.bob.send_text(room, f"{self.alice.user_id} second mention")
        screen = t.wait_for("second mention")
        self.assertNotIn("no notification service", screen)


if __name__ == "__main__":
    unittest.main()
