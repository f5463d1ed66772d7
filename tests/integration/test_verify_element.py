"""Interactive verification between natter and Element's crypto (the
matrix-js-sdk peer): natter asks and Element answers, Element asks and
natter answers; both show the same emoji and numbers, and each ends with
the other verified. A mismatch said on Element's side cancels natter.
With cross-signing on both sides, each signs the other's identity."""

import time
import unittest

from cli_support import ElementTestCase, natter_for
from element_peer import ElementPeer
from test_verify import Verifier


class VerifyElementTest(ElementTestCase):
    def setUp(self):
        super().setUp()
        self.natter.ok("sync", "--once")
        self.dana = ElementPeer(self.hs, self.bob)
        self.addCleanup(self.dana.close)
        self.dana.start()
        # Element talks verification only with devices it tracks: a shared
        # encrypted room makes natter's one of them.
        room = self.dana.create_dm(self.alice.user_id)
        self.natter.ok("sync", "--once")
        self.natter.ok("join", room)
        self.dana.wait_member(room, self.alice.user_id)
        self.room = room
        own = [d for d in self.natter.json_lines("devices") if d["this_device"]]
        self.device = own[0]["device_id"]

    def assert_same_strings(self, verifier, sas):
        names, numbers = verifier.strings()
        self.assertEqual(names, ", ".join(name for _, name in sas["emoji"]))
        self.assertEqual(numbers, " ".join(str(n) for n in sas["decimal"]))

    def natter_trust_of_dana(self):
        return [d["trust"] for d in self.natter.json_lines("devices", self.bob.user_id)
                if d["device_id"] == self.dana.device_id]

    def element_view_of_natter(self):
        for d in self.dana.devices(self.alice.user_id):
            if d["device_id"] == self.device:
                return d
        self.fail("Element does not know natter's device")

    def test_natter_asks_and_element_answers(self):
        v = Verifier(self.natter, self.bob.user_id, self.dana.device_id)
        self.addCleanup(v.kill)
        req = self.dana.verify_wait_request(user_id=self.alice.user_id)
        txn = req["transaction_id"]
        self.assertEqual(req["from_device"], self.device)
        sas = self.dana.verify_sas(txn)
        self.dana.verify_confirm(txn)
        self.assertEqual(self.dana.verify_wait_done(txn)["phase"], "done")
        v.finish(0)
        self.assert_same_strings(v, sas)
        self.assertIn("verified %s of %s" % (self.dana.device_id, self.bob.user_id), v.out)
        self.assertEqual(self.natter_trust_of_dana(), ["verified"])
        seen = self.element_view_of_natter()
        self.assertTrue(seen["locally_verified"] or seen["verification"] == "verified", seen)

    def element_asks(self, request):
        """Element asks natter (`verify --wait`) with request(), a function
        that sends the request and gives its transaction id, and starts the
        SAS; both say the strings match and natter ends with Dana verified."""
        v = Verifier(self.natter, "--wait", self.bob.user_id)
        self.addCleanup(v.kill)
        time.sleep(1)
        txn = request()
        self.dana.verify_start_sas(txn)
        sas = self.dana.verify_sas(txn)
        self.dana.verify_confirm(txn)
        self.assertEqual(self.dana.verify_wait_done(txn)["phase"], "done")
        err = v.finish(0)
        self.assertIn("asks to verify: accepted", err)
        self.assert_same_strings(v, sas)
        self.assertEqual(self.natter_trust_of_dana(), ["verified"])
        return txn

    def test_element_asks_and_natter_answers(self):
        self.element_asks(lambda: self.dana.verify_request(self.alice.user_id, self.device))

    def test_element_verifies_natters_user_from_the_direct_chat(self):
        # Element's "Verify" on a profile asks in the direct chat, not to a
        # device, and only a user with cross-signing can be verified so.
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        txn = self.element_asks(
            lambda: self.dana.verify_request_dm(self.alice.user_id, self.room))
        # In a room, the verification is named by its request's event id.
        self.assertTrue(txn.startswith("$"), txn)
        # natter's side of it went in the room, encrypted like the chat.
        mine = [ev["type"] for ev in self.bob.messages(self.room)["chunk"]
                if ev["sender"] == self.alice.user_id]
        self.assertGreaterEqual(mine.count("m.room.encrypted"), 4, mine)
        self.assertFalse([t for t in mine if t.startswith("m.key.verification.")], mine)

    def test_a_mismatch_said_in_element_cancels_natter(self):
        v = Verifier(self.natter, self.bob.user_id, self.dana.device_id)
        self.addCleanup(v.kill)
        txn = self.dana.verify_wait_request(user_id=self.alice.user_id)["transaction_id"]
        self.dana.verify_sas(txn)
        self.dana.verify_mismatch(txn)
        done = self.dana.verify_wait_done(txn)
        self.assertEqual(done["phase"], "cancelled")
        err = v.finish(1)
        self.assertIn("(m.mismatched_sas)", err)
        self.assertNotIn("verified", v.out)
        self.assertEqual(self.natter_trust_of_dana(), ["unverified"])

    def test_with_cross_signing_each_signs_the_others_identity(self):
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        self.dana.cross_sign()
        v = Verifier(self.natter, self.bob.user_id, self.dana.device_id)
        self.addCleanup(v.kill)
        txn = self.dana.verify_wait_request(user_id=self.alice.user_id)["transaction_id"]
        self.dana.verify_sas(txn)
        self.dana.verify_confirm(txn)
        self.assertEqual(self.dana.verify_wait_done(txn)["phase"], "done")
        v.finish(0)
        # natter's user-signing key signed Bob's master key, on the server.
        keys = self.alice.api("POST", "/_matrix/client/v3/keys/query",
                              {"device_keys": {self.bob.user_id: [], self.alice.user_id: []}})
        usk = list(keys["user_signing_keys"][self.alice.user_id]["keys"].values())[0]
        for _ in range(50):
            sigs = keys["master_keys"][self.bob.user_id].get("signatures", {})
            if "ed25519:" + usk in sigs.get(self.alice.user_id, {}):
                break
            time.sleep(0.2)
            keys = self.alice.api("POST", "/_matrix/client/v3/keys/query",
                                  {"device_keys": {self.bob.user_id: []}})
        self.assertIn("ed25519:" + usk, sigs.get(self.alice.user_id, {}), sigs)
        # And Element verified Alice's identity from natter's MAC of it.
        for _ in range(50):
            status = self.dana.user_status(self.alice.user_id)
            if status.get("verified"):
                break
            time.sleep(0.2)
        self.assertTrue(status.get("verified"), status)

    def test_a_new_element_login_verified_by_natter_gets_the_accounts_keys(self):
        self.natter.ok("crypto", "setup", "--password-stdin", input=self.alice.password + "\n")
        phone = ElementPeer(self.hs, self.alice, device_name="Alice's new phone")
        self.addCleanup(phone.close)
        phone.start()
        self.assertFalse(phone.own_device_status()["cross_signing"]["self_signing_cached"])
        v = Verifier(self.natter, "--wait", self.alice.user_id)
        self.addCleanup(v.kill)
        time.sleep(1)
        txn = phone.verify_request(self.alice.user_id, self.device)
        phone.verify_start_sas(txn)
        phone.verify_sas(txn)
        phone.verify_confirm(txn)
        self.assertEqual(phone.verify_wait_done(txn)["phase"], "done")
        v.finish(0)
        # The phone asks natter for the account's secrets; natter, which
        # verified it, answers over Olm as it syncs.
        status = None
        for _ in range(30):
            self.natter.ok("sync", "--once")
            status = phone.own_device_status()
            cached = status["cross_signing"]
            if cached["master_cached"] and cached["self_signing_cached"] and \
                    cached["user_signing_cached"] and status["backup_key_cached"]:
                break
            time.sleep(0.3)
        self.assertTrue(status["cross_signing"]["self_signing_cached"], status)
        self.assertTrue(status["cross_signing"]["user_signing_cached"], status)
        self.assertTrue(status["backup_key_cached"], status)
        self.assertTrue(status["cross_signing_ready"], status)

    def test_natter_verified_by_elements_device_gets_the_accounts_keys(self):
        element = ElementPeer(self.hs, self.alice, device_name="Alice's Element")
        self.addCleanup(element.close)
        element.start()
        keys = element.bootstrap_recovery()
        room = element.create_room(name="Board office", encrypted=True)
        sent = element.send(room, "Budget line 7 moves to Q3.")
        element.backup_wait()
        # A natter logged in after the message: its key never came here.
        fresh = natter_for(self.alice, self.hs)
        self.addCleanup(fresh.cleanup)
        fresh.ok("sync", "--once")
        old = [m for m in fresh.history(room) if m.get("event_id") == sent]
        self.assertNotIn("body", old[0])
        v = Verifier(fresh, self.alice.user_id, element.device_id)
        self.addCleanup(v.kill)
        txn = element.verify_wait_request(user_id=self.alice.user_id)["transaction_id"]
        element.verify_sas(txn)
        element.verify_confirm(txn)
        self.assertEqual(element.verify_wait_done(txn)["phase"], "done")
        err = v.finish(0, timeout=120)
        self.assertIn("asked it for the account's keys", err)
        self.assertIn("the account's keys came from the device you verified\n", v.out)
        self.assertIn("this device is signed by its owner", v.out, err)
        self.assertRegex(v.out, r"key backup version %s: [1-9]\d* of [1-9]\d* room keys? "
                         r"restored" % keys["backup_version"])
        found = [m for m in fresh.history(room) if m.get("event_id") == sent]
        self.assertEqual(found[0].get("body"), "Budget line 7 moves to Q3.")


if __name__ == "__main__":
    unittest.main()
