"""The config file and themes in the terminal interface, in tmux against
the testbed: what is wrong with them stays on screen until dismissed, the
themes are found from the build tree, and a theme's colours cover the
screen."""

import re
import unicodedata
import unittest

from test_tui import TuiTestCase

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def backgrounds(captured, cols):
    """The background of every cell of a screen captured with escapes
    (capture-pane -e -N): one list of cols colours a row, each "default",
    a number of the 256-colour palette, or "reverse" where the cell is
    drawn reversed. The colours set on one row go on into the next."""
    state = {"bg": "default", "reverse": False}
    rows = []

    def cells(text, row):
        for ch in text:
            width = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            row += ["reverse" if state["reverse"] else state["bg"]] * width

    def sgr(codes):
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                state.update(bg="default", reverse=False)
            elif c in (7, 27):
                state["reverse"] = c == 7
            elif c == 49:
                state["bg"] = "default"
            elif c in (38, 48) and codes[i + 1:i + 2] == [5]:
                if c == 48:
                    state["bg"] = codes[i + 2]
                i += 2
            elif 40 <= c <= 47 or 100 <= c <= 107:
                state["bg"] = c
            i += 1

    for line in captured.rstrip("\n").split("\n"):
        row, pos = [], 0
        for m in SGR.finditer(line):
            cells(line[pos:m.start()], row)
            sgr([int(c) if c else 0 for c in m.group(1).split(";")])
            pos = m.end()
        cells(line[pos:], row)
        rows.append((row + ["default"] * cols)[:cols])
    return rows


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

    def test_a_theme_s_background_covers_the_whole_screen(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        self.shared_room("Travel")
        self.bob.send_text(room, "short")
        self.write_config("[ui]\ntheme = solarized-dark\n")
        self.natter.ok("sync", "--once")
        # A terminal without back_color_erase: every blank is a cell
        # written, and capture-pane -N shows its colours.
        t = self.terminal(80, 14, term="tmux-256color")
        t.wait_for("online")
        t.wait_for("short")
        grid = backgrounds(t.tmux("capture-pane", "-e", "-N", "-p", "-t", t.PANE), 80)
        screen = t.screen().splitlines()
        base03, base02 = 234, 235  # solarized's background and its highlights
        list_w = screen[1].index("│")
        in_view = next(y for y, row in enumerate(screen) if row.startswith(" Board Room"))
        self.assertEqual(set(grid[in_view][:list_w]), {32})  # list_selected: blue
        # Under the title and above the status line: the list, its gaps,
        # the separator, the pane, between the time and the name and after
        # the text.
        wrong = [(y, x, grid[y][x]) for y in range(1, len(grid) - 2) for x in range(80)
                 if grid[y][x] != base03 and not (y == in_view and x < list_w)]
        self.assertEqual(wrong[:10], [], "\n".join(screen))
        self.assertEqual(set(grid[-1]), {base02}, screen[-1])  # the compose box


if __name__ == "__main__":
    unittest.main()
