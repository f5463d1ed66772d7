"""/later and /scheduled in the terminal interface: a scheduled message shows
greyed at the end of its room until it goes, on the homeserver or from this
natter ([send] scheduled = local), and can be cancelled there."""

import re
import unittest

from test_tui import TuiTestCase, wait_until

DELAYED = "/_matrix/client/unstable/org.matrix.msc4140/delayed_events"


class TuiScheduledTest(TuiTestCase):
    def command(self, t, line):
        t.text(line)
        t.keys("Enter")

    def held(self):
        return [e["content"].get("body") for e in
                self.alice.api("GET", DELAYED)["delayed_events"]]

    def count(self, room, body):
        chunk = self.bob.messages(room, limit=200)["chunk"]
        return sum(1 for e in chunk if e.get("content", {}).get("body") == body)

    def local(self):
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("[send]\nscheduled = local\n")

    def scheduled_id(self, t, where):
        """The number the status line gives the message just scheduled."""
        screen = t.wait_for(f": {where}")
        return re.search(r"(?m)^scheduled #(\d+) for [^\n]*: " + re.escape(where[:12]),
                         screen).group(1)

    def sgr_before(self, t, word):
        """The SGR parameters in effect where word starts on its line."""
        lines = t.tmux("capture-pane", "-p", "-e", "-t", t.PANE).splitlines()
        line = next(l for l in lines if word in l)
        head = line[:line.index(word)]
        return head[head.rindex("\x1b["):] if "\x1b[" in head else ""

    def test_later_on_the_homeserver_shows_greyed_until_it_goes(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "When is the car?")
        t = self.start()
        t.wait_for("When is the car?")
        self.command(t, "/later +8s The car is booked for 8:15")
        ident = self.scheduled_id(t, "the homeserver holds it")
        screen = t.wait_for(f"(scheduled #{ident} for ")
        self.assertIn("on the homeserver", screen)
        self.assertEqual(self.held(), ["The car is booked for 8:15"])
        # Greyed (the theme's pending colour), unlike bob's message above it.
        self.assertNotEqual(self.sgr_before(t, "The car is booked"),
                            self.sgr_before(t, "When is the car?"))
        self.assertRegex(self.sgr_before(t, "The car is booked"), r"(90|38;5;8)[;m]")
        self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body") ==
                                "The car is booked for 8:15", timeout=60)
        t.wait_screen(lambda s: "The car is booked for 8:15" in s and "(scheduled" not in s,
                      "the message as sent", timeout=60)
        self.assertEqual(self.count(room, "The car is booked for 8:15"), 1)

    def test_one_cancelled_from_another_device_leaves_the_room(self):
        self.shared_room("Board Room")
        self.natter.ok("send", "--at", "+1h", "Board Room", "cancelled elsewhere")
        self.natter.ok("send", "--at", "+2h", "Board Room", "still on")
        t = self.start()
        t.wait_screen(lambda s: "cancelled elsewhere" in s and "still on" in s,
                      "both scheduled messages, greyed")
        # Alice's other device (this test's own session) cancels one.
        [delay_id] = [e["delay_id"] for e in self.alice.api("GET", DELAYED)["delayed_events"]
                      if e["content"].get("body") == "cancelled elsewhere"]
        self.alice.api("POST", f"{DELAYED}/{delay_id}", {"action": "cancel"})
        self.command(t, "/scheduled")
        said = ("1 scheduled message is no longer on the homeserver: cancelled, or sent, "
                "from another device")
        screen = t.wait_screen(lambda s: said in " ".join(s.split()), "what the homeserver said")
        self.assertRegex(screen, r"scheduled here: #\d+ ")
        t.wait_screen(lambda s: "cancelled elsewhere" not in s and "still on" in s,
                      "the cancelled one gone from the room")

    def test_scheduled_here_is_listed_and_cancelled(self):
        self.local()
        room = self.shared_room("Travel")
        t = self.start()
        self.command(t, "/later 25:00 never")
        t.wait_for('"25:00 never" is not a time')
        # The draft stays for correcting; this test types another.
        t.keys("End")
        t.keys("C-u")
        t.wait_screen(lambda s: "> /later" not in s, "the compose box emptied")
        self.command(t, "/later +1h not to be sent after all")
        ident = self.scheduled_id(t, "it waits here and goes only if natter runs then")
        screen = t.wait_for(f"(scheduled #{ident} for ")
        self.assertIn("waits here", screen)
        self.assertEqual(self.held(), [])
        self.command(t, "/scheduled")
        t.wait_for(f"scheduled here: #{ident} ")
        self.command(t, f"/scheduled cancel {ident}")
        t.wait_for(f"cancelled scheduled message #{ident}")
        t.wait_screen(lambda s: "not to be sent after all" not in s, "the message gone")
        self.assertEqual(self.natter.json_lines("scheduled"), [])
        self.assertEqual(self.count(room, "not to be sent after all"), 0)

    def test_the_running_interface_sends_what_waits_here(self):
        self.local()
        room = self.shared_room("Office")
        t = self.start()
        self.command(t, "/later +3s sent by the interface at its time")
        self.scheduled_id(t, "it waits here")
        self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body") ==
                                "sent by the interface at its time", timeout=60)
        t.wait_screen(lambda s: "sent by the interface at its time" in s and
                      "(scheduled" not in s and "sending" not in s, "the message as sent")
        wait_until(lambda: self.natter.json_lines("scheduled") == [], what="nothing scheduled")
        self.assertEqual(self.count(room, "sent by the interface at its time"), 1)


if __name__ == "__main__":
    unittest.main()
