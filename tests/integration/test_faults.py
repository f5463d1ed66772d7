"""natter through the fault proxy (fault_proxy.py) in front of the testbed:
answers cut inside their headers or body, delayed, refused by a proxy
(502, 503, 429), connections that stop answering or are reset, and natter
killed at random moments of a send. In every case the other user's view of
the room on the server holds each message once, in order, and natter's own
reports (exit status, `natter outbox`) say what the server has."""

import os
import random
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_support import NatterTestCase  # noqa: E402
from fault_proxy import (CUT_BODY, CUT_HEADERS, DELAY, HALF_OPEN, RESET,  # noqa: E402
                         STATUS, FaultProxy)
from natter_harness import check_exit, wait_until  # noqa: E402
from test_tui import TuiTestCase  # noqa: E402

SEND = r"^PUT /_matrix/client/v3/rooms/[^/]+/send/"
# natter speaks sliding sync where the homeserver offers it, as the testbed does.
SYNC = (r"^(GET /_matrix/client/v3/sync"
        r"|POST /_matrix/client/unstable/org\.matrix\.simplified_msc3575/sync)")


class Proxied:
    """natter logged in as alice, through a proxy of its own; bob reads the
    room on the server."""

    def setUp(self):
        super().setUp()
        self.proxy = FaultProxy(self.hs.url)
        self.addCleanup(self.proxy.close)
        session = self.natter.profile_dir() / "session"
        session.write_text(session.read_text().replace(self.hs.url, self.proxy.url))

    def server_bodies(self, room):
        """alice's messages as bob sees them on the server, oldest first."""
        chunk = self.bob.messages(room, limit=200)["chunk"]
        return [e["content"]["body"] for e in reversed(chunk)
                if e["type"] == "m.room.message" and e["sender"] == self.alice.user_id]

    def outbox(self):
        return [(o["state"], o["content"]) for o in self.natter.json_lines("outbox")]

    def send(self, room_name, text, expected):
        """natter send; expected: "sent" (exit 0) or "queued" (exit 1)."""
        r = self.natter.run("send", room_name, text)
        check_exit(f"natter send {text!r}", r.returncode, r.stderr,
                   expected=0 if expected == "sent" else 1, stdout=r.stdout)
        out = r.stdout if expected == "sent" else r.stderr
        prefix = "" if expected == "sent" else "natter: "
        self.assertRegex(out, f"(?m)^{prefix}{expected} ",
                         f"{expected!r} expected:\n{r.stdout}{r.stderr}")
        self.assertNotRegex(r.stderr, "(?m)^natter: failed ")
        return r

    def assert_delivered(self, room, bodies):
        """The server has exactly bodies, in order, and natter's outbox is empty."""
        self.assertEqual(self.server_bodies(room), bodies)
        self.assertEqual(self.outbox(), [])


class FaultsTestCase(Proxied, NatterTestCase):
    pass


class AnswerFaultsTest(FaultsTestCase):
    def test_a_send_answer_cut_inside_its_headers_is_sent_once(self):
        room = self.shared_room("Cut Headers")
        self.proxy.fault(CUT_HEADERS, SEND)
        self.send("Cut Headers", "stored, answer cut in the headers", "sent")
        self.assertEqual(self.proxy.count(SEND), 2)
        self.assert_delivered(room, ["stored, answer cut in the headers"])

    def test_a_send_answer_cut_inside_its_body_is_sent_once(self):
        room = self.shared_room("Cut Body")
        self.proxy.fault(CUT_BODY, SEND)
        self.send("Cut Body", "stored, answer cut in the body", "sent")
        self.assert_delivered(room, ["stored, answer cut in the body"])

    def test_answers_cut_every_time_keep_the_message_queued(self):
        room = self.shared_room("Always Cut")
        self.proxy.fault(CUT_BODY, SEND, times=-1, framing="close")
        r = self.send("Always Cut", "the server has it, natter cannot tell", "queued")
        self.assertIn("outbox", r.stderr)
        self.assertEqual(self.server_bodies(room), ["the server has it, natter cannot tell"])
        self.assertEqual([state for state, _ in self.outbox()], ["queued"])
        self.proxy.clear()
        self.natter.ok("sync", "--once")
        self.assert_delivered(room, ["the server has it, natter cannot tell"])
        # Typed again, it is a new message: the first was never reported refused.
        self.send("Always Cut", "a second message", "sent")
        self.assert_delivered(room, ["the server has it, natter cannot tell",
                                     "a second message"])

    def test_sync_once_retries_an_answer_cut_short(self):
        room = self.shared_room("Sync Cut")
        self.bob.send_text(room, "news for alice")
        self.proxy.fault(CUT_HEADERS, SYNC)
        self.proxy.fault(CUT_BODY, SYNC)
        self.proxy.fault(CUT_BODY, SYNC, framing="close")
        r = self.natter.run("sync", "--once")
        check_exit("natter sync --once", r.returncode, r.stderr)
        self.assertEqual(len(re.findall(r"(?m)^natter: .*\(trying again in \d+ s\)$", r.stderr)),
                         3, r.stderr)
        self.assertEqual(self.proxy.count(SYNC, CUT_HEADERS), 1)
        self.assertEqual(self.proxy.count(SYNC, CUT_BODY), 2)
        self.assertIn("news for alice", self.natter.bodies(room))

    def test_proxy_errors_and_resets_then_the_send_goes_once(self):
        room = self.shared_room("Errors")
        self.proxy.fault(STATUS, SEND, status=502, forward=True)
        self.proxy.fault(STATUS, SEND, status=503)
        self.proxy.fault(STATUS, SEND, status=429, retry_after=1)
        self.proxy.fault(RESET, SEND, forward=True)
        self.send("Errors", "through every error", "sent")
        self.assertEqual(self.proxy.count(SEND), 5)
        self.assert_delivered(room, ["through every error"])

    def test_a_slow_answer_is_waited_for(self):
        room = self.shared_room("Slow")
        self.proxy.fault(DELAY, SEND, delay=3)
        self.send("Slow", "a slow server", "sent")
        self.assertEqual(self.proxy.count(SEND), 1)
        self.assert_delivered(room, ["a slow server"])


class StallTest(FaultsTestCase):
    def test_a_send_whose_connection_stops_answering_is_retried_in_seconds(self):
        room = self.shared_room("Stall")
        # The server stores it; its answer never comes back.
        self.proxy.fault(HALF_OPEN, SEND, forward=True)
        start = time.monotonic()
        r = self.send("Stall", "the line went quiet", "sent")
        self.assertLess(time.monotonic() - start, 30, r.stderr)
        self.assertRegex(r.stderr, r"natter: not sent to .* yet \(.*\); retrying in \d+ s")
        self.assertEqual(self.proxy.count(SEND), 2)
        self.assert_delivered(room, ["the line went quiet"])

    def test_the_outbox_says_when_it_tries_again(self):
        room = self.shared_room("Busy")
        self.proxy.fault(STATUS, SEND, status=503, retry_after=20)
        p = self.natter.popen("send", "Busy", "in twenty seconds")
        self.addCleanup(p.kill)
        self.proxy.wait_for(SEND, STATUS)
        listing = wait_until(lambda: "retrying in" in (out := self.natter.ok("outbox")) and out,
                             what="retrying in the outbox listing")
        self.assertRegex(listing, r"queued .* 1 attempt\(s\): .*; retrying in (1\d|20) s")
        p.kill()
        p.communicate()
        self.assertEqual(self.server_bodies(room), [])


class KillTest(FaultsTestCase):
    def test_killed_at_random_moments_of_sends(self):
        """natter send killed (SIGKILL) at random moments, some answers cut or
        slow: what was queued goes once, in order; nothing else goes."""
        room = self.shared_room("Kills")
        seed = int(os.environ.get("NATTER_TEST_SEED", time.time_ns() % 100000))
        rng = random.Random(seed)
        texts = [f"kill {i} (seed {seed})" for i in range(12)]
        for text in texts:
            self.proxy.fault(rng.choice([CUT_HEADERS, CUT_BODY, DELAY]), SEND, delay=0.3)
            p = self.natter.popen("send", "Kills", text)
            time.sleep(rng.uniform(0, 0.6))
            p.send_signal(signal.SIGKILL)
            out, err = p.communicate(timeout=60)
            if p.returncode != -signal.SIGKILL:
                check_exit(f"natter send {text!r}", p.returncode, err, expected=None)
                self.assertNotIn("failed", err, f"seed {seed}")
        self.proxy.clear()
        queued = [body for state, body in self.outbox() if state == "queued"]
        self.assertEqual([s for s, _ in self.outbox()], ["queued"] * len(queued))
        self.natter.ok("sync", "--once")
        bodies = self.server_bodies(room)
        self.assertEqual(len(bodies), len(set(bodies)), f"a copy; seed {seed}: {bodies}")
        self.assertEqual(bodies, [t for t in texts if t in bodies], f"order; seed {seed}")
        for content in queued:
            self.assertTrue(any(t in content for t in bodies), f"lost: {content}; seed {seed}")
        self.assertEqual(self.outbox(), [])


class TuiFaultsTest(Proxied, TuiTestCase):
    def test_the_pending_marker_counts_down_to_the_retry(self):
        room = self.shared_room("Busy Line")
        t = self.start(cols=200)
        self.proxy.fault(STATUS, SEND, status=503, retry_after=4)
        t.text("are you there?")
        t.keys("Enter")
        seen = set()

        def counted_down(screen):
            m = re.search(r"are you there\?  \(sending…\) retrying in (\d) s: the homeserver "
                          r"answered HTTP 503", screen)
            if m:
                seen.add(int(m.group(1)))
            return len(seen) >= 2
        t.wait_screen(counted_down, "a countdown to the retry")
        self.assertLessEqual(max(seen), 4)
        self.bob.wait_for_event(room, lambda e: e["content"].get("body") == "are you there?")
        wait_until(lambda: "sending" not in t.screen(), what="the pending marker gone")
        self.assert_delivered(room, ["are you there?"])

    def test_a_send_that_gets_no_answer_says_why_and_goes(self):
        room = self.shared_room("Quiet Line")
        t = self.start(cols=200)
        # Two attempts in a row get no answer: while the second waits, the
        # first one's failure shows.
        self.proxy.fault(HALF_OPEN, SEND, times=2)
        t.text("hello?")
        t.keys("Enter")
        t.wait_for("hello?  (sending…)")
        t.wait_for("hello?  (sending…) tried 1 time: cannot reach the homeserver: the "
                   "connection stalled: nothing came for 10 s", timeout=30)
        self.bob.wait_for_event(room, lambda e: e["content"].get("body") == "hello?", timeout=40)
        wait_until(lambda: "sending" not in t.screen(), what="the pending marker gone")
        self.assertEqual(self.proxy.count(SEND), 3)
        self.assert_delivered(room, ["hello?"])


if __name__ == "__main__":
    unittest.main()
