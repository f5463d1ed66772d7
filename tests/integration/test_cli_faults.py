"""Faults of a homeserver that no test server can be made to show: a
fake one on loopback answers /sync with what a broken server sends."""

import json
import os
import signal
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_support import Natter  # noqa: E402
from natter_harness import check_exit  # noqa: E402


class FakeHomeserver:
    """Answers the filter upload; /sync answers come from sync_body()."""

    def __init__(self, sync_body):
        self.sync_calls = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, body, status=200):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.reply('{"filter_id": "1"}')

            def do_GET(self):
                if self.path.startswith("/_matrix/client/v3/sync"):
                    fake.sync_calls += 1
                    self.reply(sync_body())
                else:
                    self.reply('{"errcode": "M_UNRECOGNIZED"}', 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FaultsTest(unittest.TestCase):
    def natter_on(self, fake):
        n = Natter(None)
        self.addCleanup(n.cleanup)
        pdir = n.profile_dir()
        pdir.mkdir(parents=True, mode=0o700)
        old = os.umask(0o077)
        (pdir / "session").write_text(json.dumps({
            "homeserver": fake.url, "user_id": "@me:fake", "device_id": "D",
            "access_token": "t"}))
        os.umask(old)
        return n

    def run_sync_for(self, n, seconds):
        p = n.popen("sync", "--timeout", "30000")
        time.sleep(seconds)  # the point is to count requests over a span of time
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        check_exit("natter sync, ended by SIGTERM", p.returncode, err)
        return err

    def test_unreadable_sync_is_not_retried_in_a_tight_loop(self):
        fake = FakeHomeserver(lambda: "<html>502 Bad Gateway</html>")
        self.addCleanup(fake.close)
        err = self.run_sync_for(self.natter_on(fake), 4)
        self.assertIn("cannot be read", err)
        self.assertGreaterEqual(fake.sync_calls, 2)
        self.assertLessEqual(fake.sync_calls, 12)

    def test_same_token_forever_is_not_a_tight_loop(self):
        fake = FakeHomeserver(lambda: '{"next_batch": "s_stuck"}')
        self.addCleanup(fake.close)
        self.run_sync_for(self.natter_on(fake), 4)
        self.assertGreaterEqual(fake.sync_calls, 2)
        self.assertLessEqual(fake.sync_calls, 12)


if __name__ == "__main__":
    unittest.main()
