"""Mentions, shortcodes and accent-insensitive search from the command line,
as the other user sees them on the server."""

import unittest

from cli_support import NatterTestCase


def body_is(text):
    return lambda e: e.get("content", {}).get("body") == text


class MentionsTest(NatterTestCase):
    def test_a_user_id_in_the_text_is_a_mention(self):
        room = self.shared_room("Board Room")
        bob = self.bob.user_id
        text = f"{bob} can you check the deck?"
        self.natter.ok("send", "Board Room", text)
        ev = self.bob.wait_for_event(room, body_is(text))
        content = ev["content"]
        self.assertEqual(content["m.mentions"], {"user_ids": [bob]})
        self.assertEqual(content["format"], "org.matrix.custom.html")
        self.assertIn(f'<a href="https://matrix.to/#/{bob}">{bob}</a>', content["formatted_body"])

    def test_a_message_without_mentions_says_so(self):
        room = self.shared_room("Board Room")
        self.natter.ok("send", "Board Room", "nobody in particular")
        ev = self.bob.wait_for_event(room, body_is("nobody in particular"))
        # An empty m.mentions: clients must not search the body for names.
        self.assertEqual(ev["content"]["m.mentions"], {})
        self.assertNotIn("formatted_body", ev["content"])

    def test_an_id_in_code_is_no_mention(self):
        room = self.shared_room("Board Room")
        text = f"the bot is `{self.bob.user_id}`"
        self.natter.ok("send", "Board Room", text)
        ev = self.bob.wait_for_event(room, body_is(text))
        self.assertEqual(ev["content"]["m.mentions"], {})

    def test_a_reply_mentions_whom_it_answers(self):
        room = self.shared_room("Board Room")
        question = self.bob.send_text(room, "Is the car booked?")
        self.natter.ok("sync", "--once")
        self.natter.ok("send", "Board Room", "--reply", question, "yes, for 8:15")
        ev = self.bob.wait_for_event(room, body_is("yes, for 8:15"))
        self.assertEqual(ev["content"]["m.mentions"], {"user_ids": [self.bob.user_id]})
        self.assertEqual(ev["content"]["m.relates_to"]["m.in_reply_to"]["event_id"], question)

    def test_shortcodes_become_emoji_outside_code(self):
        room = self.shared_room("Board Room")
        self.natter.ok("send", "Board Room", "done :white_check_mark: type `:x:` to cancel :+1:")
        ev = self.bob.wait_for_event(room, lambda e: "done" in e.get("content", {}).get("body", ""))
        self.assertEqual(ev["content"]["body"], "done ✅ type `:x:` to cancel 👍")
        self.assertIn("<code>:x:</code>", ev["content"]["formatted_body"])
        # The cache and history show what was sent.
        self.natter.ok("sync", "--once")
        self.assertIn("done ✅ type `:x:` to cancel 👍", self.natter.bodies("Board Room"))

    def test_react_by_shortcode(self):
        room = self.shared_room("Board Room")
        event = self.bob.send_text(room, "The board pack is out")
        self.natter.ok("sync", "--once")
        self.natter.ok("react", "Board Room", event, ":+1:")
        self.natter.ok("react", "Board Room", event, ":tada:")
        keys = []
        for _ in range(2):
            ev = self.bob.wait_for_event(room, lambda e: e["type"] == "m.reaction")
            keys.append(ev["content"]["m.relates_to"]["key"])
        self.assertEqual(keys, ["👍", "🎉"])


class AccentSearchTest(NatterTestCase):
    def test_search_soren_finds_soren(self):
        self.bob.set_displayname("Robert Hale")
        room = self.shared_room("Copenhagen Office")
        self.bob.send_text(room, "Søren lands at nine; the ferry to Ærøskøbing leaves at noon")
        self.bob.send_text(room, "dinner on the Straße by the station")
        self.bob.send_text(room, "nothing to see")
        soren = self.hs.register("madsen", displayname="Søren Madsen")
        self.bob.invite(room, soren.user_id)
        soren.join(room)
        soren.send_text(room, "thanks, see you there")
        self.natter.ok("sync", "--once")
        hits = self.natter.json_lines("search", "soren lands")
        self.assertEqual([h["body"] for h in hits],
                         ["Søren lands at nine; the ferry to Ærøskøbing leaves at noon"])
        start, end = hits[0]["highlights"][0]
        self.assertEqual(hits[0]["snippet"][start:end], "Søren")
        self.assertIn("Søren lands", self.natter.ok("search", "soren", "lands"))
        for query in ("aeroskobing", "ÆRØSKØBING", "søren lands"):
            self.assertEqual(len(self.natter.json_lines("search", query)), 1, query)
        self.assertEqual([h["body"] for h in self.natter.json_lines("search", "STRASSE")],
                         ["dinner on the Straße by the station"])
        # A name typed without its letters finds what its owner wrote.
        self.assertEqual([h["body"] for h in self.natter.json_lines("search", "from:soren")],
                         ["thanks, see you there"])

if __name__ == "__main__":
    unittest.main()
