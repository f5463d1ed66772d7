#!/usr/bin/env python3
"""An Element-grade Matrix peer for natter's end-to-end encryption tests.

ElementPeer wraps one long-running tests/peer/peer.mjs process: matrix-js-sdk
with its Rust crypto, logged in as one user on one new device whose crypto
store lives only in that process. Standard library only. Typical use:

    ok, why = element_peer.install()      # once: npm ci, Node.js if missing
    require("peer", ok, why)
    bob = ElementPeer(hs, hs.register("bob"))
    bob.start()                           # logs in; its keys are on the server
    room = alice_peer.create_dm(bob.user_id)
    bob.join(room)
    event = bob.wait_message(room, body_contains="hello")
    ...
    bob.close()                           # fails on a bad exit, like check_exit

Keys go only to devices the sender knows of when it sends: start a peer
before anyone sends to it, and wait (wait_member) until the sender has seen a
new member join before sending what that member must read. Where history
visibility is "shared", invited members get keys too.

    python3 element_peer.py install       # the same install, for scripts
"""

import atexit
import fcntl
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from natter_harness import REPO_ROOT, at_hang, check_exit  # noqa: E402

PEER_DIR = REPO_ROOT / "tests" / "peer"
PEER_SCRIPT = PEER_DIR / "peer.mjs"
NODE_MODULES = PEER_DIR / "node_modules"
STAMP = NODE_MODULES / ".natter-installed"
NODE_MAJOR_NEEDED = 20
INSTALL_TIMEOUT_S = 240  # each of apt-get and npm ci; within a test's 300 s watchdog

# The peer's own deadline for a command with no timeout of its own is 60 s,
# and it gives up on any command 10 s after that command's deadline; this
# side waits a little longer still, so the peer's answer is what explains.
PEER_DEFAULT_TIMEOUT_MS = 60_000
ANSWER_GRACE_S = 20

_install_result = None


def _node_major():
    """The major version of the node on PATH, or None."""
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.match(r"v(\d+)\.", out.strip())
    return int(m.group(1)) if m else None


def _apt_install_node():
    """Installs Debian's nodejs and npm (root only); returns why not, or None."""
    if os.geteuid() != 0:
        return "Node.js and npm are missing: install them as root (apt-get install nodejs npm)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nodejs", "npm"]):
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=env, timeout=INSTALL_TIMEOUT_S)
        if r.returncode != 0:
            return f"{' '.join(argv)} failed: {r.stderr.strip()[-500:]}"
    return None


def _wanted_stamp(major):
    """What an install of these exact files under this Node.js writes in STAMP."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json", ".npmrc"):
        digest.update(name.encode() + b"\0" + (PEER_DIR / name).read_bytes() + b"\0")
    return f"node {major}\n{digest.hexdigest()}\n"


def _install():
    if not (shutil.which("npm") and _node_major() is not None):
        why = _apt_install_node()
        if why:
            return False, why
    major = _node_major()
    if major is None or not shutil.which("npm"):
        return False, "Node.js or npm is still missing after installing Debian's nodejs and npm"
    if major < NODE_MAJOR_NEEDED:
        return False, (f"the peer's matrix-js-sdk needs Node.js {NODE_MAJOR_NEEDED} or later; "
                       f"node on PATH is {major}")
    wanted = _wanted_stamp(major)
    lock_path = Path(tempfile.gettempdir()) / (
        "natter-peer-install-" + hashlib.sha256(str(PEER_DIR).encode()).hexdigest()[:16] + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.exists() and STAMP.read_text() == wanted:
            return True, "installed"
        argv = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        try:
            r = subprocess.run(argv, cwd=PEER_DIR, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return False, (f"npm ci in {PEER_DIR} took longer than {INSTALL_TIMEOUT_S} s "
                           "(is the npm registry reachable?)")
        if r.returncode != 0:
            said = [line for line in (r.stderr or r.stdout).splitlines()
                    if line.strip() and not line.removeprefix("npm error").strip().startswith("at ")]
            return False, (f"npm ci in {PEER_DIR} failed with status {r.returncode} "
                           "(is the npm registry reachable?):\n" + "\n".join(said[:6]))
        STAMP.write_text(wanted)
    return True, "installed"


def install():
    """Makes tests/peer/node_modules what package-lock.json pins, once per
    process and only when the lockfile or Node.js changed: installs Debian's
    nodejs and npm with apt-get when they are missing (as root), then runs
    `npm ci`. Returns (ok, why), for natter_harness.require("peer", ok, why)."""
    global _install_result
    if _install_result is None:
        _install_result = _install()
    return _install_result


class PeerError(Exception):
    """The peer answered a command with {"ok": false, "error": ...}."""

    def __init__(self, cmd, error):
        self.cmd, self.error = cmd, error
        super().__init__(error)


_running = set()


def _kill_all():
    for proc in list(_running):
        if proc.poll() is None:
            proc.kill()


at_hang(_kill_all)
atexit.register(_kill_all)


class ElementPeer:
    """One user's Element-grade client, in a peer process started on first use.

    After start(): user_id, device_id, curve25519, ed25519 describe its device."""

    def __init__(self, hs, user, device_name="natter test peer"):
        self.hs = hs
        self.user = user
        self.device_name = device_name
        self.user_id = user.user_id
        self.device_id = self.curve25519 = self.ed25519 = None
        self._proc = None
        self._answers = queue.Queue()
        self._stderr = None
        self._closed = False

    def __repr__(self):
        return f"ElementPeer({self.user_id!r}, device={self.device_id!r})"

    def start(self):
        """Starts the process and logs in; returns the login answer. Does
        nothing when already started."""
        if self._proc is not None:
            return None
        if self._closed:
            raise RuntimeError(f"{self!r} was closed")
        ok, why = install()
        if not ok:
            raise AssertionError(f"the Element peer is not installed: {why}")
        self._stderr = tempfile.TemporaryFile(prefix="natter-peer-", suffix=".log")
        self._proc = subprocess.Popen(
            ["node", str(PEER_SCRIPT)], cwd=PEER_DIR, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8")
        _running.add(self._proc)
        threading.Thread(target=self._read_answers, args=(self._proc.stdout,), daemon=True).start()
        answer = self.command("login", hs=self.hs.url, user=self.user.user_id,
                              password=self.user.password, device_name=self.device_name)
        self.user_id = answer["user_id"]
        self.device_id = answer["device_id"]
        self.curve25519 = answer["curve25519"]
        self.ed25519 = answer["ed25519"]
        return answer

    def _read_answers(self, stdout):
        with stdout:
            for line in stdout:
                self._answers.put(line)
        self._answers.put(None)

    def stderr(self):
        """What the peer has written to stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def _died(self, what):
        self._proc.wait(timeout=10)
        return AssertionError(f"{self!r}: {what}; the peer exited with status "
                              f"{self._proc.returncode}\n--- peer stderr ---\n{self.stderr()[-6000:]}")

    def command(self, cmd, **args):
        """Sends one command; returns its answer, or raises PeerError with the
        peer's reason. A peer that does not answer in time is killed."""
        if self._proc is None:
            self.start()
        if self._proc.poll() is not None:
            raise self._died(f"cannot send {cmd}")
        try:
            self._proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise self._died(f"cannot send {cmd}") from None
        timeout_ms = args.get("timeout_ms", PEER_DEFAULT_TIMEOUT_MS)
        try:
            line = self._answers.get(timeout=timeout_ms / 1000 + ANSWER_GRACE_S)
        except queue.Empty:
            self._proc.kill()
            raise self._died(f"no answer to {cmd} within {timeout_ms / 1000 + ANSWER_GRACE_S:g} s") from None
        if line is None:
            raise self._died(f"no answer to {cmd}")
        try:
            answer = json.loads(line)
        except ValueError:
            raise AssertionError(f"{self!r}: not a JSON answer to {cmd}: {line!r}") from None
        if not answer.get("ok"):
            raise PeerError(cmd, answer.get("error", f"no reason given: {line.strip()}"))
        return answer

    def create_dm(self, user_id):
        """An encrypted direct chat with user_id invited (m.direct updated); its room id."""
        return self.command("create_dm", user_id=user_id)["room_id"]

    def create_room(self, name=None, invite=(), encrypted=True, history_visibility=None):
        """A private room, encrypted unless told otherwise; its room id."""
        args = {"invite": list(invite), "encrypted": encrypted}
        if name is not None:
            args["name"] = name
        if history_visibility is not None:
            args["history_visibility"] = history_visibility
        return self.command("create_room", **args)["room_id"]

    def join(self, room_id):
        """Joins room_id; returns once the client knows the room and its encryption."""
        self.command("join", room_id=room_id)

    def invite(self, room_id, user_id):
        """Invites user_id; returns once the client has seen the invite."""
        self.command("invite", room_id=room_id, user_id=user_id)

    def leave(self, room_id):
        """Leaves room_id."""
        self.command("leave", room_id=room_id)

    def wait_member(self, room_id, user_id, membership="join", timeout=30):
        """Waits until this client sees user_id with membership in room_id."""
        self.command("wait_member", room_id=room_id, user_id=user_id, membership=membership,
                     timeout_ms=int(timeout * 1000))

    def send(self, room_id, body):
        """Sends an m.text message, encrypted where the room is; its event id."""
        return self.command("send", room_id=room_id, body=body)["event_id"]

    def send_event(self, room_id, type, content):
        """Sends any event (a reaction, an edit) as Element would; its event id."""
        return self.command("send_event", room_id=room_id, type=type,
                            content=content)["event_id"]

    def wait_message(self, room_id, body_contains=None, event_id=None, sender=None, timeout=30):
        """The message as this client sees it: event_id, sender, body, encrypted,
        decrypted, and for a failure error_code and error. By event_id it
        answers with a decryption failure at the deadline; by body_contains
        only a readable body matches."""
        args = {"room_id": room_id, "timeout_ms": int(timeout * 1000)}
        for key, value in (("body_contains", body_contains), ("event_id", event_id), ("sender", sender)):
            if value is not None:
                args[key] = value
        answer = self.command("wait_message", **args)
        del answer["ok"]
        return answer

    def messages(self, room_id, limit=None):
        """The room's messages as this client sees them, oldest first."""
        args = {"room_id": room_id}
        if limit is not None:
            args["limit"] = limit
        return self.command("messages", **args)["messages"]

    def devices(self, user_id):
        """The devices this client knows for user_id, with keys and verification."""
        return self.command("devices", user_id=user_id)["devices"]

    def cross_sign(self):
        """Sets up cross-signing as Element does; returns the master key."""
        return self.command("cross_sign")["master"]

    def bootstrap_recovery(self, passphrase=None):
        """Element's "Set up recovery"; returns recovery_key, key_id, backup_version, master."""
        args = {} if passphrase is None else {"passphrase": passphrase}
        return self._result(self.command("bootstrap_recovery", **args))

    def backup_wait(self, timeout=60):
        """Waits until every room key held is in the server's backup; returns version, count, local."""
        return self._result(self.command("backup_wait", timeout_ms=int(timeout * 1000)))

    def recover(self, recovery_key=None, passphrase=None):
        """Recovers a new login from recovery_key or passphrase; returns imported, total, failures, ..."""
        return self._result(self.command("recover", **self._key_args(recovery_key, passphrase)))

    def backup_keys(self):
        """The server's backup as this client decrypts it: rooms {room: {session: {...}}}, undecryptable."""
        return self._result(self.command("backup_keys"))

    def secrets(self, recovery_key=None, passphrase=None, names=None):
        """The plaintext of the cross-signing and backup secrets in secret storage (None: not stored)."""
        args = self._key_args(recovery_key, passphrase, required=False)
        if names is not None:
            args["names"] = list(names)
        return self.command("secrets", **args)["secrets"]

    def own_device_status(self):
        """This device's trust: signed_by_owner, cross_signing_ready, secret_storage_ready, master, ..."""
        return self._result(self.command("own_device_status"))

    def user_status(self, user_id):
        """How this client trusts user_id: verified, cross_signing_verified, needs_user_approval, ..."""
        return self._result(self.command("user_status", user_id=user_id))

    def verify_request(self, user_id, device_id):
        """Requests verification of that device (m.key.verification.request); its transaction id."""
        return self.command("verify_request", user_id=user_id, device_id=device_id)["transaction_id"]

    def verify_request_dm(self, user_id, room_id):
        """Requests verification of user_id in the direct chat room_id (in-room); its transaction id."""
        return self.command("verify_request_dm", user_id=user_id, room_id=room_id)["transaction_id"]

    def verify_wait_request(self, user_id=None, timeout=30):
        """Waits for an incoming verification request and accepts it; transaction_id, from_user, ..."""
        args = {"timeout_ms": int(timeout * 1000)}
        if user_id is not None:
            args["user_id"] = user_id
        return self._result(self.command("verify_wait_request", **args))

    def verify_start_sas(self, transaction_id, timeout=30):
        """Once the request is ready, starts SAS as the starter (m.key.verification.start)."""
        return self._result(self.command("verify_start_sas", transaction_id=transaction_id,
                                         timeout_ms=int(timeout * 1000)))

    def verify_sas(self, transaction_id, timeout=30):
        """Waits until the strings can be shown: emoji [[char, name] x7], decimal [n, n, n]."""
        return self._result(self.command("verify_sas", transaction_id=transaction_id,
                                         timeout_ms=int(timeout * 1000)))

    def verify_confirm(self, transaction_id):
        """The user says the strings match: the MAC goes out (and done once both MACs check out)."""
        return self._result(self.command("verify_confirm", transaction_id=transaction_id))

    def verify_mismatch(self, transaction_id):
        """The user says the strings differ: cancels with m.mismatched_sas."""
        return self._result(self.command("verify_mismatch", transaction_id=transaction_id))

    def verify_cancel(self, transaction_id):
        """The user cancels the request (m.user)."""
        return self._result(self.command("verify_cancel", transaction_id=transaction_id))

    def verify_status(self, transaction_id):
        """The request now: phase, initiated_by_me, other_user, other_device, chosen_method, ..."""
        return self._result(self.command("verify_status", transaction_id=transaction_id))

    def verify_wait_done(self, transaction_id, timeout=30):
        """Waits until done or cancelled: phase, and cancel_code, cancel_reason, cancelled_by, ..."""
        return self._result(self.command("verify_wait_done", transaction_id=transaction_id,
                                         timeout_ms=int(timeout * 1000)))

    def wire(self, since=0, path=None):
        """The SDK's traffic about keys, secrets, backups and verification after seq since (peer.mjs)."""
        args = {"since": since}
        if path is not None:
            args["path"] = path
        return self.command("wire", **args)["entries"]

    @staticmethod
    def _result(answer):
        del answer["ok"]
        return answer

    @staticmethod
    def _key_args(recovery_key, passphrase, required=True):
        if recovery_key is not None and passphrase is not None:
            raise ValueError("give recovery_key or passphrase, not both")
        if recovery_key is not None:
            return {"recovery_key": recovery_key}
        if passphrase is not None:
            return {"passphrase": passphrase}
        if required:
            raise ValueError("give recovery_key or passphrase")
        return {}

    def isolation(self, signed):
        """signed: room keys only to devices their owner cross-signed."""
        self.command("isolation", signed=signed)

    def export_keys(self, passphrase, rounds=None):
        """Every room key this device holds, as the text of Element's key file."""
        args = {"passphrase": passphrase}
        if rounds is not None:
            args["rounds"] = rounds
        return self.command("export_keys", **args)["file"]

    def import_keys(self, file, passphrase):
        """The keys of such a file, read by the Rust crypto: (imported, total)."""
        r = self.command("import_keys", file=file, passphrase=passphrase)
        return r["imported"], r["total"]

    def raw_event(self, room_id, event_id):
        """The event as the server serves it to this user."""
        return self.command("raw_event", room_id=room_id, event_id=event_id)["event"]

    def decrypt(self, event):
        """What this device makes of an m.room.encrypted event as the server serves it."""
        answer = self.command("decrypt", event=event)
        del answer["ok"]
        return answer

    def close(self):
        """Stops the peer and checks that it ended well: status 0, no
        unhandled rejection, no fatal error."""
        if self._closed:
            return
        self._closed = True
        if self._proc is None:
            return
        proc = self._proc
        try:
            if proc.poll() is None:
                try:
                    self.command("stop", timeout_ms=10_000)
                except (PeerError, AssertionError, OSError):
                    pass
                proc.stdin.close()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stderr = self.stderr()
        finally:
            _running.discard(proc)
            try:
                proc.stdin.close()
            except OSError:
                pass
            if self._stderr is not None:
                self._stderr.close()
        what = f"the Element peer for {self.user_id}"
        check_exit(what, proc.returncode, stderr)
        for marker in ("peer: unhandled rejection", "peer: fatal"):
            if marker in stderr:
                raise AssertionError(f"{what}: its stderr reports {marker[6:]}\n--- stderr ---\n{stderr}")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv):
    if argv[1:] != ["install"]:
        print("usage: element_peer.py install", file=sys.stderr)
        return 2
    ok, why = install()
    print(f"element peer: {why}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
