"""The terminal interface's life: the terminal comes back as it was on
every way out, a terminal that goes away ends natter at once, and messages
written offline go when the network returns."""

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
import unittest

from fault_proxy import DELAY, FaultProxy
from natter_harness import check_exit
from test_tui import TuiTestCase, wait_until


class PtyScreen:
    """Reads everything natter writes to a pseudo-terminal (so that natter
    never blocks on a full one) and finds text in it."""

    def __init__(self, master):
        self.master = master
        self.data = bytearray()
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while self.running:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                chunk = os.read(self.master, 65536) if ready else b""
            except OSError:
                return
            with self.lock:
                self.data += chunk

    def wait_for(self, needle, timeout=20):
        def seen():
            with self.lock:
                return needle in self.data
        wait_until(seen, timeout, repr(needle))

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)


def cpu_seconds(pid):
    """The user and system CPU time a running process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_with_cpu(p, timeout):
    """Waits for p to end (killing it after timeout); its exit status and
    the CPU time it used in all."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru.ru_utime + ru.ru_stime
        if time.monotonic() > deadline:
            p.kill()
            p.wait()
            raise AssertionError(f"natter still ran {timeout}s after its terminal went away")
        time.sleep(0.02)


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
        # natter dies of a crash (the shell's 128 + signal) and quits on
        # SIGTERM and SIGHUP.
        for sig, status in ((signal.SIGSEGV, 128 + signal.SIGSEGV), (signal.SIGTERM, 0),
                            (signal.SIGHUP, 0)):
            t, record = self.start_wrapped()
            t.expect_exit(status)
            t.wait_for("online")
            os.kill(t.pid(), sig)
            self.assert_terminal_restored(t, record)
            t.close()
            os.unlink(f"{record}.stty")

    def natter_on_a_pty(self, draft):
        """natter on a pseudo-terminal it is not the session leader of (so no
        SIGHUP comes when the terminal closes), with draft typed and drawn.
        Returns the process, the terminal's other end, and natter's stderr file."""
        self.shared_room("Board Room")
        self.natter.ok("sync", "--once")
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        err = self.natter.home / "stderr-pty"
        with open(err, "w") as errf:
            p = subprocess.Popen([self.natter.binary], stdin=slave, stdout=slave, stderr=errf,
                                 env={**self.natter.env, "TERM": "xterm-256color"},
                                 cwd=self.natter.home, start_new_session=True)
        os.close(slave)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        screen = PtyScreen(master)
        self.addCleanup(screen.stop)
        screen.wait_for(b"Board Room")
        os.write(master, draft.encode())
        screen.wait_for(draft.encode())
        return p, master, err

    @contextlib.contextmanager
    def ends_at_once(self, p, err, why):
        """What the block does ends natter within two seconds, using little
        CPU, saying why, with exit status 1."""
        before = cpu_seconds(p.pid)
        start = time.monotonic()
        yield
        status, cpu = wait_with_cpu(p, timeout=2)
        took = time.monotonic() - start
        stderr = err.read_text()
        check_exit("natter on a terminal that went away", status, stderr, expected=1)
        self.assertIn(why, stderr)
        self.assertLess(took, 2, f"natter took {took:.1f}s to end")
        self.assertLess(cpu - before, 1.0, f"natter used {cpu - before:.1f}s of CPU ending")

    def test_a_terminal_that_goes_away_ends_natter_and_keeps_the_draft(self):
        p, master, err = self.natter_on_a_pty("half-written reply")
        with self.ends_at_once(p, err, "the terminal hung up"):
            os.close(master)
        t = self.terminal()
        t.wait_for("> half-written reply")

    def test_a_terminal_resized_to_nothing_ends_natter_and_keeps_the_draft(self):
        p, master, err = self.natter_on_a_pty("second thoughts")
        with self.ends_at_once(p, err, "the terminal was resized to nothing"):
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
            os.kill(p.pid, signal.SIGWINCH)
        os.close(master)
        t = self.terminal()
        t.wait_for("> second thoughts")

    def through_proxy(self):
        """A proxy between natter and the homeserver, for the test to take down."""
        proxy = FaultProxy(self.hs.url)
        self.addCleanup(proxy.down)
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url,
                                                       f"http://127.0.0.1:{proxy.port}"))
        return proxy

    def test_offline_the_status_counts_down_to_the_next_try(self):
        self.shared_room("Board Room")
        proxy = self.through_proxy()
        t = self.start()
        proxy.down()
        counts = set()

        def counting(screen):
            status = self.status_of(screen)
            self.assertNotRegex(screen, r"(?i)couldn't|connect|cannot reach|curl|trying again")
            m = re.search(r"\[default\] offline, retrying in (\d+) s", status)
            if m:
                counts.add(int(m.group(1)))
            return len(counts) >= 3
        # The tries back off to 8 s apart: the count is seen going down.
        t.wait_screen(counting, "a countdown to the next try", timeout=60)
        proxy.up()
        t.wait_screen(lambda s: self.status_of(s).strip() == "[default] online", "online",
                      timeout=30)

    def test_offline_messages_go_when_the_network_returns(self):
        room = self.shared_room("Board Room")
        proxy = self.through_proxy()
        t = self.start()
        proxy.down()
        t.wait_for("offline", timeout=60)
        t.text("written on the train")
        t.keys("Enter")
        screen = t.wait_for("written on the train  (sending…)")
        # Under our name, as it will be once it has gone.
        me = self.alice.user_id.split(":")[0][1:]
        self.assertIn(f"{me}: written on the train  (sending…)", screen)
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

    def echoed(self, t, text):
        """text is drawn as a message of the room: no longer as one of the outbox."""
        t.wait_screen(lambda s: any(text in line and "(sent" not in line
                                    and "sending" not in line for line in s.splitlines()),
                      f"{text!r} back from the homeserver", timeout=60)

    def test_a_message_sent_but_not_back_yet_is_shown_and_edited(self):
        room = self.shared_room("Board Room")
        proxy = self.through_proxy()
        # Every sync answer comes 8 s late: a message sent is back from the
        # homeserver that long after the homeserver took it.
        proxy.fault(DELAY, "sync", times=10000, delay=8)
        t = self.start()
        t.wait_for("online", timeout=60)
        t.text("an older one")
        t.keys("Enter")
        self.echoed(t, "an older one")
        t.text("the car is at 8:51")
        t.keys("Enter")
        sent = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get("body")
                                       == "the car is at 8:51")
        # Shown while its event is on the way back, and the one Up edits.
        t.wait_for("the car is at 8:51  (sent)")
        t.keys("Up")
        screen = t.wait_for("editing your last message")
        self.assertIn("> the car is at 8:51", screen)
        t.keys("BSpace", "BSpace")
        t.text("15")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e.get("content", {}).get(
            "m.relates_to", {}).get("rel_type") == "m.replace")
        self.assertEqual(ev["content"]["m.relates_to"]["event_id"], sent["event_id"])
        t.wait_for("the car is at 8:15 (edited)", timeout=60)
        self.assertNotIn("8:51", t.screen())

    def test_your_newest_message_not_gone_yet_is_not_taken_for_an_older_one(self):
        room = self.shared_room("Board Room")
        proxy = self.through_proxy()
        t = self.start()
        t.wait_for("online")
        t.text("an older one")
        t.keys("Enter")
        self.echoed(t, "an older one")
        proxy.down()
        t.wait_for("offline", timeout=60)
        t.text("written on the train")
        t.keys("Enter")
        t.wait_for("written on the train  (sending…)")
        unsent = "your newest message here has not gone yet: try again once it has"
        t.text("/edit written on the plane")
        t.keys("Enter")
        t.wait_for(unsent)
        t.keys("C-u")
        t.text("/scheduled")
        t.keys("Enter")
        t.wait_screen(lambda s: unsent not in s, "another note")
        # Up on the empty draft does not bring back the older one to edit.
        t.keys("Up")
        screen = t.wait_for(unsent)
        self.assertEqual(screen.rstrip("\n").split("\n")[-1].rstrip(), ">")
        self.assertNotIn("editing your last message", screen)
        proxy.up()
        wait_until(lambda: self.bodies(room) == ["an older one", "written on the train"],
                   timeout=90, what="the message, and no edit of the older one")
        self.echoed(t, "written on the train")
        self.assertEqual([e for e in self.bob.messages(room, limit=50)["chunk"]
                          if e.get("content", {}).get("m.relates_to")], [])

    def bodies(self, room):
        chunk = self.bob.messages(room, limit=50)["chunk"]
        return [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]


if __name__ == "__main__":
    unittest.main()
