"""Interactive verification (SAS, emoji and numbers) on the command line:
two devices show the same strings, the users say so, and each device is
verified on the other; a mismatch cancels both; with cross-signing keys,
what was verified is signed for every other client to see. Against
Element's crypto, see test_verify_element.py."""

import re
import threading
import time
import unittest

from cli_support import NatterTestCase, natter_for
from natter_harness import check_exit


class Verifier:
    """`natter verify ...` running, answering "do they match?" with answer;
    what it printed is kept."""

    def __init__(self, natter, *args, answer="y"):
        self.proc = natter.popen("verify", *args)
        self.args = args
        self.answer = answer
        self.out = ""
        self.asked = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            ch = self.proc.stdout.read(1)
            if not ch:
                return
            self.out += ch
            if self.out.endswith("[y/n] ") and not self.asked.is_set():
                self.asked.set()
                self.proc.stdin.write(self.answer + "\n")
                self.proc.stdin.flush()

    def finish(self, expected=0, timeout=60):
        """Waits for natter to end; its status must be expected; returns stderr."""
        self.proc.wait(timeout)
        self.reader.join(10)
        err = self.proc.stderr.read()
        self.close()
        check_exit("natter verify " + " ".join(self.args), self.proc.returncode, err,
                   expected=expected, stdout=self.out)
        return err

    def strings(self):
        """The emoji names and the numbers it showed."""
        emoji = re.search(r"^emoji: (.*)$", self.out, re.M)
        numbers = re.search(r"^numbers: (\d{4} \d{4} \d{4})$", self.out, re.M)
        return (emoji.group(1) if emoji else None, numbers.group(1) if numbers else None)

    def close(self):
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.close()


class VerifyTest(NatterTestCase):
    def setUp(self):
        super().setUp()
        self.natter.ok("sync", "--once")
        self.laptop = natter_for(self.alice, self.hs)
        self.addCleanup(self.laptop.cleanup)
        self.laptop.ok("sync", "--once")

    def own_device(self, natter):
        own = [d for d in natter.json_lines("devices") if d["this_device"]]
        self.assertEqual(len(own), 1, own)
        return own[0]["device_id"]

    def trust(self, natter, user, device_id):
        return [d["trust"] for d in natter.json_lines("devices", user)
                if d["device_id"] == device_id]

    def verify(self, waiter, asker, user, device_id, answers=("y", "y"), expected=(0, 0)):
        """waiter runs `verify --wait`, asker asks it; both answer as told."""
        w = Verifier(waiter, "--wait", answer=answers[0])
        self.addCleanup(w.kill)
        time.sleep(1)        # the waiter's first sync is under way
        a = Verifier(asker, user, device_id, answer=answers[1])
        self.addCleanup(a.kill)
        errs = (w.finish(expected[0]), a.finish(expected[1]))
        return w, a, errs

    def test_two_devices_show_the_same_strings_and_verify_each_other(self):
        desk = self.own_device(self.natter)
        laptop = self.own_device(self.laptop)
        self.assertEqual(self.trust(self.natter, self.alice.user_id, laptop), ["unverified"])
        w, a, errs = self.verify(self.natter, self.laptop, self.alice.user_id, desk)
        self.assertEqual(w.strings(), a.strings())
        emoji, numbers = w.strings()
        self.assertEqual(len(emoji.split(", ")), 7, emoji)
        self.assertIsNotNone(numbers, w.out)
        self.assertIn("verified %s of %s\n" % (laptop, self.alice.user_id), w.out)
        self.assertIn("verified %s of %s\n" % (desk, self.alice.user_id), a.out)
        self.assertIn("asks to verify: accepted", errs[0])
        self.assertEqual(self.trust(self.natter, self.alice.user_id, laptop), ["verified"])
        self.assertEqual(self.trust(self.laptop, self.alice.user_id, desk), ["verified"])

    def test_strings_that_differ_cancel_both_sides(self):
        desk = self.own_device(self.natter)
        laptop = self.own_device(self.laptop)
        w, a, errs = self.verify(self.natter, self.laptop, self.alice.user_id, desk,
                                 answers=("n", "y"), expected=(1, 1))
        self.assertIn("verification cancelled: ", errs[0])
        self.assertIn("(m.mismatched_sas)", errs[0])
        self.assertIn("(m.mismatched_sas)", errs[1])
        self.assertNotIn("verified", w.out + a.out)
        self.assertEqual(self.trust(self.natter, self.alice.user_id, laptop), ["unverified"])
        self.assertEqual(self.trust(self.laptop, self.alice.user_id, desk), ["unverified"])

    def test_what_a_device_with_cross_signing_verifies_every_client_sees(self):
        # The desk holds the account's cross-signing keys; the laptop does not.
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        desk = self.own_device(self.natter)
        laptop = self.own_device(self.laptop)
        bob = natter_for(self.bob, self.hs)
        self.addCleanup(bob.cleanup)
        self.assertEqual(self.trust(bob, self.alice.user_id, laptop), ["unverified"])
        self.verify(self.laptop, self.natter, self.alice.user_id, laptop)
        # The desk signed the laptop with the self-signing key: Bob, who
        # verified nobody, sees it as its owner's.
        for _ in range(50):
            if self.trust(bob, self.alice.user_id, laptop) == ["signed"]:
                break
            time.sleep(0.2)
        self.assertEqual(self.trust(bob, self.alice.user_id, laptop), ["signed"])
        self.assertEqual(self.trust(bob, self.alice.user_id, desk), ["signed"])

    def test_a_new_device_verified_by_one_with_the_keys_gets_them(self):
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        room = self.alice.create_room(name="Board office")
        self.alice.send_state(room, "m.room.encryption", "", {"algorithm": "m.megolm.v1.aes-sha2"})
        self.natter.ok("sync", "--once")
        sent = self.natter.ok("send", room, "The budget moves to Q3.").split()[-1]
        self.natter.ok("sync", "--once")         # the room key goes to the backup
        desk = self.own_device(self.natter)
        # A device logged in after the message: the room key never came to it.
        phone = natter_for(self.alice, self.hs)
        self.addCleanup(phone.cleanup)
        phone.ok("sync", "--once")
        laptop = self.own_device(phone)
        old = [m for m in phone.history(room) if m.get("event_id") == sent]
        self.assertNotIn("body", old[0])
        # The phone asks the desk; once verified, it asks the desk for the
        # account's keys, which the desk sends as it syncs.
        w = Verifier(self.natter, "--wait")
        self.addCleanup(w.kill)
        time.sleep(1)
        a = Verifier(phone, self.alice.user_id, desk)
        self.addCleanup(a.kill)
        w.finish(0)
        for _ in range(20):
            if a.proc.poll() is not None:
                break
            self.natter.ok("sync", "--once")
            time.sleep(0.5)
        err = a.finish(0)
        self.assertIn("asked it for the account's keys", err)
        self.assertIn("the account's keys came from the device you verified\n", a.out)
        self.assertIn("this device is signed by its owner", a.out)
        # The room key comes from the backup, or (asked for once the devices
        # trust each other) forwarded by the desk before it: either way, here.
        self.assertRegex(a.out, r"key backup version \S+: \d+ of [1-9]\d* room keys? "
                         r"restored")
        found = [m for m in phone.history(room) if m.get("event_id") == sent]
        self.assertEqual(found[0].get("body"), "The budget moves to Q3.")
        bob = natter_for(self.bob, self.hs)
        self.addCleanup(bob.cleanup)
        self.assertEqual(self.trust(bob, self.alice.user_id, laptop), ["signed"])

    def test_verifying_another_user_signs_their_identity(self):
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        bob = natter_for(self.bob, self.hs)
        self.addCleanup(bob.cleanup)
        out = bob.ok("crypto", "setup", "--password-stdin", input=self.bob.password + "\n")
        recovery_key = re.search(r"\n\n    (.*)\n\n", out).group(1)
        bob_device = self.own_device(bob)
        # A second device of Bob's, signed by him: Alice has not seen it.
        phone = natter_for(self.bob, self.hs)
        self.addCleanup(phone.cleanup)
        phone.ok("recover", "--key-stdin", "--no-backfill", input=recovery_key + "\n")
        phone_device = self.own_device(phone)
        self.assertEqual(self.trust(self.natter, self.bob.user_id, phone_device), ["signed"])
        self.verify(bob, self.natter, self.bob.user_id, bob_device)
        # Alice's user-signing key signed Bob's master key, on the server.
        keys = self.alice.api("POST", "/_matrix/client/v3/keys/query",
                              {"device_keys": {self.bob.user_id: [],
                                               self.alice.user_id: []}})
        usk = list(keys["user_signing_keys"][self.alice.user_id]["keys"].values())[0]
        sigs = keys["master_keys"][self.bob.user_id]["signatures"]
        self.assertIn("ed25519:" + usk, sigs.get(self.alice.user_id, {}), sigs)
        self.assertEqual(self.trust(self.natter, self.bob.user_id, bob_device), ["verified"])
        # Having verified Bob, Alice trusts every device Bob signed.
        self.assertEqual(self.trust(self.natter, self.bob.user_id, phone_device), ["verified"])

    def test_a_verification_nobody_answers_can_be_interrupted(self):
        w = Verifier(self.natter, "--wait")
        self.addCleanup(w.kill)
        time.sleep(2)
        w.proc.send_signal(2)
        err = w.finish(expected=1)
        self.assertIn("interrupted", err)

    def test_bad_arguments_are_refused(self):
        r = self.natter.run("verify", "alice")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("is not a user id", r.stderr)
        r = self.natter.run("verify")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("usage: natter verify", r.stderr)


if __name__ == "__main__":
    unittest.main()
