"""The terminal UI in tmux against the testbed: what a person sees."""

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
import unittest
import uuid
from pathlib import Path

from cli_support import NatterTestCase
from natter_harness import NatterRun, _q, at_hang, check_exit, require, wait_until


class Tmux:
    """natter running in a private tmux server.

    The pane records natter's pid, its stderr and, when it ends, its exit
    status; close() ends a natter still running with SIGTERM (what a closed
    terminal sends, and natter quits cleanly on it) and fails unless it exited
    with the expected status and its stderr holds no sanitizer report."""

    EXIT_WAIT = 30  # seconds for natter to quit; LeakSanitizer's check at exit is slow
    PANE = "t:0"    # natter's window, also while a test has opened another one

    def __init__(self, natter, cols=100, rows=30, after=None, name="natter in tmux",
                 term="xterm-256color", args=()):
        """after: shell commands run in the pane once natter has exited;
        name: who ran it (a test id), for the failure message; term: the
        TERM natter is given; args: natter's options."""
        require("tmux", shutil.which("tmux"), "tmux is needed for the terminal tests")
        self.socket = f"natter-test-{uuid.uuid4().hex[:8]}"
        self.natter = natter
        self.name = name
        self.expected_status = 0
        self.closed = False
        files = natter.home / self.socket
        self.pid_file, self.stderr_file, self.status_file = (
            Path(f"{files}.{part}") for part in ("pid", "stderr", "status"))
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in natter.env.items()
                       if k.startswith(("XDG_", "HOME", "ASAN", "LSAN", "UBSAN", "LC_", "DBUS_",
                                        "EDITOR", "VISUAL", "PATH", "ESCDELAY")))
        natter_cmd = (f"echo $$ > {self.pid_file}.new; mv {self.pid_file}.new {self.pid_file}; "
                      f"exec env {env} TERM={shlex.quote(term)} "
                      f"{shlex.quote(natter.binary)} {' '.join(map(shlex.quote, args))} "
                      f"2>{self.stderr_file}")
        cmd = (f"sh -c {shlex.quote(natter_cmd)}; echo $? > {self.status_file}.new; "
               f"mv {self.status_file}.new {self.status_file}")
        if after is not None:
            cmd = f"{cmd}; {after}"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), cmd)
        at_hang(lambda: self.tmux("kill-server"))

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=False).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.PANE)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", self.PANE, *keys)

    def text(self, s):
        self.tmux("send-keys", "-t", self.PANE, "-l", s)

    def resize(self, cols, rows):
        self.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))

    def wait_for(self, needle, timeout=20):
        """The screen that showed needle: the capture that matched, not a later one."""
        return self.wait_screen(lambda screen: needle in screen, repr(needle), timeout)

    def wait_screen(self, predicate, what, timeout=20):
        """The first screen for which predicate(screen) holds, all of it tested
        on one capture. A capture can catch a frame half drawn (tmux had read
        part of it), so a match counts only if the next capture is the same."""
        last = ""

        def seen():
            nonlocal last
            last = self.screen()
            if not predicate(last):
                return None
            again = self.screen()
            if again != last:
                last = again
                return None
            return last
        try:
            return wait_until(seen, timeout, what)
        except AssertionError as e:
            raise AssertionError(f"{e}; the screen was:\n{last}") from None

    def alive(self):
        return "t" in self.tmux("list-sessions", "-F", "#{session_name}")

    def pid(self):
        """natter's pid, once the pane has started it."""
        return wait_until(lambda: self.pid_file.exists() and int(self.pid_file.read_text()),
                          what="natter's pid")

    def exit_status(self):
        """natter's exit status (128 + the signal that ended it), or None while it runs."""
        try:
            return int(self.status_file.read_text())
        except FileNotFoundError:
            return None

    def expect_exit(self, status):
        """Says that natter is meant to end with status, not 0."""
        self.expected_status = status

    def end(self):
        """Ends natter if it still runs; returns its exit status."""
        if self.exit_status() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid(), signal.SIGTERM)
        deadline = time.monotonic() + self.EXIT_WAIT
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid(), signal.SIGKILL)
                raise AssertionError(f"natter did not exit within {self.EXIT_WAIT}s of SIGTERM")
            time.sleep(0.1)
        return status

    def close(self):
        """Ends natter, then fails if its status or stderr says something went wrong."""
        if self.closed:
            return
        self.closed = True
        try:
            try:
                status = self.end()
            except AssertionError as e:
                raise AssertionError(f"{self.name}: {e}\n--- stderr ---\n{self.stderr()}") \
                    from None
            check_exit(f"{self.name}: natter in tmux", status, self.stderr(),
                       self.expected_status)
        finally:
            self.tmux("kill-server")

    def stderr(self):
        try:
            return self.stderr_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class TuiTestCase(NatterTestCase):
    """What the terminal tests share: natter started in tmux on a synced
    cache, and the rows of its screen they read."""

    def terminal(self, cols=100, rows=30, after=None, term="xterm-256color", args=()):
        """natter in tmux on the cache as it is; its exit is checked at cleanup."""
        t = Tmux(self.natter, cols, rows, after=after, name=self.id(), term=term, args=args)
        self.addCleanup(t.close)
        return t

    def start(self, cols=100, rows=30, online=True):
        self.natter.ok("sync", "--once")
        t = self.terminal(cols, rows)
        if online:
            t.wait_for("online")
        return t

    def title(self, t):
        return t.screen().splitlines()[0].strip()

    def status(self, t):
        """The status line: the one above the compose box."""
        return self.status_of(t.screen())

    @staticmethod
    def status_of(screen):
        return screen.rstrip("\n").split("\n")[-2]

    def switch(self, t, name):
        """Goes to a room with Ctrl-K."""
        t.keys("C-k")
        t.text(name)
        t.keys("Enter")
        wait_until(lambda: self.title(t) == name, what=name)

    def send_file(self, room, data, body, mimetype, msgtype="m.file", **info):
        """bob uploads data and sends it to room as body, with its size
        and info (w, h) in the event."""
        mxc = self.bob.upload(data, mimetype, body)
        self.bob.send_event(room, "m.room.message", {
            "msgtype": msgtype, "body": body, "url": mxc,
            "info": {"mimetype": mimetype, "size": len(data), **info}})

    def fake_xdg_open(self):
        """An xdg-open on natter's PATH that records the path it was given
        in the returned file."""
        bindir = self.natter.home / "bin"
        bindir.mkdir()
        opener = bindir / "xdg-open"
        opener.write_text('#!/bin/sh\nprintf "%s" "$1" > "$HOME/opened-path"\n')
        opener.chmod(0o755)
        self.natter.env["PATH"] = f"{bindir}:{os.environ['PATH']}"
        return self.natter.home / "opened-path"


class TuiTest(TuiTestCase):
    def start(self, cols=100, rows=30):
        return super().start(cols, rows, online=False)

    def test_room_list_shows_rooms_and_unread_counts(self):
        room = self.shared_room("Board Room")
        for i in range(3):
            self.bob.send_text(room, f"agenda item {i}")
        # The newest room opens first and is read; Board Room keeps its count.
        lobby = self.shared_room("Lobby")
        self.bob.send_text(lobby, "welcome")
        self.alice.wait_unread(room, 3)
        t = self.start()
        screen = t.wait_for("welcome")
        lines = [l for l in screen.splitlines() if "Board Room" in l and "│" in l]
        self.assertTrue(lines, screen)
        line = lines[0]
        self.assertRegex(line, r"Board Room\s+3\s*│")
        self.assertIn("Rooms", screen)

    def test_ctrl_k_switches_rooms_by_a_few_letters(self):
        self.shared_room("Board Room")
        self.shared_room("Travel Desk")
        self.shared_room("Quarterly Review")
        t = self.start()
        t.wait_for("Quarterly Review")
        t.keys("C-k")
        t.wait_for("Switch to:")
        t.text("trv")
        t.wait_for("Switch to: trv")
        t.keys("Enter")
        wait_until(lambda: "Travel Desk" in t.screen().splitlines()[0], what="the title")
        t.keys("C-k")
        t.text("zzz")
        t.keys("Escape")
        wait_until(lambda: "Switch to:" not in t.screen(), what="the closed switcher")
        self.assertIn("Travel Desk", t.screen().splitlines()[0])

    def test_scrolling_up_loads_older_history_from_the_server(self):
        room = self.bob.create_room(name="Archive", invite=[self.alice.user_id])
        for i in range(150):
            self.bob.send_text(room, f"old message {i:03d}")
        self.alice.join(room)
        t = self.start()
        t.wait_for("old message 149")
        self.assertNotIn("old message 000", t.screen())
        for _ in range(60):
            t.keys("PageUp")
            if "old message 000" in t.screen():
                break
            time.sleep(0.2)  # each page may start a fetch; the screen is polled anyway
        t.wait_for("old message 000")
        t.wait_for("created the room")
        t.text("still responsive")
        t.wait_for("> still responsive")

    def test_up_on_an_empty_draft_edits_the_last_message(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        t.text("the car is at 8:51")
        t.keys("Enter")
        first = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body")
                                        == "the car is at 8:51")
        t.wait_for("the car is at 8:51")
        t.keys("Up")
        t.wait_for("editing your last message")
        t.keys("BSpace", "BSpace")
        t.text("15")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get(
            "m.relates_to", {}).get("rel_type") == "m.replace")
        self.assertEqual(ev["content"]["m.relates_to"]["event_id"], first["event_id"])
        self.assertEqual(ev["content"]["m.new_content"]["body"], "the car is at 8:15")
        t.wait_for("the car is at 8:15 (edited)")

    def test_an_edited_emote_stays_an_emote(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        t.text("/me is on the way")
        t.keys("Enter")
        self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("msgtype") == "m.emote")
        t.wait_for("* ")
        t.keys("Up")
        t.wait_for("editing your last message")
        t.keys("C-u")
        t.text("is in the lobby")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get(
            "m.relates_to", {}).get("rel_type") == "m.replace")
        self.assertEqual(ev["content"]["m.new_content"],
                         {"msgtype": "m.emote", "body": "is in the lobby", "m.mentions": {}})

    def test_replies_show_what_they_answer(self):
        self.bob.set_displayname("Dana")
        room = self.shared_room("Board Room")
        first = self.bob.send_text(room, "Who is presenting the budget?")
        self.alice.send_text(room, "Let me check the agenda.")
        self.alice.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "Marcus, at 10:00",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}})
        t = self.start()
        rows = t.wait_for("Marcus, at 10:00").splitlines()
        quote = next(i for i, row in enumerate(rows) if "↳" in row)
        # The quote is the reply's first line, with its time and sender,
        # not a line under the message above; the reply's text under it.
        self.assertRegex(rows[quote], r"│\d\d:\d\d alice-\w+: ↳ Dana: Who is presenting the budget\?")
        self.assertIn("Let me check the agenda.", rows[quote - 1])
        self.assertEqual(rows[quote + 1].split("│")[1].strip(), "Marcus, at 10:00")
        self.assertEqual(rows[quote + 1].index("Marcus"), rows[quote].index("↳"))

    def test_room_events_say_who_did_what_by_name(self):
        self.bob.set_displayname("Sam Carter")
        dana = self.hs.register("dana", displayname="Dana Whitfield")
        room = self.shared_room("Board Room")
        self.bob.send_state(room, "m.room.name", "", {"name": "Board Prep"})
        self.bob.invite(room, dana.user_id)
        self.bob.send_state(room, "m.room.topic", "", {"topic": "Q3 figures"})
        t = self.start()
        screen = t.wait_for("Q3 figures")
        self.assertIn("Sam Carter invited Dana Whitfield", screen)
        self.assertIn("Sam Carter renamed the room to Board Prep", screen)
        self.assertIn("Sam Carter changed the topic to Q3 figures", screen)
        self.assertNotIn(dana.user_id, screen)

    def test_a_reply_from_an_older_client_shows_no_quote_of_its_own(self):
        room = self.shared_room("Board Room")
        first = self.bob.send_text(room, "Do we have a final headcount?")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text",
            "body": f"> <{self.bob.user_id}> Do we have a final headcount?\n\n214 in person",
            "format": "org.matrix.custom.html",
            "formatted_body": f"<mx-reply><blockquote><a href=\"https://matrix.to/#/{room}/"
                              f"{first}\">In reply to</a> {self.bob.user_id}<br>Do we have a "
                              "final headcount?</blockquote></mx-reply>214 in <b>person</b>",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}})
        t = self.start()
        screen = t.wait_for("214 in person")
        # Once as the question, once in the reply's "↳" line; not a third time.
        self.assertEqual(screen.count("final headcount?"), 2, screen)
        self.assertNotIn("> <", screen)
        self.assertNotIn("In reply to", screen)

    def test_formatted_messages_are_drawn_with_attributes(self):
        room = self.shared_room("Board Room")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text",
            "body": "the **board** meets, run `make check`",
            "format": "org.matrix.custom.html",
            "formatted_body": "<p>the <strong>board</strong> meets, run <code>make check</code>"
                              "</p><blockquote>quoted words</blockquote><ul><li>first item</li>"
                              "<li><em>second</em> item</li></ul><script>evil()</script>"
                              "<b>\x1b[2Jwiped</b>"})
        words = " ".join(f"word{i}" for i in range(30))
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": f"plain then **{words} lastword**",
            "format": "org.matrix.custom.html",
            "formatted_body": f"plain then <strong>{words} lastword</strong>"})
        t = self.start()
        t.wait_for("lastword")
        screen = t.wait_for("second item")
        for raw in ("**", "`", "<strong>", "<code>", "<li>", "evil"):
            self.assertNotIn(raw, screen)
        self.assertIn("the board meets, run make check", screen)
        self.assertIn("> quoted words", screen)
        self.assertIn("• first item", screen)
        self.assertIn("[2Jwiped", screen)
        lines = t.tmux("capture-pane", "-p", "-e", "-J", "-t", "t").splitlines()
        line = next(l for l in lines if "make check" in l)
        item = next(l for l in lines if "second" in l)

        def attrs_before(text, word):
            """The SGR parameters in effect where word starts on the line."""
            head = text[:text.index(word)]
            return head[head.rindex("\x1b["):] if "\x1b[" in head else ""

        plain = attrs_before(line, "meets")
        self.assertNotIn("1", plain.split(";"))
        self.assertRegex(attrs_before(line, "board"), r"\x1b\[(\d+;)*1[;m]")
        self.assertRegex(attrs_before(line, "make check"), r"\x1b\[(\d+;)*7[;m]")
        self.assertRegex(attrs_before(item, "second"), r"\x1b\[(\d+;)*3[;m]")
        # Bold goes on where the pane wrapped the text onto a second line.
        wrapped = next(l for l in lines if "lastword" in l)
        self.assertNotIn("plain then", wrapped)
        self.assertRegex(attrs_before(wrapped, "lastword"), r"\x1b\[(\d+;)*1[;m]")
        self.assertNotIn("\x1b[2J", "".join(lines))

    def test_keys_from_the_config_and_tab_completion(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        self.shared_room("Travel Desk")
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("[keys]\nroom_switcher = C-o\nquit = C-x C-c\n")
        t = self.start()
        t.wait_for("online")
        t.keys("C-o")
        t.wait_for("Switch to:")
        t.text("board")
        t.keys("Enter")
        wait_until(lambda: "Board Room" in t.screen().splitlines()[0], what="Board Room")
        t.text("Dan")
        t.keys("Tab")
        t.wait_for("> Dana Whitfield:")
        t.text("the car is here")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: "the car is here" in
                                     e.get("content", {}).get("body", ""))
        self.assertEqual(ev["content"]["body"], "Dana Whitfield: the car is here")
        t.keys("C-x", "C-c")
        wait_until(lambda: not t.alive(), what="natter quitting on C-x C-c")

    def test_typing_and_read_receipts_of_the_other_user(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        t.text("the board pack is in your inbox")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body")
                                     == "the board pack is in your inbox")
        self.bob._c("PUT", f"/rooms/{_q(room)}/typing/{_q(self.bob.user_id)}",
                    {"typing": True, "timeout": 30000})
        t.wait_for("Dana Whitfield is typing…")
        self.bob._c("POST", f"/rooms/{_q(room)}/receipt/m.read/{_q(ev['event_id'])}", {})
        t.wait_for("✓ Seen by Dana Whitfield")

    def test_ctrl_x_ctrl_e_edits_the_draft_in_the_editor(self):
        room = self.shared_room("Board Room")
        script = self.natter.home / "fake-editor"
        script.write_text('#!/bin/sh\n'
                          'printf "%s, then edited\\nsecond line\\n" "$(cat "$1")" > "$1"\n')
        script.chmod(0o755)
        self.natter.env["EDITOR"] = str(script)
        self.natter.env.pop("VISUAL", None)
        t = self.start()
        t.wait_for("online")
        t.text("typed here")
        t.keys("C-x", "C-e")
        t.wait_for("typed here, then edited")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: "then edited" in
                                     e.get("content", {}).get("body", ""))
        self.assertEqual(ev["content"]["body"], "typed here, then edited\nsecond line")

    def test_time_format_and_list_width_from_the_config(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "formatted")
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("[ui]\ntime_format = [%H.%M.%S]\nlist_width = 30\n")
        t = self.start()
        screen = t.wait_for("formatted")
        line = [l for l in screen.splitlines() if "formatted" in l][0]
        self.assertRegex(line, r"│\[\d\d\.\d\d\.\d\d\] \S+: formatted")
        self.assertEqual(line.index("│"), 30)

    def test_new_messages_marker_and_jump(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "already read")
        self.natter.ok("sync", "--once")
        self.natter.ok("read", "Board Room")
        for i in range(40):
            self.bob.send_text(room, f"news {i:02d}")
        t = self.start()
        t.wait_for("news 39")
        # A sliding sync brings a room's newest events; the rest are paged
        # in as it is read.
        wait_until(lambda: "messages missing here" not in t.screen(), what="history paged in")
        self.assertNotIn("new messages", t.screen())
        t.keys("M-u")
        screen = t.wait_for("── new messages ──")
        lines = screen.splitlines()
        marker = [i for i, l in enumerate(lines) if "new messages" in l][0]
        self.assertIn("already read", lines[marker - 1])
        self.assertIn("news 00", lines[marker + 1])

    def test_new_messages_is_never_drawn_above_ones_own_message(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "all read")
        self.natter.ok("sync", "--once")
        self.natter.ok("read", "Board Room")
        t = self.start()
        t.wait_for("all read")
        t.text("my answer")
        t.keys("Enter")
        self.bob.wait_for_event(room, lambda e: e["content"].get("body") == "my answer")
        t.wait_screen(lambda s: "my answer" in s and "sending" not in s, "my answer delivered")
        self.bob.send_text(room, "thanks")
        screen = t.wait_for("thanks")
        rows = screen.splitlines()
        mine = next(i for i, row in enumerate(rows) if "my answer" in row)
        self.assertNotIn("new messages", rows[mine - 1])

    def test_open_downloads_to_a_safe_name_and_hands_it_to_xdg_open(self):
        room = self.shared_room("Board Room")
        data = os.urandom(20000)
        mxc = self.bob.upload(data, "application/pdf", "x.pdf")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.file", "body": "../../Q3 plan\x1b[2J.pdf", "url": mxc,
            "info": {"mimetype": "application/pdf", "size": len(data)}})
        record = self.fake_xdg_open()
        t = self.start()
        t.wait_for("Q3 plan")
        t.text("/open")
        t.keys("Enter")
        path = wait_until(lambda: record.exists() and record.read_text(), what="xdg-open")
        self.assertEqual(os.path.dirname(path), str(self.natter.profile_dir() / "media"))
        self.assertEqual(os.path.basename(path), "Q3 plan␛[2J.pdf")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_attachments_show_their_size_and_an_image_its_dimensions(self):
        room = self.shared_room("Board Room")
        self.send_file(room, os.urandom(250000), "seating.png", "image/png", "m.image",
                       w=1920, h=1080)
        self.send_file(room, os.urandom(1536), "agenda.pdf", "application/pdf")
        t = self.start()
        screen = t.wait_for("agenda.pdf")
        self.assertIn("[image] seating.png (244.1 KB, 1920×1080)", screen)
        self.assertIn("[file] agenda.pdf (1.5 KB)", screen)

    def test_opening_an_attachment_again_does_not_download_it_again(self):
        room = self.shared_room("Board Room")
        data = os.urandom(20000)
        self.send_file(room, data, "plan.pdf", "application/pdf")
        record = self.fake_xdg_open()
        t = self.start()
        t.wait_for("plan.pdf")
        opened = []
        for _ in range(2):
            t.text("/open")
            t.keys("Enter")
            opened.append(wait_until(lambda: record.exists() and record.read_text(),
                                     what="xdg-open"))
            record.unlink()
        self.assertEqual(opened[0], opened[1])
        media = self.natter.profile_dir() / "media"
        self.assertEqual(os.listdir(media), ["plan.pdf"])
        # A file that is gone, or not whole, is downloaded again.
        os.truncate(opened[0], 100)
        t.text("/open")
        t.keys("Enter")
        again = wait_until(lambda: record.exists() and record.read_text(), what="xdg-open")
        with open(again, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_message_from_the_other_user_appears(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        self.bob.send_text(room, "The CFO is running late")
        t.wait_for("The CFO is running late", timeout=10)

    def test_typed_message_reaches_the_other_user_once(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        t.text("Car booked for 8:15 ünïcødé 👩‍💻")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body", "")
                                     .startswith("Car booked"))
        self.assertEqual(ev["content"]["body"], "Car booked for 8:15 ünïcødé 👩‍💻")
        t.wait_for("Car booked for 8:15")
        # The outbox sends in order: a second copy would go before this one.
        t.text("and the driver has your number")
        t.keys("Enter")
        self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body")
                                == "and the driver has your number")
        chunk = self.bob.messages(room)["chunk"]
        self.assertEqual(sum(1 for e in chunk if e["content"].get("body", "")
                             .startswith("Car booked")), 1)

    def test_hostile_message_is_inert_and_the_screen_intact(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        self.bob.send_text(room, "evil\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b[?1049l\u202eloop"
                           + "e" + "\u0301" * 40 + "\x1b[31mRED")
        screen = t.wait_for("evil␛[2J")
        self.assertIn("<U+202E>", screen)
        self.assertIn("Board Room", screen.splitlines()[0])
        self.assertIn("online", screen)
        self.assertTrue(screen.splitlines()[-1].startswith(">"))

    def test_resize_to_40x12_and_back(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "a long line " * 20)
        t = self.start()
        t.wait_for("online")
        t.resize(40, 12)

        def redrawn(screen):
            """natter's own 40-column screen, from the title down to the status
            line, not tmux's crop of the old one."""
            rows = screen.rstrip("\n").split("\n")
            # A capture taken mid-redraw may hold a row or none.
            return len(rows) >= 2 and len(rows[0]) <= 40 and "Board Room" in rows[0] and \
                "online" in rows[-2]
        screen = t.wait_screen(redrawn, "the narrow screen")
        self.assertNotIn("│", screen)  # the list folds away below 70 columns
        t.keys("M-l")
        t.wait_for("│")
        t.resize(10, 4)
        t.resize(1, 2)
        t.resize(100, 30)
        t.wait_for("Board Room")
        t.text("still typing")
        t.wait_for("> still typing")

    def test_a_narrow_pane_shows_every_word_of_a_long_name_s_message(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        said = ("If you leave at nine you can get the earlier train to Leeds, "
                "or the 10:05 if the meeting runs late.")
        self.bob.send_text(room, said)
        t = self.start(60, 20)
        t.keys("M-l")  # the room list beside a 35-column pane
        screen = t.wait_for("│")
        pane = [row.split("│", 1)[1] for row in screen.splitlines()[1:-2] if "│" in row]
        first = next(i for i, row in enumerate(pane) if "If you" in row)
        text = "If you" + pane[first].split("If you", 1)[1] + " ".join(pane[first + 1:])
        self.assertEqual(" ".join(text.split()), said, screen)

    def test_typing_while_messages_arrive_loses_no_keystroke(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        burst = subprocess.Popen(["python3", "-c", BURST, self.hs.url, self.bob.access_token,
                                  room], cwd=os.path.dirname(__file__))
        typed = "the quick brown fox jumps over the lazy dog " * 3
        for ch in typed:
            t.text(ch)
        self.assertEqual(burst.wait(timeout=120), 0, "the burst of messages did not all go")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body", "")
                                     .startswith("the quick"), timeout=60)
        self.assertEqual(ev["content"]["body"], typed)


    def fake_natter(self, report, status, at_once=False):
        """A stand-in for natter that writes report to stderr and exits with
        status: at once, or on SIGTERM as natter quits."""
        fake = self.natter.home / "fake-natter"
        fake.with_suffix(".report").write_text(report)
        fake.write_text("#!/bin/sh\n"
                        f"finish() {{ cat '{fake}.report' >&2; exit {status}; }}\n"
                        "trap finish TERM\n"
                        "echo fake natter up\n"
                        f"{'finish' if at_once else ':'}\n"
                        "while :; do sleep 0.1; done\n")
        fake.chmod(0o755)
        n = NatterRun(binary=fake)
        self.addCleanup(n.cleanup)
        return n

    def test_the_exit_check_fails_on_a_sanitizer_report_or_a_bad_status(self):
        asan = ("==77==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6020\n"
                "    #0 0x4f in ui_draw src/ui/ui-draw.c:120\n")
        t = Tmux(self.fake_natter(asan, 0), name=self.id())
        t.wait_for("fake natter up")
        with self.assertRaises(AssertionError) as cm:
            t.close()
        self.assertIn(f"{self.id()}: natter in tmux: a sanitizer report", str(cm.exception))
        self.assertIn(asan, str(cm.exception))

        t = Tmux(self.fake_natter("natter: cannot open the cache\n", 1, at_once=True),
                 name=self.id())
        wait_until(lambda: t.exit_status() is not None, what="the fake's exit")
        with self.assertRaises(AssertionError) as cm:
            t.close()
        self.assertIn("exit status 1, expected 0", str(cm.exception))
        self.assertIn("cannot open the cache", str(cm.exception))

        for status, expected in ((0, 0), (139, 139)):
            t = Tmux(self.fake_natter("natter: a warning\n", status), name=self.id())
            t.expect_exit(expected)
            t.wait_for("fake natter up")
            t.close()

    def test_a_failed_exit_check_in_a_cleanup_fails_the_test(self):
        fake = self.fake_natter("src/util/util.c:9:5: runtime error: null pointer\n", 0)

        class Inner(TuiTestCase):
            def setUp(self):
                self.natter = fake

            def test_draws(self):
                self.terminal().wait_for("fake natter up")

        result = unittest.TestResult()
        Inner("test_draws").run(result)
        problems = "".join(text for _, text in result.failures + result.errors)
        self.assertFalse(result.wasSuccessful())
        self.assertIn("Inner.test_draws: natter in tmux: a sanitizer report", problems)
        self.assertIn("runtime error: null pointer", problems)


# 1,000 messages from four senders at once: a loaded homeserver takes two
# minutes for them one after the other.
BURST = """
import sys, concurrent.futures, natter_harness as h
url, token, room = sys.argv[1:]
def send(i):
    h.request(url, "PUT", f"/_matrix/client/v3/rooms/{h._q(room)}/send/m.room.message/b{i}",
              token=token, json_body={"msgtype": "m.text", "body": f"burst {i}"})
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(send, range(1000)))
"""


if __name__ == "__main__":
    unittest.main()
