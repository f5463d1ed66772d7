"""Scheduled messages from the command line: natter send --at, natter scheduled.

The testbed's homeserver holds delayed events (MSC4140, max_event_delay_duration
24h), so by default the message is handed to it and arrives with no natter
running; [send] scheduled = local stands for a homeserver without them: the
message waits in the outbox and goes from a running natter."""

import json
import re
import signal
import sqlite3
import threading
import time
import unittest
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cli_support import NatterTestCase
from natter_harness import check_exit, wait_until

DELAYED = "/_matrix/client/unstable/org.matrix.msc4140/delayed_events"


class NoDelayProxy:
    """The testbed's homeserver as one without delayed events: every request is
    forwarded, and /versions answers without org.matrix.msc4140. Counts the
    requests that ask for a delay all the same."""

    def __init__(self, target):
        self.delay_requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else None
                if "msc4140" in self.path:
                    proxy.delay_requests += 1
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type")}
                req = urllib.request.Request(target + self.path, data=body, headers=headers,
                                             method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=120) as r:
                        status, data = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, data = e.code, e.read()
                if self.path.startswith("/_matrix/client/versions") and status == 200:
                    versions = json.loads(data)
                    versions.get("unstable_features", {}).pop("org.matrix.msc4140", None)
                    data = json.dumps(versions).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass    # a natter the test stopped mid-request (its long poll)

            do_GET = do_PUT = do_POST = do_DELETE = forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_config(natter, text):
    path = natter.config_home / "natter" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


class ScheduledTest(NatterTestCase):
    def count(self, room, body):
        chunk = self.bob.messages(room, limit=200)["chunk"]
        return sum(1 for e in chunk if e.get("content", {}).get("body") == body)

    def held(self):
        """What the homeserver holds for alice: (delay_id, body) pairs."""
        events = self.alice.api("GET", DELAYED)["delayed_events"]
        return [(e["delay_id"], e["content"].get("body")) for e in events]

    def arrives(self, room, body, timeout=60):
        """Bob sees body in room, from the homeserver."""
        return self.bob.wait_for_event(
            room, lambda e: e.get("content", {}).get("body") == body, timeout=timeout)

    def schedule(self, at, room_name, text):
        out = self.natter.ok("send", "--at", at, room_name, text)
        m = re.match(r"scheduled #(\d+) for \w{3} \d{4}-\d\d-\d\d \d\d:\d\d \S+ in "
                     + re.escape(room_name) + ": ", out)
        self.assertIsNotNone(m, out)
        return int(m.group(1)), out

    def listed(self):
        return {item["id"]: item for item in self.natter.json_lines("scheduled")}

    def test_the_homeserver_holds_it_and_sends_it_with_no_natter_running(self):
        room = self.shared_room("Board")
        text = "The car is at 8:15 - Sam"
        ident, out = self.schedule("+6s", "Board", text)
        self.assertIn("the homeserver holds it and sends it then, whether or not natter is "
                      "running", out)
        item = self.listed()[ident]
        self.assertEqual((item["waits"], item["room"], item["room_id"], item["text"]),
                         ("server", "Board", room, text))
        self.assertEqual([b for _, b in self.held()], [text])
        self.assertEqual(self.count(room, text), 0)
        listing = self.natter.ok("scheduled")
        self.assertRegex(listing, rf"#{ident}  \w{{3}} [-\d]+ \d\d:\d\d \S+  server  Board: "
                         + re.escape(text))
        event = self.arrives(room, text)
        self.assertEqual(event["sender"], self.alice.user_id)
        wait_until(lambda: not self.held(), what="the server's list emptied")
        self.assertEqual(self.count(room, text), 1)
        self.assertIn("nothing is scheduled", self.natter.ok("scheduled"))

    def test_cancel_and_edit_on_the_homeserver(self):
        room = self.shared_room("Travel")
        dropped, _ = self.schedule("+1h", "Travel", "this one is cancelled")
        kept, _ = self.schedule("+1h", "Travel", "first draft")
        self.assertEqual(sorted(b for _, b in self.held()), ["first draft",
                                                             "this one is cancelled"])
        self.assertEqual(self.natter.ok("scheduled", "--cancel", str(dropped)).strip(),
                         f"cancelled scheduled message #{dropped}")
        self.assertEqual([b for _, b in self.held()], ["first draft"])
        [old_id] = [d for d, _ in self.held()]
        out = self.natter.ok("scheduled", "--edit", f"#{kept}", "--at", "+5s",
                             "the final text")
        self.assertIn(f"scheduled #{kept} ", out)
        self.assertIn("the homeserver holds it", out)
        self.assertEqual(list(self.listed()), [kept])
        held = self.held()
        self.assertEqual([b for _, b in held], ["the final text"])
        self.assertNotEqual(held[0][0], old_id)
        self.arrives(room, "the final text")
        self.assertEqual(self.count(room, "first draft"), 0)
        self.assertEqual(self.count(room, "this one is cancelled"), 0)
        r = self.natter.run("scheduled", "--cancel", str(kept))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"no scheduled message {kept} waits", r.stderr)

    def test_one_cancelled_from_another_device_leaves_the_list(self):
        room = self.shared_room("Board")
        gone, _ = self.schedule("+1h", "Board", "cancelled elsewhere")
        kept, _ = self.schedule("+1h", "Board", "still on")
        [delay_id] = [d for d, b in self.held() if b == "cancelled elsewhere"]
        # Alice's other device (this test's own session) cancels it.
        self.alice.api("POST", f"{DELAYED}/{delay_id}", {"action": "cancel"})
        r = self.natter.run("scheduled")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "natter: 1 scheduled message is no longer on the homeserver: "
                                   "cancelled, or sent, from another device\n")
        self.assertIn(f"#{kept} ", r.stdout)
        self.assertNotIn(f"#{gone} ", r.stdout)
        self.assertEqual(list(self.listed()), [kept])
        r = self.natter.run("scheduled", "--cancel", str(gone))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"no scheduled message {gone} waits", r.stderr)
        # What the homeserver still holds stays, and goes.
        self.assertEqual([b for _, b in self.held()], ["still on"])
        self.assertEqual(self.count(room, "cancelled elsewhere"), 0)
        # Offline, the list is natter's own, at once, and says so.
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, "http://127.0.0.1:9"))
        log = self.natter.state_home / "natter" / "default.log"
        r = self.natter.run("-v", "scheduled")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"^natter: cannot ask the homeserver which scheduled "
                                   r"messages it holds: .*\(the list below is natter's own\)\n$")
        self.assertIn(f"#{kept} ", r.stdout)
        # One attempt, not the retries with their pauses a send gets.
        asked = [line for line in log.read_text().splitlines()
                 if "GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events:" in line]
        self.assertEqual(len(asked), 1, asked)
        self.assertNotIn("will retry", asked[0])

    def handed_then_killed(self, room_name, text):
        """natter send --at killed once the homeserver took the message, before
        it kept the answer: the room, and what the homeserver holds."""
        room = self.shared_room(room_name)
        r = self.natter.run("send", "--at", "+20s", room_name, text,
                            env={"NATTER_TEST_CRASH": "after-hand"})
        self.assertEqual(r.returncode, -signal.SIGKILL, r.stderr)
        [held] = self.held()
        return room, held

    def forget_txn(self):
        """A new transaction id for each row in the cache: as if the homeserver
        had forgotten the one it was handed under."""
        with sqlite3.connect(self.natter.profile_dir() / "cache.db") as db:
            db.execute("UPDATE outbox SET txn_id = txn_id || '.forgotten'")

    def goes_once(self, room, text):
        """text arrives in room once, the homeserver holds nothing more, and
        natter's outbox is empty."""
        self.arrives(room, text)
        wait_until(lambda: not self.held(), what="the server's list emptied")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, text), 1)
        self.assertEqual(self.natter.json_lines("outbox"), [])

    def test_killed_while_handing_it_over_it_goes_once(self):
        text = "handed over, then natter was killed"
        room, held = self.handed_then_killed("Crash", text)
        [item] = self.natter.json_lines("scheduled")
        self.assertEqual(item["waits"], "here")
        # The next natter hands it again under its transaction id: the server
        # answers with the delayed event it has, and makes no second one.
        self.natter.ok("sync", "--once")
        [item] = self.natter.json_lines("scheduled")
        self.assertEqual(item["waits"], "server")
        self.assertEqual(self.held(), [held])
        self.goes_once(room, text)

    def test_killed_while_handing_it_over_and_long_gone_it_goes_once(self):
        text = "handed over, then natter was gone for an hour"
        room, held = self.handed_then_killed("Crash later", text)
        # The homeserver forgets a transaction id after a while (Synapse:
        # 30 minutes): handed again under it, it would make a second one.
        # A new id stands for the forgotten one.
        self.forget_txn()
        self.natter.ok("-v", "sync", "--once")
        [item] = self.natter.json_lines("scheduled")
        self.assertEqual(item["waits"], "server")
        self.assertEqual(self.held(), [held])
        log = (self.natter.state_home / "natter" / "default.log").read_text()
        self.assertIn(f"natter stopped while handing it to the homeserver, which holds it as "
                      f"{held[0]}", log)
        self.goes_once(room, text)

    def test_killed_while_handing_it_over_and_back_after_its_time_it_goes_once(self):
        text = "handed over, and natter was gone past its time"
        room, held = self.handed_then_killed("Crash past", text)
        self.arrives(room, text)
        wait_until(lambda: not self.held(), what="the server's list emptied")
        # Gone past its time and past the homeserver's memory of the
        # transaction id: not in the list, as it went. The copy in the
        # room says so.
        self.forget_txn()
        self.natter.ok("-v", "sync", "--once")
        self.assertEqual(self.natter.json_lines("scheduled"), [])
        self.assertEqual(self.natter.json_lines("outbox"), [])
        log = (self.natter.state_home / "natter" / "default.log").read_text()
        self.assertRegex(log, r"natter stopped while handing it to the homeserver, which sent "
                              r"it at its time as \$")
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, text), 1)

    def test_in_an_encrypted_room_it_waits_here_and_goes_encrypted(self):
        room = self.bob.create_room(name="Secret", invite=[self.alice.user_id], initial_state=[{
            "type": "m.room.encryption", "state_key": "",
            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        self.alice.join(room)
        self.natter.ok("sync", "--once")
        text = "the acquisition closes Friday"
        ident, out = self.schedule("+3s", "Secret", text)
        self.assertIn("it waits here", out)
        self.assertIn("not on the homeserver: the room is end-to-end encrypted", out)
        self.assertEqual(self.held(), [])
        self.assertEqual(self.listed()[ident]["waits"], "here")
        wait_until(lambda: time.time() * 1000 > self.listed()[ident]["due_ts"], timeout=30,
                   what="its time")
        self.natter.ok("sync", "--once")
        sealed = self.bob.wait_for_event(room, lambda e: e["type"] == "m.room.encrypted"
                                         and e["sender"] == self.alice.user_id)
        self.assertEqual(sealed["content"]["algorithm"], "m.megolm.v1.aes-sha2")
        chunk = self.bob.messages(room)["chunk"]
        self.assertNotIn("acquisition", json.dumps(chunk))
        self.assertFalse([e for e in chunk if e["type"] == "m.room.message"])
        self.assertEqual(self.listed(), {})

    def test_beyond_the_servers_maximum_it_waits_here_and_says_so(self):
        room = self.shared_room("Quarterly")
        ident, out = self.schedule("+25h", "Quarterly", "see you next quarter")
        self.assertIn("it waits here and goes at its time from a natter of this profile "
                      "that is running then", out)
        self.assertIn("not on the homeserver: the homeserver would not hold it", out)
        self.assertIn("exceeds the allowed maximum", out)
        item = self.listed()[ident]
        self.assertEqual(item["waits"], "here")
        self.assertIn("would not hold it", item["note"])
        self.assertEqual(self.held(), [])
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, "see you next quarter"), 0)
        self.assertEqual(self.natter.ok("scheduled", "--cancel", str(ident)).strip(),
                         f"cancelled scheduled message #{ident}")
        self.assertEqual(self.listed(), {})

    def test_when_is_checked_before_anything_is_scheduled(self):
        self.shared_room("Desk")
        for when, words in (("25:00", "is not a time"), ("soon", "is not a time"),
                            ("2020-01-06 08:00", "is in the past")):
            r = self.natter.run("send", "--at", when, "Desk", "never sent")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(words, r.stderr)
        self.assertEqual(self.listed(), {})
        self.assertEqual(self.held(), [])
        r = self.natter.run("scheduled", "--edit", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("say what changes", r.stderr)
        r = self.natter.run("scheduled", "--cancel", "x1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not the number of a scheduled message", r.stderr)


class NoDelayedEventsTest(NatterTestCase):
    """A homeserver that does not list delayed events in /versions."""

    def test_it_waits_here_says_why_and_a_running_sync_sends_it(self):
        room = self.shared_room("Plain")
        proxy = NoDelayProxy(self.hs.url)
        self.addCleanup(proxy.close)
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, proxy.url))
        text = "sent by natter, not by the homeserver"
        out = self.natter.ok("send", "--at", "+3s", "Plain", text)
        self.assertIn("it waits here and goes at its time from a natter of this profile that "
                      "is running then (the interface, or `natter sync`); not on the "
                      "homeserver: the homeserver does not offer delayed events (MSC4140)", out)
        [item] = self.natter.json_lines("scheduled")
        self.assertEqual(item["waits"], "here")
        p = self.natter.popen("sync", "--timeout", "30000")
        try:
            self.bob.wait_for_event(
                room, lambda e: e.get("content", {}).get("body") == text, timeout=60)
        finally:
            p.terminate()
            _, err = p.communicate(timeout=30)
        check_exit("natter sync", p.returncode, err, expected=None)
        self.assertEqual(proxy.delay_requests, 0)
        self.assertEqual(self.natter.json_lines("scheduled"), [])
        chunk = self.bob.messages(room, limit=50)["chunk"]
        self.assertEqual(sum(1 for e in chunk if e.get("content", {}).get("body") == text), 1)


class LocalScheduledTest(NatterTestCase):
    """A homeserver without delayed events, as [send] scheduled = local makes it."""

    def setUp(self):
        super().setUp()
        write_config(self.natter, "[send]\nscheduled = local\n")

    def count(self, room, body):
        chunk = self.bob.messages(room, limit=200)["chunk"]
        return sum(1 for e in chunk if e.get("content", {}).get("body") == body)

    def schedule(self, at, room_name, text):
        out = self.natter.ok("send", "--at", at, room_name, text)
        self.assertIn("it waits here and goes at its time from a natter of this profile that "
                      "is running then (the interface, or `natter sync`)", out)
        self.assertNotIn("not on the homeserver", out)
        ident = int(re.match(r"scheduled #(\d+) ", out).group(1))
        [item] = self.natter.json_lines("scheduled")
        self.assertEqual((item["id"], item["waits"]), (ident, "here"))
        return item

    def test_a_running_sync_sends_it_at_its_time(self):
        room = self.shared_room("Office")
        text = "reminder: board pack due"
        self.schedule("+4s", "Office", text)
        self.assertEqual(self.alice.api("GET", DELAYED)["delayed_events"], [])
        p = self.natter.popen("sync", "--timeout", "30000")
        try:
            event = self.bob.wait_for_event(
                room, lambda e: e.get("content", {}).get("body") == text, timeout=60)
        finally:
            p.terminate()
            _, err = p.communicate(timeout=30)
        check_exit("natter sync", p.returncode, err, expected=None)
        self.assertEqual(event["sender"], self.alice.user_id)
        self.assertEqual(self.count(room, text), 1)
        self.assertIn("nothing is scheduled", self.natter.ok("scheduled"))
        self.assertEqual(self.natter.json_lines("outbox"), [])

    def test_two_natters_after_its_time_send_it_once(self):
        room = self.shared_room("Ops")
        text = "overdue, sent exactly once"
        item = self.schedule("+2s", "Ops", text)
        self.assertEqual(self.count(room, text), 0)
        wait_until(lambda: time.time() * 1000 > item["due_ts"] + 200, timeout=30,
                   what="its time")
        procs = [self.natter.popen("sync", "--once") for _ in range(2)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            check_exit("natter sync --once", p.returncode, err)
        self.natter.ok("sync", "--once")
        self.assertEqual(self.count(room, text), 1)
        self.assertEqual(self.natter.json_lines("scheduled"), [])

    def test_edit_then_cancel_here(self):
        room = self.shared_room("Drafts")
        item = self.schedule("+1h", "Drafts", "old words")
        out = self.natter.ok("scheduled", "--edit", str(item["id"]), "new words")
        self.assertIn(f"scheduled #{item['id']} ", out)
        [now] = self.natter.json_lines("scheduled")
        self.assertEqual((now["text"], now["due_ts"]), ("new words", item["due_ts"]))
        self.natter.ok("scheduled", "--cancel", str(item["id"]))
        self.natter.ok("sync", "--once")
        self.assertEqual(self.natter.json_lines("scheduled"), [])
        self.assertEqual(self.count(room, "new words"), 0)


if __name__ == "__main__":
    unittest.main()
