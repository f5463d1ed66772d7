"""/export from the terminal UI: a marked range, search results or a whole
room becomes a mail (through a real SMTP server on loopback) or a file."""

import email
import email.policy
import mailbox
import shutil
import unittest

from test_cli_export import FROM, SmtpSink, body_of, all_defects, parse
from test_tui import TuiTestCase, wait_until


class TuiExportTest(TuiTestCase):
    def setUp(self):
        super().setUp()
        self.sink = SmtpSink(self.natter.home / "sink")
        self.addCleanup(self.sink.stop)
        conf = self.natter.config_home / "natter" / "config"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(f"[mail]\nfrom = {FROM}\nsmtp_url = smtp://127.0.0.1:{self.sink.port}\n")

    def start(self):
        return super().start(110, 34)

    def answer(self, t, text):
        t.text(text)
        t.keys("Enter")

    def test_a_marked_range_is_mailed_with_the_subject_typed(self):
        room = self.shared_room("Board Room")
        for i in range(6):
            self.bob.send_text(room, f"point {i}")
        t = self.start()
        t.wait_for("point 5")
        t.keys("M-s")
        t.keys("Up")
        t.keys("m")
        t.keys("Up")
        t.keys("Up")
        wait_until(lambda: "(3 marked)" in self.status(t), what="three marked")
        t.keys("Escape")
        wait_until(lambda: "SELECT" not in self.status(t), what="compose mode")
        self.answer(t, "/export")
        t.wait_for("export to:")
        self.answer(t, "dana@example.org, sam@example.org")
        t.wait_for("subject")
        self.answer(t, "Points for Friday – Übersicht")
        wait_until(lambda: self.sink.mails(), what="the mail", timeout=60)
        t.wait_for("exported 3 messages")
        (envelope, raw), = self.sink.mails()
        self.assertEqual(sorted(envelope["rcpt_tos"]), ["dana@example.org", "sam@example.org"])
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg["Subject"], "Points for Friday – Übersicht")
        text = body_of(msg, "plain")
        for i in (2, 3, 4):
            self.assertIn(f"point {i}", text)
        for i in (0, 1, 5):
            self.assertNotIn(f"point {i}", text)
        # The draft put aside for the questions is back, empty as it was.
        t.text("back to typing")
        t.wait_for("> back to typing")

    def test_search_results_and_a_whole_room_to_files(self):
        room = self.shared_room("Board Room")
        for body in ("budget draft one", "lunch plans", "budget final", "coffee?"):
            self.bob.send_text(room, body)
        t = self.start()
        t.wait_for("coffee?")
        t.keys("C-f")
        t.text("budget")
        t.wait_for("2 results")
        t.keys("C-e")
        t.wait_for("export to:")
        path = self.natter.home / "budget.eml"
        self.answer(t, str(path))
        wait_until(lambda: path.exists(), what="the .eml")
        t.wait_for("exported 2 messages")
        text = body_of(email.message_from_bytes(path.read_bytes(), policy=email.policy.default),
                       "plain")
        self.assertIn("budget draft one", text)
        self.assertIn("budget final", text)
        self.assertNotIn("lunch plans", text)

        box = self.natter.home / "all.mbox"
        self.answer(t, f"/export {box}")
        wait_until(lambda: box.exists() and len(mailbox.mbox(str(box))) == 1, what="the mbox")
        text = mailbox.mbox(str(box))[0].get_payload()
        whole = str(mailbox.mbox(str(box))[0])
        for body in ("budget draft one", "lunch plans", "budget final", "coffee?"):
            self.assertIn(body, whole)

    def test_search_results_across_rooms_are_one_mail(self):
        board = self.shared_room("Board Room")
        travel = self.shared_room("Travel")
        self.bob.send_text(board, "budget draft one")
        self.bob.send_text(travel, "flight budget approved")
        self.bob.send_text(board, "lunch plans")
        self.bob.send_text(board, "budget final")
        last = self.bob.send_text(travel, "hotel budget capped")
        self.bob.wait_for_event(travel, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        t = self.start()
        t.keys("C-f")
        t.text("budget")
        t.wait_for("4 results")
        t.keys("C-e")
        t.wait_for("export to:")
        self.answer(t, "dana@example.org")
        t.wait_for("subject")
        t.keys("Enter")
        wait_until(lambda: self.sink.mails(), what="the mail", timeout=60)
        t.wait_for("exported 4 messages from 2 rooms")
        (_, raw), = self.sink.mails()
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertTrue(msg["Subject"].startswith("Search results for “budget” in 2 rooms"),
                        msg["Subject"])
        self.assertEqual(msg.get_all("X-Natter-Room"), ["Board Room", "Travel"])
        text = body_of(msg, "plain")
        for body in ("budget draft one", "budget final", "flight budget approved",
                     "hotel budget capped"):
            self.assertIn(body, text)
        self.assertNotIn("lunch plans", text)

    def test_a_refused_delivery_says_where_the_mail_was_kept(self):
        self.sink.stop()
        refusing = SmtpSink(self.natter.home / "refusing", refuse=True)
        self.addCleanup(refusing.stop)
        conf = self.natter.config_home / "natter" / "config"
        conf.write_text(f"[mail]\nfrom = {FROM}\nsmtp_url = smtp://127.0.0.1:{refusing.port}\n")
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "please forward this")
        t = self.start()
        t.wait_for("please forward this")
        self.answer(t, "/export dana@example.org")
        t.wait_for("subject")
        t.keys("Enter")
        screen = t.wait_for("not sent, kept in", timeout=60)
        self.assertIn("unsent", screen)
        kept = list((self.natter.profile_dir() / "unsent").glob("*.eml"))
        self.assertEqual(len(kept), 1)
        self.assertIn("please forward this",
                      body_of(parse(kept[0].read_bytes()), "plain"))


if __name__ == "__main__":
    unittest.main()
