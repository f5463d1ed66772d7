"""The terminal interface's life: the terminal comes back as it was on
every way out, and messages written offline go when the network returns."""

import os
import shutil
import signal
import unittest

from fault_proxy import FaultProxy
from test_tui import TuiTestCase, wait_until


class TuiLifeTest(TuiTestCase):
    def start_wrapped(self):
        """natter in a shell that, once natter ends, records the terminal modes."""
        record = self.natter.home / "after"
        t = self.terminal(after=f"stty -a > {record}.stty; echo natter-ended; sleep 60")
        return t, record

    def assert_terminal_restored(self, t, record):
        screen = t.wait_for("natter-ended")
        stty = record.with_suffix(".stty")
        modes = wait_until(lambda: stty.exists() and stty.read_text(), what="stty -a")
        words = modes.split()
        for mode in ("icanon", "echo", "icrnl", "isig"):
            self.assertIn(mode, words, modes)
        # The alternate screen is gone: only the shell's words are left.
        self.assertNotIn("│", screen)
        self.assertNotIn("[default]", screen)

    def test_quit_restores_the_terminal(self):
        self.shared_room("Board Room")
        self.natter.ok("sync", "--once")
        t, record = self.start_wrapped()
        t.wait_for("online")
        t.keys("C-q")
        self.assert_terminal_restored(t, record)

    def test_a_crash_or_a_kill_restores_the_terminal(self):
        self.shared_room("Board Room")
        self.natter.ok("sync", "--once")
        # natter dies of a crash (the shell's 128 + signal) and quits on SIGTERM.
        for sig, status in ((signal.SIGSEGV, 128 + signal.SIGSEGV), (signal.SIGTERM, 0)):
            t, record = self.start_wrapped()
            t.expect_exit(status)
            t.wait_for("online")
            os.kill(t.pid(), sig)
            self.assert_terminal_restored(t, record)
            t.close()
            os.unlink(f"{record}.stty")

    def test_offline_messages_go_when_the_network_returns(self):
        room = self.shared_room("Board Room")
        proxy = FaultProxy(self.hs.url)
        self.addCleanup(proxy.down)
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url,
                                                       f"http://127.0.0.1:{proxy.port}"))
        t = self.start()
        proxy.down()
        t.wait_for("offline", timeout=60)
        t.text("written on the train")
        t.keys("Enter")
        t.wait_for("written on the train  (sending…)")
        t.text("and a second one")
        t.keys("Enter")
        # Each Enter queued its message and tried the oldest at once; the
        # second one drawn means both tries were made, and failed.
        t.wait_for("and a second one  (sending…)")
        self.assertEqual(self.bodies(room), [])
        proxy.up()
        t.wait_for("online", timeout=90)
        wait_until(lambda: self.bodies(room) == ["written on the train", "and a second one"],
                   timeout=60, what="both messages, once each, in order")
        wait_until(lambda: "sending" not in t.screen(), what="the pending marks gone")
        # One at a time, in order: a copy of the first two sent again would
        # reach the server before a third.
        t.text("and a third, online")
        t.keys("Enter")
        self.bob.wait_for_event(room, lambda e: e["content"].get("body") == "and a third, online")
        self.assertEqual(self.bodies(room),
                         ["written on the train", "and a second one", "and a third, online"])

    def test_bell_rings_for_a_mention_when_asked_for(self):
        room = self.shared_room("Board Room")
        chatter = self.shared_room("Chatter")
        conf = self.natter.config_home / "natter" / "config"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text("[ui]\nbell = on\n")
        self.natter.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
        t = self.start()
        # tmux flags a bell in a window that is not the current one.
        t.tmux("new-window", "-t", "t", "sleep 600")

        def bell():
            flags = t.tmux("list-windows", "-t", "t", "-F", "#{window_index}:#{window_bell_flag}")
            return "0:1" in flags.split()

        self.bob.send_text(room, "nothing for you")
        # natter rings while it reads a sync, before it draws what came after:
        # once a later message is drawn, a bell for the first would be seen.
        self.bob.send_text(chatter, "later, in the room in view")
        t.wait_for("later, in the room in view")
        self.assertFalse(bell())
        self.bob.send_text(room, f"{self.alice.user_id} the car is here")
        wait_until(bell, what="the bell")

    def bodies(self, room):
        chunk = self.bob.messages(room, limit=50)["chunk"]
        return [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]


if __name__ == "__main__":
    unittest.main()
