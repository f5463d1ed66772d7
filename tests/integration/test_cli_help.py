"""Help where people look, and usage errors said alike everywhere.

natter --help lists every command and natter CMD --help tells one in full,
for every command natter(1) lists; a bad usage of any command exits 2 with
every line of standard error starting "natter:", logged in or not; and a
profile that is not logged in says how to log that profile in. No
homeserver is needed."""

import re
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from natter_harness import NatterRun  # noqa: E402

TOP = Path(__file__).resolve().parents[2]

# A bad usage of each command: a missing argument, an unknown option, or
# an argument of the wrong form. Every command of natter(1) needs one.
BAD_USAGE = {
    "broadcast": [["hello"], ["--to", "Board", "--loud", "hi"], ["--list", "--to", "Board", "hi"],
                  ["--report", "latest"], ["--report", "0"], ["--report", "1", "--emote"],
                  ["--list", "extra"], ["--to", "Board", "--json", "hi"]],
    "crypto": [[], ["teardown"], ["setup", "--loud"]],
    "devices": [["@a:x", "@b:x"], ["bob"]],
    "dm": [[], ["bob"]],
    "download": [["Board"], ["Board", "$e", "--to", "x"]],
    "edit": [["Board"]],
    "export": [[], ["Board", "--eml", "a.eml", "--mbox", "b.mbox"]],
    "history": [[], ["Board", "--limit", "many"], ["Board", "--thread"],
                ["Board", "--thread", "root"], ["Board", "--thread", "$r", "--before", "$b"]],
    "invite": [["Board"], ["Board", "bob"]],
    "join": [[], ["a", "b"]],
    "keys": [[], ["export"], ["send", "keys.txt"], ["import", "keys.txt", "--force"]],
    "leave": [[]],
    "login": [[], ["--user"]],
    "logout": [["now"]],
    "outbox": [["--all"]],
    "react": [["Board", "$e"]],
    "read": [[]],
    "recover": [["KEY"], ["--loud"]],
    "redact": [["Board"]],
    "remind": [[], ["Board", "$e"], ["Board", "$e", "whenever"], ["--done"],
               ["--done", "ab12", "extra"], ["--snooze", "ab12"], ["--snooze", "ab12", "soon"],
               ["--done", "ab12", "--snooze", "ab12", "+1h"]],
    "reminders": [["extra"], ["--all"]],
    "rooms": [["Board"], ["--space"], ["--space", ""], ["--space", "Eng", "Board"]],
    "scheduled": [["Board"], ["--cancel"], ["--cancel", "1", "--edit", "1"], ["--edit", "1"],
                  ["--cancel", "soon"], ["--at", "+2h"]],
    "search": [[], ["budget", "--limit", "0"]],
    "send": [[], ["--bogus", "Board", "hi"], ["--at", "25:00", "Board", "hi"],
             ["--at", "+1h", "Board", "--file", "x.pdf"], ["Board", "--thread", "root", "hi"],
             ["Board", "--thread", "$r", "--file", "a.pdf"]],
    "sync": [["--bogus"], ["--timeout", "soon"], ["Board"]],
    "trust": [["@bob:x"], ["bob", "DEVICE", "KEY"], ["--accept-identity"],
              ["--accept-identity", "bob"], ["--accept-identity", "@bob:x", "DEV"]],
    "verify": [[], ["bob"], ["@bob:x", "DEV", "more"], ["--wait", "@a:x", "@b:x"]],
    "waiting": [["extra"], ["--flag", "Board"], ["--unflag", "Board", "$e", "more"],
                ["--flag", "--json", "Board", "$e"]],
    "whoami": [["me"]],
}


def manual_commands():
    """The commands natter(1) describes under COMMANDS."""
    man = (TOP / "man" / "natter.1").read_text()
    section = man.split("\n.Sh COMMANDS\n", 1)[1].split("\n.Sh ", 1)[0]
    names = []
    for name in re.findall(r"^\.It (?:Xo )?Ic ([a-z]+)", section, re.M):
        if name not in names:
            names.append(name)
    return names


class HelpTest(unittest.TestCase):
    def setUp(self):
        self.natter = NatterRun()
        self.addCleanup(self.natter.cleanup)
        self.commands = manual_commands()
        self.assertGreater(len(self.commands), 20)

    def assert_error_lines(self, r, what):
        lines = [line for line in r.stderr.splitlines() if line]
        self.assertTrue(lines, f"{what}: nothing on stderr")
        for line in lines:
            self.assertTrue(line.startswith("natter: "), f"{what}: {line!r}")

    def test_natter_help_lists_every_command(self):
        for args in (["--help"], ["-h"], ["help"]):
            with self.subTest(args=args):
                r = self.natter.run(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "")
                self.assertIn("Without a command natter opens its terminal interface", r.stdout)
                self.assertIn("natter COMMAND --help", r.stdout)
                for name in self.commands:
                    self.assertRegex(r.stdout, rf"(?m)^  natter {name}\b")

    def test_every_command_in_the_manual_has_help(self):
        for name in self.commands:
            with self.subTest(command=name):
                r = self.natter.run(name, "--help")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "")
                usage, _, text = r.stdout.partition("\n\n")
                self.assertTrue(usage.startswith("usage: natter "), usage)
                self.assertRegex(usage, rf"\] {name}\b")
                # More than the usage line: what it does, in sentences.
                self.assertGreaterEqual(len(text.split()), 10, r.stdout)
                self.assertEqual(self.natter.run("help", name).stdout, r.stdout)
        # Anywhere among the arguments, and with no session: help is local.
        r = self.natter.run("send", "Board", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("usage: natter "))
        # After -- it is an argument like any other.
        r = self.natter.run("send", "Board", "--", "--help")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not logged in", r.stderr)

    def test_search_help_tells_the_query_language(self):
        out = self.natter.run("search", "--help").stdout
        for word in ('"exact phrase"', "-word", "from:", "in:", "before:", "after:", "on:",
                     "has:file", "has:link", "is:dm", "--server", "--room", "--limit"):
            self.assertIn(word, out)

    def test_usage_errors_exit_2_and_say_natter(self):
        self.assertEqual(sorted(BAD_USAGE), sorted(self.commands),
                         "every command natter(1) lists needs a bad usage here")
        for name, cases in BAD_USAGE.items():
            for args in cases:
                with self.subTest(args=[name, *args]):
                    # Not logged in: the usage is wrong whatever the profile.
                    r = self.natter.run(name, *args)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertEqual(r.stdout, "")
                    self.assert_error_lines(r, f"natter {name} {args}")
        for args in (["frobnicate"], ["--bogus"], ["-x"], ["help", "frobnicate"], ["-p"]):
            with self.subTest(args=args):
                r = self.natter.run(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assert_error_lines(r, f"natter {args}")
        r = self.natter.run("send")
        self.assertIn("natter: usage: natter send ROOM", r.stderr)
        self.assertIn("`natter send --help`", r.stderr)

    def test_a_profile_not_logged_in_is_named_in_the_hint(self):
        r = self.natter.run("-p", "work", "send", "Board", "hello")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "natter: not logged in (profile work): run "
                         "`natter -p work login --user @you:server` first\n")
        r = self.natter.run("whoami")
        self.assertEqual(r.returncode, 1)
        self.assertIn("run `natter login --user @you:server` first", r.stderr)
        # The profile the config picks is the one natter uses without -p.
        (self.natter.config_home / "natter").mkdir()
        (self.natter.config_home / "natter" / "config").write_text(
            "[general]\nprofile = work\n")
        r = self.natter.run("whoami")
        self.assertIn("(profile work): run `natter login --user", r.stderr)
        r = self.natter.run("-p", "default", "whoami")
        self.assertIn("run `natter -p default login --user", r.stderr)


if __name__ == "__main__":
    unittest.main()
