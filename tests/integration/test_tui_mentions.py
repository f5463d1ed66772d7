"""Mentions, shortcodes and accents in the terminal UI, in tmux against the
testbed: what a person types and sees, and what the other user receives."""

import re
import unittest

from natter_harness import wait_until
from test_tui import TuiTestCase


def body_has(text):
    return lambda e: text in e.get("content", {}).get("body", "")


class TuiMentionsTest(TuiTestCase):
    def test_a_completed_name_is_sent_as_a_mention(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        t = self.start()
        t.text("Dan")
        t.keys("Tab")
        t.wait_for("> Dana Whitfield:")
        t.text("the car is here")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, body_has("the car is here"))
        content = ev["content"]
        bob = self.bob.user_id
        self.assertEqual(content["body"], "Dana Whitfield: the car is here")
        self.assertEqual(content["m.mentions"], {"user_ids": [bob]})
        self.assertEqual(content["formatted_body"],
                         f'<p><a href="https://matrix.to/#/{bob}">Dana Whitfield</a>: '
                         "the car is here</p>")

    def test_a_name_edited_after_completion_is_no_mention(self):
        self.bob.set_displayname("Dana Whitfield")
        room = self.shared_room("Board Room")
        t = self.start()
        t.text("ask Dan")
        t.keys("Tab")
        t.wait_for("> ask Dana Whitfield")
        t.keys("BSpace", "BSpace")
        t.text("y about it")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, body_has("about it"))
        self.assertEqual(ev["content"]["body"], "ask Dana Whitfiely about it")
        self.assertEqual(ev["content"]["m.mentions"], {})

    def test_name_completion_ignores_accents(self):
        self.bob.set_displayname("Søren Madsen")
        room = self.shared_room("Board Room")
        t = self.start()
        t.text("thanks sor")
        t.keys("Tab")
        t.wait_for("> thanks Søren Madsen")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, body_has("thanks"))
        self.assertEqual(ev["content"]["m.mentions"], {"user_ids": [self.bob.user_id]})

    def test_the_switcher_takes_letters_beyond_ascii_and_ignores_accents(self):
        self.shared_room("Board Room")
        self.shared_room("Søndergade Office")
        self.shared_room("Quarterly Review")
        t = self.start()
        t.wait_for("Quarterly Review")
        t.keys("C-k")
        t.wait_for("Switch to:")
        t.text("søn")
        t.wait_for("Switch to: søn")
        t.keys("Enter")
        wait_until(lambda: self.title(t) == "Søndergade Office", what="Søndergade Office")
        # Without the letter, and with one letter taken back.
        t.keys("C-k")
        t.text("Bo")
        t.wait_for("Switch to: Bo")
        t.keys("Escape")
        wait_until(lambda: "Switch to:" not in t.screen(), what="the closed switcher")
        t.keys("C-k")
        t.text("sonderx")
        t.wait_for("Switch to: sonderx")
        t.keys("BSpace")
        t.wait_screen(lambda s: "Switch to: sonder\n" in s or s.rstrip().endswith("Switch to: sonder"), "the query without x")
        t.keys("Enter")
        wait_until(lambda: self.title(t) == "Søndergade Office", what="Søndergade Office")
        t.keys("C-k")
        t.text("øx")
        t.keys("BSpace", "BSpace")
        t.text("quart")
        t.keys("Enter")
        wait_until(lambda: self.title(t) == "Quarterly Review", what="Quarterly Review")

    def test_shortcodes_complete_and_become_emoji(self):
        room = self.shared_room("Board Room")
        t = self.start()
        t.text("great work :thu")
        t.keys("Tab")
        t.wait_for("> great work :thumbsup:")
        # Tab again goes to the next candidate.
        t.keys("Tab")
        t.wait_for("> great work :thumbsdown:")
        t.text("and `:x:` :tada:")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, body_has("great work"))
        self.assertEqual(ev["content"]["body"], "great work 👎 and `:x:` 🎉")
        # Drawn formatted: the code span without its backticks.
        t.wait_for("great work 👎 and :x: 🎉")

    def test_react_by_shortcode(self):
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "the board pack is out")
        t = self.start()
        t.wait_for("the board pack is out")
        t.text("/react :+1:")
        t.keys("Enter")
        ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.reaction")
        self.assertEqual(ev["content"]["m.relates_to"]["key"], "👍")
        t.wait_for("👍 1")

    def test_mentions_are_drawn_from_m_mentions(self):
        self.alice.set_displayname("Alice Archer")
        room = self.shared_room("Board Room")
        self.bob.send_text(room, "plain: nothing for you")
        # An old client's message: the name in the body is the mention.
        self.bob.send_text(room, "legacy: alice archer, the deck?")
        # m.mentions naming someone else: the name in the body is not one.
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "others: alice archer wrote it, ask Marcus",
            "m.mentions": {"user_ids": ["@marcus:localhost"]}})
        # m.mentions naming us, whatever the body says.
        self.bob.send_event(room, "m.room.message", {
            "msgtype": "m.text", "body": "intentional: see above",
            "m.mentions": {"user_ids": [self.alice.user_id]}})
        t = self.start()
        t.wait_for("intentional: see above")
        lines = t.tmux("capture-pane", "-p", "-e", "-J", "-t", "t").splitlines()

        def attrs_before(tag, word):
            """The SGR sequences in effect where word starts on tag's line."""
            line = next(l for l in lines if tag in l)
            head = line[:line.index(word)]
            if "\x1b[" not in head:
                return ""
            sgr = head[head.rindex("\x1b["):]
            return sgr[:sgr.index("m") + 1]

        def time_attrs(tag):
            line = next(l for l in lines if tag in l)
            return attrs_before(tag, re.search(r"\d\d:\d\d", line).group(0))

        plain = attrs_before("others:", "others:")
        self.assertNotEqual(attrs_before("legacy:", "alice archer"), plain)
        self.assertEqual(attrs_before("others:", "alice archer"), plain)
        # The time of a message that mentions us is marked.
        self.assertEqual(time_attrs("others:"), time_attrs("plain:"))
        self.assertNotEqual(time_attrs("intentional:"), time_attrs("plain:"))
        self.assertNotEqual(time_attrs("legacy:"), time_attrs("plain:"))


if __name__ == "__main__":
    unittest.main()
