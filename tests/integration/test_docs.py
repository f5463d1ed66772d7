"""The documentation says what the binary does: every command natter lists
in its usage is in natter(1) and the README, and every configuration key
it accepts is in natter.conf(5). (No homeserver is needed.)"""

import os
import re
import subprocess
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


if __name__ == "__main__":
    unittest.main()
