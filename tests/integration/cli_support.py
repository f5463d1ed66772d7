"""Shared pieces of the CLI integration tests: a natter logged in as a user."""

import json
import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from natter_harness import Homeserver, NatterRun, check_exit, require  # noqa: E402


class Natter(NatterRun):
    """A NatterRun that checks results and knows its user."""

    def __init__(self, user, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def ok(self, *args, input=None, timeout=120):
        """Run natter and require exit status 0; return stdout."""
        r = self.run(*args, input=input, timeout=timeout)
        check_exit(self.describe(args), r.returncode, r.stderr, stdout=r.stdout)
        return r.stdout

    def json_lines(self, *args):
        """Run natter with --json and parse one object a line."""
        return [json.loads(line) for line in self.ok(*args, "--json").splitlines() if line]

    def history(self, room, limit=50):
        return self.json_lines("history", room, "--limit", limit)

    def bodies(self, room, limit=50):
        return [m["body"] for m in self.history(room, limit) if m["type"] == "m.room.message"]

    def profile_dir(self, profile="default"):
        return self.data_home / "natter" / profile


def natter_for(user, hs=None):
    """A natter (private HOME) logged in as user through --password-stdin."""
    hs = hs or Homeserver.get()
    n = Natter(user)
    n.ok("login", "--homeserver", hs.url, "--user", user.user_id, "--password-stdin",
         input=user.password + "\n")
    return n


def file_mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class NatterTestCase(unittest.TestCase):
    """Gives each test a homeserver, two fresh users and natter logged in as the first."""

    def setUp(self):
        self.hs = Homeserver.get()
        self.alice = self.hs.register("alice")
        self.bob = self.hs.register("bob")
        self.natter = natter_for(self.alice, self.hs)
        self.addCleanup(self.natter.cleanup)

    def shared_room(self, name="Planning", **kwargs):
        """A room made by bob with alice joined, synced into alice's cache."""
        room = self.bob.create_room(name=name, invite=[self.alice.user_id], **kwargs)
        self.alice.join(room)
        self.alice.mark_read(room)
        self.natter.ok("sync", "--once")
        return room


class ElementTestCase(NatterTestCase):
    """NatterTestCase with the Element-grade peer (element_peer.py) installed
    once for the class; a machine where it cannot be is a declared skip."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from element_peer import install
        cls.peer_ok, cls.peer_why = install()

    def setUp(self):
        require("peer", self.peer_ok, self.peer_why)
        super().setUp()


class ElementChatTestCase(ElementTestCase):
    """ElementTestCase with natter's keys published and Dana's Element
    (bob's device) running, for encrypted chats between them."""

    def setUp(self):
        super().setUp()
        from element_peer import ElementPeer
        # natter's device and its keys are on the server before anyone writes.
        self.natter.ok("sync", "--once")
        self.dana = ElementPeer(self.hs, self.bob)
        self.addCleanup(self.dana.close)
        self.dana.start()

    def encrypted_dm(self):
        """A direct chat Dana's Element starts with natter's user, joined."""
        room = self.dana.create_dm(self.alice.user_id)
        self.natter.ok("sync", "--once")
        self.natter.ok("join", room)
        self.dana.wait_member(room, self.alice.user_id)
        return room
