"""natter export: a conversation from the cache as e-mail, through a real SMTP
server on loopback (aiosmtpd), sendmail, an .eml file and an mbox; what arrives
is read back with Python's email package and its default policy."""

import email
import email.policy
import json
import mailbox
import os
import stat
import subprocess
import time
import unittest
from pathlib import Path

from cli_support import NatterTestCase, file_mode

SINK = Path(__file__).resolve().parent / "smtp_sink.py"
# Debian's python3-aiosmtpd is installed for the system python, which the
# python3 on PATH may not be.
SYSTEM_PYTHON = "/usr/bin/python3"
FROM = "Sam Lee <sam@example.org>"


class SmtpSink:
    """smtp_sink.py as a child process; the mails it took, in order."""

    def __init__(self, directory, refuse=False, options=()):
        self.dir = Path(directory)
        self.dir.mkdir()
        args = [SYSTEM_PYTHON, str(SINK), str(self.dir)] + (["--refuse"] if refuse else [])
        args += list(options)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"smtp_sink did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()

    def mails(self):
        """[(envelope dict, raw bytes)] of every mail taken so far."""
        out = []
        for n in range(1, 1000):
            meta = self.dir / f"{n}.json"
            if not meta.exists():
                break
            out.append((json.loads(meta.read_text()), (self.dir / f"{n}.eml").read_bytes()))
        return out


def write_mail_config(natter, url, **extra):
    """The profile's config: a [mail] section sending through url."""
    lines = ["[mail]", f"from = {FROM}", f"smtp_url = {url}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    conf = natter.config_home / "natter" / "config"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("\n".join(lines) + "\n")


def kept_mail(stderr):
    """Where a failed export says it kept the mail."""
    return Path(stderr.split("the mail is kept in ", 1)[1].strip())


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def all_defects(msg):
    return [(part.get_content_type(), d) for part in msg.walk() for d in part.defects]


def body_of(msg, subtype):
    """The text of a part; the parser keeps the wire's CRLF in what it decodes."""
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content().replace("\r\n", "\n") if part is not None else None


class ExportTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.sink = self.start_sink("sink")
        self.write_config()

    def start_sink(self, name, refuse=False):
        sink = SmtpSink(self.natter.home / name, refuse=refuse)
        self.addCleanup(sink.stop)
        return sink

    def write_config(self, sink=None, host="127.0.0.1", **extra):
        sink = sink or self.sink
        write_mail_config(self.natter, f"smtp://{host}:{sink.port}", **extra)

    def export(self, *args, status=0):
        r = self.natter.run("export", *args, timeout=120)
        self.assertEqual(r.returncode, status, f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def conversation(self, name="Planning", bob_name="Dana Whitfield"):
        """A room with one of each kind of message; returns (room, [event ids in order])."""
        self.bob.set_displayname(bob_name)
        room = self.shared_room(name)
        ids = [self.bob.send_text(room, "The car is booked for 8:15.")]
        ids.append(self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "and the driver has your number",
            "m.relates_to": {"m.in_reply_to": {"event_id": ids[0]}}}))
        ids.append(self.bob.send_event(room, "m.room.message",
                                       {"msgtype": "m.emote", "body": "is on the way"}))
        ids.append(self.bob.send_text(room, "."))
        ids.append(self.bob.send_text(room, "Agenda:\n.\n.hidden line\nFrom the desk of"))
        ids.append(self.bob.send_text(room, "<script>alert('x')</script> & <b>bold</b>"))
        ids.append(self.bob.send_text(room, "Résumé: déjà vu ✈ " + "long " * 400))
        doomed = self.bob.send_text(room, "this will be deleted")
        ids.append(doomed)
        self.bob.redact(room, doomed)
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "* The car is booked for 8:30.",
            "m.new_content": {"msgtype": "m.text", "body": "The car is booked for 8:30."},
            "m.relates_to": {"rel_type": "m.replace", "event_id": ids[0]}})
        last = self.bob.send_text(room, "last word")
        ids.append(last)
        self.bob.wait_for_event(room, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        return room, ids

    def assert_in_order(self, text, needles):
        pos = -1
        for needle in needles:
            found = text.find(needle, pos + 1)
            self.assertGreater(found, pos, f"{needle!r} missing or out of order")
            pos = found

    def assert_transcripts(self, msg, bob_name="Dana Whitfield", deleted=False):
        """The conversation's transcripts; the deleted message is in them, marked,
        only when the export asked for it (--include-deleted)."""
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assertIsNotNone(plain)
        self.assertIsNotNone(html)
        marks = [f"{bob_name}: (deleted)"] if deleted else []
        self.assert_in_order(plain, [
            ": The car is booked for 8:30. (edited)",
            ": and the driver has your number",
            '(in reply to ' + bob_name,
            f"* {bob_name} is on the way",
            f"{bob_name}: .\n",
            "Agenda:\n      .\n      .hidden line\n      From the desk of",
            "<script>alert('x')</script> & <b>bold</b>",
            "Résumé: déjà vu ✈",
        ] + marks + [
            ": last word",
        ])
        self.assertNotIn("this will be deleted", plain)
        self.assert_in_order(html, [
            "The car is booked for 8:30.", "(edited)",
            "and the driver has your number",
            "is on the way",
            "\n.\n</div>",
            "Agenda:<br>\n.<br>\n.hidden line<br>\nFrom the desk of",
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;",
            "Résumé: déjà vu ✈",
        ] + (["(deleted)"] if deleted else []) + [
            "last word",
        ])
        if not deleted:
            self.assertNotIn("(deleted)", plain)
            self.assertNotIn("(deleted)", html)
        self.assertNotIn("<script>", html)
        self.assertNotIn("this will be deleted", html)

    def test_thread_arrives_through_smtp_and_parses_cleanly(self):
        room, ids = self.conversation("Équipe ✈ Board", "Zoë Ångström")
        r = self.export("Équipe ✈ Board", "--to", "boss@example.com",
                        "--cc", "Søren Kierkegaard <cc@example.net>",
                        "--subject", "Résumé — the week’s conversation", "--include-deleted")
        self.assertIn(f"exported {len(ids)} messages from Équipe ✈ Board", r.stderr)
        self.assertIn("sent to boss@example.com, cc@example.net", r.stderr)
        [(env, raw)] = self.sink.mails()
        self.assertEqual(env["mail_from"], "sam@example.org")
        self.assertEqual(env["rcpt_tos"], ["boss@example.com", "cc@example.net"])
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""), "bare LF on the wire")
        self.assertTrue(all(len(line) <= 998 for line in raw.split(b"\r\n")))
        head = raw.split(b"\r\n\r\n", 1)[0]
        self.assertTrue(all(b < 0x80 for b in head), "raw non-ASCII in the headers")
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg["Subject"], "Résumé — the week’s conversation")
        self.assertEqual(msg["From"].addresses[0].display_name, "Sam Lee")
        self.assertEqual(msg["Cc"].addresses[0].display_name, "Søren Kierkegaard")
        self.assertEqual(msg["X-Natter-Room"], "Équipe ✈ Board")
        self.assertEqual(msg["X-Natter-Room-Id"], room)
        # The whole room: from its creation on.
        self.assertEqual(msg["X-Natter-First-Event"], self.natter.history(room)[0]["event_id"])
        self.assertEqual(msg["X-Natter-Last-Event"], ids[-1])
        self.assertTrue(msg["Message-ID"].endswith("@example.org>"))
        self.assertIsNotNone(msg["Date"].datetime)
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assert_transcripts(msg, "Zoë Ångström", deleted=True)

    def test_formatted_messages_keep_their_formatting_in_the_html_part(self):
        room = self.shared_room("Planning")
        first = self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "The car is **booked**, run `make check`",
            "format": "org.matrix.custom.html",
            "formatted_body": "<p>The car is <strong>booked</strong>, run <code>make check"
                              "</code></p><ul><li><a href=\"https://example.org/car\" "
                              "onclick=\"steal()\">details</a></li><li><a href=\"javascript:"
                              "steal()\">more</a></li></ul><script>steal()</script>"
                              "<img src=\"https://tracker.example/p.gif\">"})
        last = self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text",
            "body": f"> <{self.bob.user_id}> The car is booked\n\nthe driver has your number",
            "format": "org.matrix.custom.html",
            "formatted_body": "<mx-reply><blockquote>In reply to The car is booked</blockquote>"
                              "</mx-reply>the driver has <em>your</em> number",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}})
        self.bob.wait_for_event(room, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        self.export("Planning", "--to", "boss@example.com")
        [(_, raw)] = self.sink.mails()
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assert_in_order(html, [
            "The car is <strong>booked</strong>, run <code>make check</code>",
            '<ul><li><a href="https://example.org/car">details</a></li><li>more</li></ul>',
            "the driver has <em>your</em> number",
            "in reply to",
        ])
        for unsafe in ("javascript", "onclick", "<script", "steal()", "tracker", "<img",
                       "In reply to", "<mx-reply"):
            self.assertNotIn(unsafe, html)
        self.assertIn(": The car is **booked**, run `make check`", plain)
        self.assertIn(": the driver has your number", plain)
        self.assertNotIn("> <", plain)

    def test_default_subject_names_room_and_dates(self):
        self.shared_room("Travel Desk")
        self.natter.ok("send", "Travel Desk", "flight BA718 confirmed")
        self.natter.ok("sync", "--once")
        self.export("Travel Desk", "--to", "boss@example.com")
        [(_, raw)] = self.sink.mails()
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        today = time.strftime("%Y-%m-%d")
        self.assertRegex(msg["Subject"],
                         rf"^Conversation: Travel Desk, \d{{4}}-\d\d-\d\d(–{today})?$")
        self.assertIn("flight BA718 confirmed", body_of(msg, "plain"))

    def test_crlf_in_names_and_subject_adds_no_header_or_recipient(self):
        evil = "Board\r\nBcc: evil@attacker.example\r\nX-Injected: 1"
        self.bob.set_displayname("Eve\r\nBcc: evil2@attacker.example")
        room = self.shared_room(evil)
        self.bob.send_text(room, "quarterly numbers\r\nBcc: evil3@attacker.example")
        self.natter.ok("sync", "--once")
        self.export(room, "--to", "boss@example.com",
                    "--subject", "Hi\r\nBcc: evil4@attacker.example\r\n\r\nbody")
        [(env, raw)] = self.sink.mails()
        self.assertEqual(env["rcpt_tos"], ["boss@example.com"])
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertIsNone(msg["Bcc"])
        self.assertIsNone(msg["X-Injected"])
        head = raw.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            self.assertFalse(line.lower().startswith((b"bcc", b"x-injected")), line)
        self.assertNotIn("\n", msg["Subject"])
        self.assertNotIn("\n", msg["X-Natter-Room"])
        self.assertIn("quarterly numbers", body_of(msg, "plain"))

    def test_bad_addresses_are_refused_before_anything_is_sent(self):
        self.shared_room()
        for to in ("boss@example.com\r\nRCPT TO:<evil@x>", "boss", "a@b.com, <x@y",
                   "Boss\r\nBcc: e@x <boss@example.com>"):
            with self.subTest(to=to):
                r = self.export("Planning", "--to", to, status=1)
                self.assertIn("natter: export: not a mail address", r.stderr)
        r = self.export("Planning", "--to", "boss@example.com", "--cc", "nobody", status=1)
        self.assertIn("not a mail address", r.stderr)
        self.assertEqual(self.sink.mails(), [])

    def test_usage_errors(self):
        self.shared_room()
        for args in ((), ("--eml", "a.eml", "--mbox", "b.mbox"), ("--first", "$x"),
                     ("--to", "a@b.com", "--query", "x", "--since", "2024-01-01"),
                     ("--to", "a@b.com", "--force")):
            with self.subTest(args=args):
                r = self.export("Planning", *args, status=2)
                self.assertIn("usage: natter", r.stderr)
        # Only search results may leave the room out.
        for args in (("--to", "a@b.com"), ("--to", "a@b.com", "--since", "2024-01-01"),
                     ("--eml", "a.eml", "--first", "$x", "--last", "$y")):
            with self.subTest(args=args):
                r = self.export(*args, status=2)
                self.assertIn("usage: natter", r.stderr)
        r = self.export("Planning", "--to", "a@example.com", "--since", "May 1", status=1)
        self.assertIn("not a date", r.stderr)

    def test_attachments_arrive_byte_identical_within_the_cap(self):
        room = self.shared_room("Files")
        small = os.urandom(60_000) + b"\r\n.\r\nFrom \x00"
        path = self.natter.home / "Q3 board pack.pdf"
        path.write_bytes(small)
        self.natter.ok("send", "Files", "--file", path)
        big = os.urandom(300_000)
        mxc = self.bob.upload(big, "image/png", "site photo.png")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.image", "body": "site photo.png", "url": mxc,
            "info": {"mimetype": "image/png", "size": len(big)}})
        lying = os.urandom(250_000)
        mxc = self.bob.upload(lying, "application/octet-stream", "small.bin")
        last = self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.file", "body": "small.bin", "url": mxc,
            "info": {"mimetype": "application/octet-stream", "size": 10}})
        self.bob.wait_for_event(room, lambda e: e.get("event_id") == last)
        self.natter.ok("sync", "--once")
        self.write_config(attachment_cap="200K")
        r = self.export("Files", "--attachments", "--to", "boss@example.com")
        self.assertIn("2 files are over the attachment cap", r.stderr)
        [(_, raw)] = self.sink.mails()
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        files = list(msg.iter_attachments())
        self.assertEqual([f.get_filename() for f in files], ["Q3 board pack.pdf"])
        self.assertEqual(files[0].get_content_type(), "application/pdf")
        self.assertEqual(files[0].get_content(), small)
        plain = body_of(msg, "plain")
        self.assertIn("[file] Q3 board pack.pdf (58.6 KB, attached)", plain)
        self.assertIn("[image] site photo.png (293.0 KB, not attached: over the 200.0 KB",
                      plain)
        self.assertIn("[file] small.bin", plain)
        self.assertIn("not attached: over the 200.0 KB limit", plain.split("small.bin")[1])

    def test_eml_and_mbox_parse_the_same(self):
        _, ids = self.conversation()
        eml = self.natter.home / "out" / "thread.eml"
        eml.parent.mkdir()
        r = self.export("Planning", "--eml", eml, "--to", "boss@example.com")
        # The deleted message is left out.
        self.assertIn(f"exported {len(ids) - 1} messages from Planning to {eml}", r.stderr)
        self.assertEqual(file_mode(eml), 0o600)
        self.assertEqual(os.listdir(eml.parent), ["thread.eml"])
        from_eml = parse(eml.read_bytes())
        self.assertEqual(all_defects(from_eml), [])
        self.assert_transcripts(from_eml)

        r = self.export("Planning", "--eml", eml, status=1)
        self.assertIn("exists: give --force", r.stderr)
        self.export("Planning", "--eml", eml, "--force")
        self.assertNotEqual(parse(eml.read_bytes())["Message-ID"], from_eml["Message-ID"])

        box = self.natter.home / "out" / "archive.mbox"
        self.export("Planning", "--mbox", box)
        self.export("Planning", "--mbox", box, "--subject", "second copy")
        self.assertEqual(file_mode(box), 0o600)
        mbox = mailbox.mbox(box, create=False)
        msgs = [parse(m.as_bytes()) for m in mbox]
        mbox.close()
        self.assertEqual(len(msgs), 2)
        self.assertEqual(msgs[1]["Subject"], "second copy")
        for m in msgs:
            self.assertEqual(all_defects(m), [])
            # mboxrd quoting is the only difference from the .eml.
            self.assertEqual(body_of(m, "plain"), body_of(from_eml, "plain"))
            self.assertEqual(body_of(m, "html").replace(">From ", "From "),
                             body_of(from_eml, "html"))
        self.assertIn(b"\n>From the desk of", box.read_bytes())
        self.assertEqual(self.sink.mails(), [])

    def test_refused_delivery_keeps_an_eml_and_says_where(self):
        self.conversation()
        refusing = self.start_sink("refusing", refuse=True)
        self.write_config(sink=refusing)
        r = self.export("Planning", "--to", "boss@example.com", status=1)
        self.assertIn("natter: export: not sent: the SMTP server refused the mail", r.stderr)
        self.assertIn("550", r.stderr)
        kept = kept_mail(r.stderr)
        self.assertEqual(kept.parent, self.natter.profile_dir() / "unsent")
        self.assertEqual(file_mode(kept), 0o600)
        msg = parse(kept.read_bytes())
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg["To"], "boss@example.com")
        self.assert_transcripts(msg)

    def test_smtp_to_another_host_needs_starttls(self):
        # The sink offers no STARTTLS. Reached by a name natter cannot know
        # to be this machine, it must get nothing in clear.
        self.natter.add_host("smtp.natter.test")
        self.shared_room()
        self.natter.ok("send", "Planning", "not for the clear")
        self.write_config(host="smtp.natter.test")
        r = self.export("Planning", "--to", "boss@example.com", status=1)
        self.assertIn("does not offer STARTTLS", r.stderr)
        self.assertIn("the mail is kept in", r.stderr)
        self.assertEqual(self.sink.mails(), [])

    def test_sendmail_gets_the_mail_without_a_shell(self):
        self.conversation()
        out = self.natter.home / "sendmail-out"
        out.mkdir()
        fake = self.natter.home / "fake sendmail"
        fake.write_text("#!/bin/sh\n"
                        f"printf '%s\\n' \"$@\" > '{out}/argv'\n"
                        f"cat > '{out}/stdin'\n"
                        "exit \"${FAKE_SENDMAIL_STATUS:-0}\"\n")
        fake.chmod(0o700)
        self.write_config(sendmail=fake)
        self.export("Planning", "--sendmail", "--to", "boss@example.com")
        self.assertEqual((out / "argv").read_text(), "-t\n-i\n")
        raw = (out / "stdin").read_bytes()
        self.assertNotIn(b"\r", raw)
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg["To"], "boss@example.com")
        self.assert_transcripts(msg)

        r = self.natter.run("export", "Planning", "--sendmail", "--to", "boss@example.com",
                            env={"FAKE_SENDMAIL_STATUS": "75"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("exited with status 75", r.stderr)
        kept = kept_mail(r.stderr)
        self.assertEqual(all_defects(parse(kept.read_bytes())), [])

    def test_range_of_messages_and_dates(self):
        room, ids = self.conversation()
        self.export("Planning", "--first", ids[4], "--last", ids[2], "--eml", "range.eml")
        msg = parse((self.natter.home / "range.eml").read_bytes())
        self.assertEqual(msg["X-Natter-First-Event"], ids[2])
        self.assertEqual(msg["X-Natter-Last-Event"], ids[4])
        plain = body_of(msg, "plain")
        self.assertIn("is on the way", plain)
        self.assertIn(".hidden line", plain)
        self.assertNotIn("last word", plain)
        self.assertNotIn("driver", plain)

        today = time.strftime("%Y-%m-%d")
        self.export("Planning", "--since", today, "--until", today, "--eml", "today.eml")
        self.assertIn("last word", body_of(parse((self.natter.home / "today.eml").read_bytes()),
                                           "plain"))
        r = self.export("Planning", "--until", "2001-01-01", "--eml", "old.eml", status=1)
        self.assertIn("nothing to export", r.stderr)
        self.assertFalse((self.natter.home / "old.eml").exists())

    def test_search_results(self):
        self.conversation()
        self.export("Planning", "--query", "agenda", "--eml", "found.eml")
        plain = body_of(parse((self.natter.home / "found.eml").read_bytes()), "plain")
        self.assertIn("Agenda:", plain)
        self.assertNotIn("last word", plain)

    def two_rooms_of_results(self):
        """Hits for "budget" in two rooms, the second room's first; returns the rooms
        and the ids of the hits, room by room."""
        self.bob.set_displayname("Dana Whitfield")
        travel = self.shared_room("Travel\r\nBcc: evil@attacker.example <b>")
        board = self.shared_room("Board Room")
        hits = {travel: [self.bob.send_text(travel, "flight budget approved")]}
        hits[board] = [self.bob.send_text(board, "budget draft one")]
        self.bob.send_text(board, "lunch plans")
        hits[board].append(self.bob.send_text(board, "budget final"))
        hits[travel].append(self.bob.send_text(travel, "hotel budget <b>capped</b>"))
        self.bob.wait_for_event(travel, lambda e: e.get("event_id") == hits[travel][-1])
        self.natter.ok("sync", "--once")
        return travel, board, hits

    def test_search_results_of_several_rooms_are_one_mail(self):
        travel, board, hits = self.two_rooms_of_results()
        r = self.export("--query", "budget", "--to", "boss@example.com")
        self.assertIn("exported 4 messages from 2 rooms, sent to boss@example.com", r.stderr)
        [(env, raw)] = self.sink.mails()
        self.assertEqual(env["rcpt_tos"], ["boss@example.com"])
        msg = parse(raw)
        self.assertEqual(all_defects(msg), [])
        self.assertIsNone(msg["Bcc"])
        today = time.strftime("%Y-%m-%d")
        self.assertRegex(msg["Subject"],
                         rf"^Search results for “budget” in 2 rooms, \d{{4}}-\d\d-\d\d(–{today})?$")
        names = msg.get_all("X-Natter-Room")
        self.assertEqual(len(names), 2)
        self.assertTrue(names[0].startswith("Travel"), names)
        self.assertNotIn("\n", names[0])
        self.assertEqual(names[1], "Board Room")
        self.assertEqual(msg.get_all("X-Natter-Room-Id"), [travel, board])
        self.assertEqual(msg["X-Natter-First-Event"], hits[travel][0])
        self.assertEqual(msg["X-Natter-Last-Event"], hits[travel][-1])
        plain, html = body_of(msg, "plain"), body_of(msg, "html")
        self.assert_in_order(plain, [
            "Search results for “budget” in 2 rooms, 4 messages.",
            f"({travel})\n", "flight budget approved", "hotel budget <b>capped</b>",
            f"Board Room ({board})\n", "budget draft one", "budget final"])
        self.assertNotIn("lunch plans", plain)
        self.assertNotIn("\nBcc:", plain)
        self.assert_in_order(html, [
            travel, "flight budget approved", "hotel budget &lt;b&gt;capped&lt;/b&gt;",
            "Board Room", board, "budget draft one", "budget final"])
        self.assertNotIn("<b>capped", html)
        self.assertNotIn("lunch plans", html)

        # A room given keeps the search to it, as before.
        self.export("Board Room", "--query", "budget", "--eml", "board.eml")
        msg = parse((self.natter.home / "board.eml").read_bytes())
        self.assertEqual(msg["X-Natter-Room-Id"], board)
        self.assertNotIn("flight", body_of(msg, "plain"))
        r = self.export("--query", "nowhere-to-be-found", "--eml", "none.eml", status=1)
        self.assertIn("nothing to export", r.stderr)
        self.assertFalse((self.natter.home / "none.eml").exists())


if __name__ == "__main__":
    unittest.main()
