"""Recovery, as Element does it: a fresh natter opens the account's secret
storage with the recovery key (or passphrase) set up in Element, becomes a
device its owner signed, restores the key backup and reads, finds and
fetches the history from before it existed; natter's own keys go to the
backup for the next device; and `natter crypto setup` gives an account
without recovery one that Element opens."""

import re
import unittest

from cli_support import ElementTestCase, natter_for
from element_peer import ElementPeer


class RecoveryTest(ElementTestCase):
    def element(self, user=None, name="Alice's Element"):
        """An Element device of user (natter's user by default), started."""
        peer = ElementPeer(self.hs, user or self.alice, device_name=name)
        self.addCleanup(peer.close)
        peer.start()
        return peer

    def encrypted_history(self, element, n):
        """An encrypted room with n messages element sent; their ids, oldest first."""
        room = element.create_room(name="Board office", encrypted=True)
        return room, [element.send(room, f"minute {i}: the budget line {i}") for i in range(n)]

    def history(self, natter, room):
        return {m["event_id"]: m for m in natter.history(room, limit=500) if "event_id" in m}

    def test_a_fresh_natter_reads_the_old_history_with_the_recovery_key(self):
        element = self.element()
        keys = element.bootstrap_recovery()
        # More than a first sync brings a room: the oldest come by backfill.
        room, sent = self.encrypted_history(element, 60)
        element.backup_wait()
        self.natter.ok("sync", "--once")
        seen = self.history(self.natter, room)
        for event_id in (sent[0], sent[-1]):
            waiting = seen[event_id]
            self.assertNotIn("body", waiting)
            self.assertTrue(waiting.get("encryption", "").startswith("waiting for the key"),
                            waiting)
        self.assertEqual(self.natter.json_lines("search", "budget"), [])

        r = self.natter.run("recover", "--key-stdin", input=keys["recovery_key"] + "\n",
                            timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertRegex(r.stderr, r"restoring room keys: [1-9]\d* of [1-9]\d*\n")
        self.assertRegex(r.stderr, r"backfill: .*complete")
        self.assertIn("secret storage opened with the recovery key\n", out)
        self.assertIn("this device is signed by its owner", out)
        self.assertRegex(out, r"key backup version %s: [1-9]\d* of [1-9]\d* room keys? "
                         r"restored" % re.escape(keys["backup_version"]))
        seen = self.history(self.natter, room)
        for i, event_id in enumerate(sent):
            self.assertEqual(seen[event_id].get("body"), f"minute {i}: the budget line {i}")
        hits = self.natter.json_lines("search", "budget", "--limit", "100")
        self.assertEqual(sorted(h["event_id"] for h in hits), sorted(sent))
        # Element takes natter's device as its owner's now.
        mine = [d for d in element.devices(self.alice.user_id)
                if d["device_id"] == self.own_device()["device_id"]]
        self.assertEqual(len(mine), 1)
        self.assertTrue(mine[0]["signed_by_owner"], mine)

    def test_a_passphrase_opens_it_and_a_wrong_key_says_why(self):
        element = self.element()
        keys = element.bootstrap_recovery(passphrase="correct horse ✓ battery")
        room, sent = self.encrypted_history(element, 1)
        element.backup_wait()
        self.natter.ok("sync", "--once")
        rk = keys["recovery_key"]
        typo = rk[:-1] + ("a" if rk[-1] != "a" else "b")
        r = self.natter.run("recover", "--key-stdin", input=typo + "\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stdout, "")
        self.assertIn("natter: cannot recover the account's keys: ", r.stderr)
        r = self.natter.run("recover", "--key-stdin", input="correct horse battery\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not the passphrase of this account's secret storage", r.stderr)
        self.assertNotIn("body", self.history(self.natter, room)[sent[0]])
        out = self.natter.ok("recover", "--key-stdin", input="correct horse ✓ battery\n")
        self.assertIn("secret storage opened with the passphrase\n", out)
        self.assertEqual(self.history(self.natter, room)[sent[0]].get("body"),
                         "minute 0: the budget line 0")

    def recovered(self):
        """Element's recovery set up with a message in an encrypted room, and
        natter recovered with its key; the Element device, its keys, the room."""
        element = self.element()
        keys = element.bootstrap_recovery()
        room, _ = self.encrypted_history(element, 1)
        element.backup_wait()
        self.natter.ok("sync", "--once")
        self.natter.ok("recover", "--key-stdin", "--no-backfill",
                       input=keys["recovery_key"] + "\n")
        return element, keys, room

    def test_natters_keys_go_to_the_backup_for_the_next_device(self):
        _, keys, room = self.recovered()
        mine = self.natter.ok("send", room, "Noted: budget line 7 moves to Q3.").split()[-1]
        self.natter.ok("sync", "--once")     # the new room key goes to the backup
        # A new Element device of the same user restores it and reads natter.
        phone = self.element(name="Alice's phone")
        restored = phone.recover(keys["recovery_key"])
        self.assertGreaterEqual(restored["imported"], 2, restored)
        got = phone.wait_message(room, event_id=mine, body_contains="Q3")
        self.assertEqual(got["body"], "Noted: budget line 7 moves to Q3.")

    def test_a_backup_replaced_elsewhere_gets_no_more_keys(self):
        element, keys, room = self.recovered()
        # Recovery set up again in Element: a new backup, a new key.
        again = element.bootstrap_recovery()
        self.assertNotEqual(again["backup_version"], keys["backup_version"])
        self.natter.ok("send", room, "After the reset.")
        self.natter.ok("-v", "sync", "--once")
        log = (self.natter.home / ".local/state/natter/default.log").read_text()
        self.assertIn("the key backup natter sent to was replaced", log)
        # It is not tried again and again.
        self.natter.ok("send", room, "And once more.")
        self.natter.ok("-v", "sync", "--once")
        log = (self.natter.home / ".local/state/natter/default.log").read_text()
        self.assertEqual(log.count("the key backup natter sent to was replaced"), 1, log[-2000:])

    def test_an_account_without_recovery_is_told_how_to_set_it_up(self):
        r = self.natter.run("recover", "--key-stdin", input="EsTc 1234\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("this account has no secret storage: set up recovery in Element, or "
                      "with `natter", r.stderr)
        self.assertIn("crypto setup`", r.stderr)

    def test_crypto_setup_gives_a_recovery_key_element_opens(self):
        out = self.natter.ok("crypto", "setup", "--password-stdin",
                             input=self.alice.password + "\n")
        found = re.search(r"\n\n    ((?:[1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{4})\n\n",
                          out)
        self.assertIsNotNone(found, out)
        self.assertIn("this device is signed by its owner", out)
        element = self.element()
        room = element.create_room(name="Chief of staff", encrypted=True)
        self.natter.ok("sync", "--once")
        mine = self.natter.ok("send", room, "The offsite is in Leeds.").split()[-1]
        self.natter.ok("sync", "--once")     # natter's room key goes to the new backup
        restored = element.recover(found.group(1))
        self.assertGreaterEqual(restored["imported"], 1, restored)
        self.assertEqual(element.wait_message(room, event_id=mine)["body"],
                         "The offsite is in Leeds.")
        device = [d for d in element.devices(self.alice.user_id)
                  if d["device_id"] == self.own_device()["device_id"]]
        self.assertTrue(device[0]["signed_by_owner"], device)
        self.assertTrue(device[0]["cross_signing_verified"], device)
        # Once is enough: a second setup would lock out the first key.
        r = self.natter.run("crypto", "setup", "--password-stdin",
                            input=self.alice.password + "\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("has cross-signing already", r.stderr)
        self.assertIn("recover`", r.stderr)

    def own_device(self):
        own = [d for d in self.natter.json_lines("devices") if d["this_device"]]
        self.assertEqual(len(own), 1, own)
        return own[0]


if __name__ == "__main__":
    unittest.main()
