"""Reminders and messages waiting for an answer in the terminal interface:
set from select mode, due with a desktop notification (a private D-Bus
session with a recording notification server) and a "Reminders" row at the
top of the list, snoozed and finished from that row; flagged messages under
"Waiting"; and what another natter of the account changes shows here."""

import time
import unittest
from urllib.parse import quote

import test_tui_notify
from test_tui import TuiTestCase, wait_until

TYPE = "org.natter.reminders"


class TuiRemindTest(TuiTestCase):
    # The notification server of test_tui_notify, without its tests.
    private_bus = test_tui_notify.TuiNotifyTest.private_bus
    start_on_bus = test_tui_notify.TuiNotifyTest.start_on_bus
    calls = test_tui_notify.TuiNotifyTest.calls

    def account_reminders(self):
        path = f"/user/{quote(self.alice.user_id)}/account_data/{TYPE}"
        return self.alice._c("GET", path).get("reminders", {})

    def list_rows(self, t):
        """The room list's column of the screen, one string a row."""
        return [line.split("│", 1)[0] for line in t.screen().splitlines() if "│" in line]

    def reminders(self):
        return self.natter.json_lines("reminders")

    def test_remind_from_select_mode_notifies_then_snooze_and_done_on_its_row(self):
        room = self.shared_room("Planning")
        self.bob.send_text(room, "Can you book the Friday offsite?")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Planning")
        t.wait_for("Friday offsite")
        t.keys("M-s")
        t.wait_screen(lambda s: "SELECT" in self.status_of(s), "select mode")
        t.keys("a")
        t.wait_for("remind me at")
        t.text("+3s call the venue")
        t.keys("Enter")
        t.wait_for("reminder set")

        wait_until(lambda: self.calls(tmp), what="the reminder's notification")
        notes = self.calls(tmp)
        self.assertEqual(len(notes), 1, notes)
        self.assertEqual(notes[0]["summary"], "Reminder in Planning")
        self.assertIn("call the venue", notes[0]["body"])
        self.assertIn("Friday offsite", notes[0]["body"])
        t.wait_screen(lambda s: any("Reminders" in r for r in self.list_rows(t)),
                      "the Reminders section")
        rows = self.list_rows(t)
        at = next(i for i, r in enumerate(rows) if "Reminders" in r)
        self.assertIn("Planning: call the ven", rows[at + 1])
        self.assertLess(at, next(i for i, r in enumerate(rows) if r.strip() == "Rooms"))
        (rid, entry), = self.account_reminders().items()
        self.assertEqual(entry["note"], "call the venue")

        # Onto the row (above the rooms), then z snoozes it for an hour.
        t.keys("M-Up")
        t.wait_for("reminder: x done, z snooze")
        t.keys("z")
        t.wait_for("snooze until")
        t.text("+1h")
        t.keys("Enter")
        t.wait_screen(lambda s: not any("Reminders" in r for r in self.list_rows(t)),
                      "the row gone once snoozed")
        wait_until(lambda: self.account_reminders()[rid]["due"] / 1000 > time.time() + 3000,
                   what="the snooze on the account")
        due = self.account_reminders()[rid]["due"]
        self.assertAlmostEqual(due / 1000, time.time() + 3600, delta=120)
        self.assertEqual(len(self.calls(tmp)), 1)

        # Another natter of the account moves it to now: this one shows it
        # due again (and says so once more), and x finishes it.
        self.natter.ok("remind", "--snooze", rid, "+1s")
        wait_until(lambda: len(self.calls(tmp)) == 2, what="a second notification")
        t.wait_screen(lambda s: any("call the ven" in r for r in self.list_rows(t)),
                      "the row back")
        t.keys("M-Up")
        t.wait_for("reminder: x done")
        t.keys("x")
        t.wait_for("reminder done")
        wait_until(lambda: self.account_reminders()[rid].get("done"), what="done on the account")
        t.wait_screen(lambda s: not any("Reminders" in r for r in self.list_rows(t)),
                      "the row gone once done")
        self.assertEqual(self.reminders(), [])

    def test_with_notifications_off_a_due_reminder_is_only_listed(self):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text("[notify]\nenabled = off\n")
        room = self.shared_room("Planning")
        event = self.bob.send_text(room, "Budget by Monday?")
        self.natter.ok("sync", "--once")
        self.natter.ok("remind", "Planning", event, "+1s", "budget")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address)
        t.wait_screen(lambda s: any("Planning: budget" in r for r in self.list_rows(t)),
                      "the Reminders row")
        # A message that notifies when notifications are on shows after it.
        self.bob.send_text(room, f"{self.alice.user_id} ping")
        t.wait_for("ping")
        self.assertEqual(self.calls(tmp), [])

    def test_a_flagged_message_waits_until_its_answer(self):
        conf = self.natter.config_home / "natter"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config").write_text("[followup]\nwait = 1s\n")
        room = self.shared_room("Planning")
        tmp, address = self.private_bus()
        t = self.start_on_bus(address, "Planning")
        t.text("The car is booked for 8:15")
        t.keys("Enter")
        t.wait_screen(lambda s: "sending" not in s and "booked for 8:15" in s, "sent")

        def selecting():
            # The message is selectable once its echo came with a sync.
            if "SELECT" in self.status(t):
                return True
            t.keys("M-s")
            return False
        wait_until(selecting, what="select mode")
        t.keys("f")
        t.wait_for("flagged: listed under Waiting")
        t.keys("Escape")
        t.wait_screen(lambda s: any("Waiting" in r for r in self.list_rows(t)),
                      "the Waiting section")
        rows = self.list_rows(t)
        at = next(i for i, r in enumerate(rows) if "Waiting" in r)
        self.assertIn("Planning: The car is", rows[at + 1])
        self.bob.send_text(room, "Thanks, noted.")
        t.wait_for("Thanks, noted.")
        t.wait_screen(lambda s: not any("Waiting" in r for r in self.list_rows(t)),
                      "the Waiting row gone once answered")


if __name__ == "__main__":
    unittest.main()
