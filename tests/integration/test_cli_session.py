"""Logging in and out, the private files of a profile, and usage errors."""

import json
import unittest

from cli_support import Natter, NatterTestCase, file_mode, natter_for
from natter_harness import request


class SessionTest(NatterTestCase):
    def test_login_keeps_secrets_private(self):
        pdir = self.natter.profile_dir()
        self.assertEqual(file_mode(pdir), 0o700)
        self.assertEqual(file_mode(pdir / "session"), 0o600)
        self.assertEqual(file_mode(pdir / "cache.db"), 0o600)
        self.assertIn(self.alice.user_id, self.natter.ok("whoami"))

    def test_wrong_password_is_refused_clearly(self):
        n = Natter(self.bob)
        self.addCleanup(n.cleanup)
        r = n.run("login", "--homeserver", self.hs.url, "--user", self.bob.user_id,
                  "--password-stdin", input="not-the-password\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("wrong user or password", r.stderr)
        self.assertFalse((n.profile_dir() / "session").exists())
        r = n.run("whoami")
        self.assertEqual(r.returncode, 1)
        self.assertIn("natter login", r.stderr)

    def test_login_with_a_login_token(self):
        token = self.bob.api(
            "POST", "/_matrix/client/v1/login/get_token", {})["login_token"]
        n = Natter(self.bob)
        self.addCleanup(n.cleanup)
        n.ok("login", "--homeserver", self.hs.url, "--login-token-stdin", input=token + "\n")
        self.assertIn(self.bob.user_id, n.ok("whoami"))
        self.assertEqual(file_mode(n.profile_dir() / "session"), 0o600)
        again = Natter(self.bob)
        self.addCleanup(again.cleanup)
        r = again.run("login", "--homeserver", self.hs.url, "--login-token-stdin",
                      input=token + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("login token is not valid", r.stderr)

    def test_profiles_never_share_a_cache(self):
        self.natter.ok("-p", "work", "login", "--homeserver", self.hs.url, "--user",
                       self.bob.user_id, "--password-stdin", input=self.bob.password + "\n")
        self.assertIn(self.bob.user_id, self.natter.ok("-p", "work", "whoami"))
        self.assertIn(self.alice.user_id, self.natter.ok("whoami"))
        self.assertTrue((self.natter.profile_dir("work") / "cache.db").exists())
        # The default profile's cache is alice's: bob may not log in over it.
        r = self.natter.run("login", "--homeserver", self.hs.url, "--user", self.bob.user_id,
                            "--password-stdin", input=self.bob.password + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("another profile", r.stderr)

    def test_config_chooses_the_default_profile_and_reports_bad_lines(self):
        self.natter.ok("-p", "work", "login", "--homeserver", self.hs.url, "--user",
                       self.bob.user_id, "--password-stdin", input=self.bob.password + "\n")
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text("# natter\n[general]\nprofile = work\nthis line is wrong\n")
        r = self.natter.run("whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(self.bob.user_id, r.stdout)
        self.assertIn(f"{config}:4: expected key = value", r.stderr)
        self.assertIn(self.alice.user_id, self.natter.ok("-p", "default", "whoami"))
        other = self.natter.home / "other.conf"
        other.write_text("[general]\nprofile = ../../etc\n")
        r = self.natter.run("-c", other, "whoami")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("bad profile name", r.stderr)
        self.assertIn(self.alice.user_id, r.stdout)

    def test_logout_ends_the_session_and_keeps_the_cache(self):
        room = self.shared_room()
        self.bob.send_text(room, "kept after logout")
        self.natter.ok("sync", "--once")
        self.natter.ok("logout")
        self.assertFalse((self.natter.profile_dir() / "session").exists())
        self.assertIn("kept after logout", self.natter.bodies(room))
        r = self.natter.run("sync", "--once")
        self.assertEqual(r.returncode, 1)
        self.assertIn("natter login", r.stderr)

    def test_revoked_token_asks_to_log_in_again(self):
        other = natter_for(self.bob, self.hs)
        self.addCleanup(other.cleanup)
        session = json.loads((other.profile_dir() / "session").read_text())
        # Another client ends this session on the server.
        request(self.hs.url, "POST", "/_matrix/client/v3/logout",
                token=session["access_token"], json_body={})
        r = other.run("sync", "--once")
        self.assertEqual(r.returncode, 1)
        self.assertIn("log in again", r.stderr)

    def test_verbose_log_is_private_and_holds_no_secrets(self):
        room = self.shared_room()
        self.natter.ok("-v", "send", "Planning", "the merger code word is heron")
        self.natter.ok("-v", "sync", "--once")
        log = self.natter.state_home / "natter" / "default.log"
        self.assertEqual(file_mode(log), 0o600)
        text = log.read_text()
        # The testbed offers sliding sync, which natter then speaks.
        self.assertIn("POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync: 200",
                      text)
        self.assertIn("PUT /_matrix/client/v3/rooms/", text)
        self.assertIn("sync: ", text)
        session = json.loads((self.natter.profile_dir() / "session").read_text())
        self.assertNotIn(session["access_token"], text)
        self.assertNotIn("heron", text)
        self.assertNotIn(self.alice.password, text)
        self.natter.ok("rooms")
        self.assertEqual(log.read_text(), text)

    def test_usage_errors_exit_2(self):
        for args in (["send"], ["history"], ["frobnicate"], ["sync", "--bogus"],
                     ["invite", "room"], ["broadcast", "hello"]):
            with self.subTest(args=args):
                self.assertEqual(self.natter.run(*args).returncode, 2)


if __name__ == "__main__":
    unittest.main()
