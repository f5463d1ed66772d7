"""The config file and themes in the terminal interface, in tmux against
the testbed: what is wrong with them stays on screen until dismissed, the
themes are found from the build tree, and a theme's colours cover the
screen."""

import unittest

from test_tui import TuiTestCase


class TuiThemesTest(TuiTestCase):
    def write_config(self, text):
        config = self.natter.config_home / "natter" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text)

    def test_config_and_theme_errors_stay_until_dismissed(self):
        room = self.shared_room("Board Room")
        self.write_config("[ui]\nthem = light\ntheme = nosuch\n")
        t = self.start()  # waits for "online", a note that used to replace the warning
        self.bob.send_text(room, "the agenda is out")
        screen = t.wait_for("the agenda is out")
        # Wrapped on the rows above the status line.
        self.assertIn('unknown key "them" in [ui] (ignored) (1 of 2; Esc dismisses)',
                      " ".join(screen.split()))
        # Above the status line, not in it: notes come and go beside it.
        self.assertIn("online", self.status_of(screen))
        t.keys("Escape")
        screen = t.wait_for('theme "nosuch" not found')
        self.assertNotIn("them = ", screen)
        self.assertIn("(Esc dismisses)", " ".join(screen.split()))
        self.assertNotIn('unknown key "them"', screen)
        t.keys("Escape")
        t.wait_screen(lambda s: "nosuch" not in s and "Esc dismisses" not in s,
                      "the screen without warnings")
        t.close()
        # And on the terminal after natter quits.
        self.assertIn('unknown key "them" in [ui] (ignored)', t.stderr())
        self.assertIn('natter: theme: theme "nosuch" not found', t.stderr())

    def test_the_themes_are_found_from_the_build_tree(self):
        self.shared_room("Board Room")
        self.write_config("[ui]\ntheme = solarized-dark\n")
        t = self.start()
        # Solarized's status line: base1 on base02, 256-colour 247 on 235.
        status = t.tmux("capture-pane", "-e", "-p", "-t", t.PANE).rstrip("\n").split("\n")[-2]
        self.assertIn("\x1b[48;5;235m", status)
        t.close()
        self.assertNotIn("theme", t.stderr())


if __name__ == "__main__":
    unittest.main()
