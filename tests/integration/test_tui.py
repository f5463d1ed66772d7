"""The terminal UI in tmux against the testbed: what a person sees."""

import os
import shutil
import subprocess
import time
import unittest
import uuid

from cli_support import NatterTestCase
from natter_harness import _q, at_hang, require


def wait_until(predicate, timeout=20, what="the screen"):
    """Polls predicate (capture-pane is not an event source) until true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not show up within {timeout}s")


class Tmux:
    """natter running in a private tmux server."""

    def __init__(self, natter, cols=100, rows=30, after=None):
        """after: shell commands run in the pane once natter has exited."""
        require("tmux", shutil.which("tmux"), "tmux is needed for the terminal tests")
        self.socket = f"natter-test-{uuid.uuid4().hex[:8]}"
        self.natter = natter
        env = " ".join(f"{k}='{v}'" for k, v in natter.env.items()
                       if k.startswith(("XDG_", "HOME", "ASAN", "UBSAN", "LC_", "DBUS_", "EDITOR", "VISUAL", "PATH")))
        cmd = f"env {env} TERM=xterm-256color {natter.binary} 2>{natter.home}/stderr"
        if after is not None:
            cmd = f"{cmd}; {after}"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(cols), "-y", str(rows), cmd)
        at_hang(lambda: self.tmux("kill-server"))

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=False).stdout

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def text(self, s):
        self.tmux("send-keys", "-t", "t", "-l", s)

    def resize(self, cols, rows):
        self.tmux("resize-window", "-t", "t", "-x", str(cols), "-y", str(rows))

    def wait_for(self, needle, timeout=20):
        return wait_until(lambda: needle in self.screen() and self.screen(), timeout,
                          repr(needle))

    def alive(self):
        return "t" in self.tmux("list-sessions", "-F", "#{session_name}")

    def close(self):
        self.tmux("kill-server")


class TuiTestCase(NatterTestCase):
    """What the terminal tests share: natter started in tmux on a synced
    cache, and the rows of its screen they read."""

    def start(self, cols=100, rows=30, online=True):
        self.natter.ok("sync", "--once")
        t = Tmux(self.natter, cols, rows)
        self.addCleanup(t.close)
        if online:
            t.wait_for("online")
        return t

    def title(self, t):
        return t.screen().splitlines()[0].strip()

    def status(self, t):
        """The status line: the one above the compose box."""
        return t.screen().rstrip("\n").split("\n")[-2]

    def switch(self, t, name):
        """Goes to a room with Ctrl-K."""
        t.keys("C-k")
        t.text(name)
        t.keys("Enter")
        wait_until(lambda: self.title(t) == name, what=name)

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
                         {"msgtype": "m.emote", "body": "is in the lobby"})

    def test_replies_show_what_they_answer(self):
        room = self.shared_room("Board Room")
        first = self.bob.send_text(room, "Who is presenting the budget?")
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "Marcus, at 10:00",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}}})
        t = self.start()
        t.wait_for("↳ ")
        screen = t.screen()
        self.assertIn("Who is presenting the budget?", screen.split("↳", 1)[1])

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
        self.assertNotIn("new messages", t.screen())
        t.keys("M-u")
        screen = t.wait_for("── new messages ──")
        lines = screen.splitlines()
        marker = [i for i, l in enumerate(lines) if "new messages" in l][0]
        self.assertIn("already read", lines[marker - 1])
        self.assertIn("news 00", lines[marker + 1])

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
        time.sleep(1)  # a duplicate would arrive in this second
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
        screen = wait_until(lambda: len(t.screen().splitlines()[0]) <= 40 and t.screen(),
                            what="the narrow screen")
        self.assertNotIn("│", screen)  # the list folds away below 70 columns
        t.keys("M-l")
        t.wait_for("│")
        t.resize(10, 4)
        t.resize(1, 2)
        t.resize(100, 30)
        t.wait_for("Board Room")
        self.assertTrue(t.alive())
        t.text("still typing")
        t.wait_for("> still typing")

    def test_typing_while_messages_arrive_loses_no_keystroke(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.wait_for("online")
        burst = subprocess.Popen(["python3", "-c", BURST, self.hs.url, self.bob.access_token,
                                  room], cwd=os.path.dirname(__file__))
        typed = "the quick brown fox jumps over the lazy dog " * 3
        for ch in typed:
            t.text(ch)
        burst.wait(timeout=120)
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body", "")
                                     .startswith("the quick"), timeout=60)
        self.assertEqual(ev["content"]["body"], typed)


BURST = """
import sys, natter_harness as h
url, token, room = sys.argv[1:]
for i in range(1000):
    h.request(url, "PUT", f"/_matrix/client/v3/rooms/{h._q(room)}/send/m.room.message/b{i}",
              token=token, json_body={"msgtype": "m.text", "body": f"burst {i}"})
"""


if __name__ == "__main__":
    unittest.main()
