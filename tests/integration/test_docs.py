"""The documentation says what the binary does: every command natter lists
in its usage is in natter(1) and the README, and every configuration key
it accepts is in natter.conf(5); and the demo ends by saying how to open
the interface, with `man natter` working. (No homeserver is needed.)"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
NATTER = os.environ.get("NATTER_BIN", str(TOP / "build" / "natter"))


def usage_commands():
    r = subprocess.run([NATTER, "--help"], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.returncode, r.stderr)
    names = re.findall(r"^  natter ([a-z]+)", r.stdout, re.M)
    assert len(names) > 10, r.stdout
    return names


def config_keys():
    """The (section, key) pairs natter accepts, read from the table its
    config parser is built from (natter lists them nowhere else)."""
    src = (TOP / "src" / "config" / "cfg-settings.c").read_text()
    table = src.split("settings_keys[] = {", 1)[1].split("};", 1)[0]
    return re.findall(r'\{"([a-z]+)", "([a-z_]+)",', table)


class DocsTest(unittest.TestCase):
    def test_every_command_is_in_the_manual_and_the_readme(self):
        man = (TOP / "man" / "natter.1").read_text()
        readme = (TOP / "README.md").read_text()
        for name in usage_commands():
            with self.subTest(command=name):
                self.assertRegex(man, r"\.It (Xo )?Ic %s\b" % name)
                self.assertRegex(readme, r"natter %s\b" % name)

    def test_every_config_key_is_in_natter_conf(self):
        conf = (TOP / "man" / "natter.conf.5").read_text()
        keys = config_keys()
        self.assertGreater(len(keys), 20)
        sections = {s: conf.split(f".Ss [{s}]", 1) for s, _ in keys}
        for section, key in keys:
            with self.subTest(key=f"[{section}] {key}"):
                parts = sections[section]
                self.assertEqual(len(parts), 2, f"no [{section}] section")
                body = parts[1].split(".Ss [", 1)[0]
                self.assertRegex(body, r"\.It Ic %s\b" % key)

    def demo_end(self, mandir):
        home = Path(self.tmp.name) / "home"
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": f"{home}/.config",
               "XDG_DATA_HOME": f"{home}/.local/share", "XDG_STATE_HOME": f"{home}/.local/state",
               "NATTER_DEMO_MANDIR": str(mandir)}
        r = subprocess.run([TOP / "scripts" / "demo-end", NATTER, "http://127.0.0.1:8448",
                            "/var/tmp/natter-demo/server"], capture_output=True, text=True,
                           env=env, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout, env

    def test_the_demo_ends_saying_how_to_open_the_interface(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        mandir = Path(self.tmp.name) / "man"
        out, env = self.demo_end(mandir)
        lines = [line.strip() for line in out.splitlines()]
        # natter alone, on the demo's account: the interface.
        at = lines.index(NATTER)
        self.assertTrue(lines[at - 1].startswith(f"HOME={env['HOME']} "), lines[at - 1])
        self.assertIn("terminal interface", out)
        self.assertIn("Ctrl-Q quits", out)
        self.assertIn(f"`{NATTER} --help`", out)
        self.assertIn("The manual: man natter", out)
        if shutil.which("man"):
            r = subprocess.run(["man", "-w", "natter"], capture_output=True, text=True,
                               env={**os.environ, "MANPATH": str(mandir)}, timeout=30)
            self.assertEqual(r.stdout.strip(), str(mandir / "man1" / "natter.1"), r.stderr)
        # Where the pages cannot go, it says how to read them from the tree.
        out, _ = self.demo_end(Path("/proc/no-such-dir"))
        self.assertIn(f"The manual: man -l {TOP}/man/natter.1", out)


if __name__ == "__main__":
    unittest.main()
