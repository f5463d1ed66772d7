"""natter integration-test harness: a real Synapse homeserver, thin Matrix client helpers, a natter runner.

Standard library only.  Typical use:

    hs = Homeserver.get()                 # env-provided server, or one started via scripts/testbed
    alice, bob = hs.register(), hs.register()
    room = alice.create_room(invite=[bob.user_id])
    bob.join(room)
    alice.send_text(room, "hi")
    ev = bob.wait_for_event(room, lambda e: e["content"].get("body") == "hi")

Server selection (Homeserver.get):
  1. NATTER_TEST_HOMESERVER + NATTER_TEST_REGISTRATION_SECRET in the environment;
  2. NATTER_TESTBED_ENV naming an env file written by `scripts/testbed start`;
  3. otherwise `scripts/testbed setup` + `start` on a free port in a temp dir, stopped at exit.
"""

import atexit
import hashlib
import hmac
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTBED = REPO_ROOT / "scripts" / "testbed"

_txn_counter = itertools.count()


class MatrixError(Exception):
    """An HTTP error answer from the homeserver (status, parsed JSON body or raw text)."""

    def __init__(self, method, url, status, body):
        self.method, self.url, self.status, self.body = method, url, status, body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        super().__init__(f"{method} {url} -> HTTP {status}: {body}")


def _q(part):
    """Percent-encode one path segment."""
    return urllib.parse.quote(str(part), safe="")


def _txn():
    """A transaction id unique within this process run."""
    return f"natter-{os.getpid()}-{time.monotonic_ns()}-{next(_txn_counter)}"


def request(base_url, method, path, *, token=None, json_body=None, data=None,
            content_type=None, query=None, timeout=60, raw=False, retries=20):
    """Do one Matrix HTTP call; return parsed JSON (or bytes if raw), retrying on 429."""
    url = base_url.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        content_type = "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    for attempt in itertools.count():
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
            return payload if raw else (json.loads(payload) if payload else {})
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
            if e.code == 429 and attempt < retries:
                delay_ms = body.get("retry_after_ms") if isinstance(body, dict) else None
                if delay_ms is None:
                    delay_ms = float(e.headers.get("Retry-After") or 1) * 1000
                time.sleep(min(delay_ms / 1000.0, 10.0))
                continue
            raise MatrixError(method, url, e.code, body) from None


def declared_skips():
    """The areas NATTER_SKIP (comma-separated) allows to be skipped."""
    return {a.strip() for a in os.environ.get("NATTER_SKIP", "").split(",") if a.strip()}


def require(area, available, why):
    """Goes on only where available is true. Elsewhere the test fails,
    saying what is missing, unless NATTER_SKIP names area: then it is
    skipped as "AREA: why", and scripts/check counts and prints the skip.
    Nothing is skipped in silence."""
    if available:
        return
    if area in declared_skips():
        raise unittest.SkipTest(f"{area}: {why}")
    raise AssertionError(f"{why}: install it (scripts/deps), or declare the skip "
                         f"with NATTER_SKIP={area}")


_hang_hooks = []


def at_hang(fn):
    """Registers fn to end something the tests started (a tmux server) when
    the runner gives up on a hung test and exits without cleanups."""
    _hang_hooks.append(fn)


def on_hang():
    """Called by tests/runner/pyunit.py on a hang."""
    for fn in _hang_hooks:
        try:
            fn()
        except Exception:  # the run is ending anyway; end the rest
            pass


def wait_until(predicate, timeout=20, what="the screen"):
    """Polls predicate until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not show up within {timeout}s")


def read_env_file(path):
    """Parse KEY=VALUE lines (optionally quoted) from a shell-sourceable env file."""
    env = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key] = value
    return env


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Homeserver:
    """A Synapse homeserver reachable at url, with its registration shared secret."""

    _shared = None

    def __init__(self, url, secret, testbed_dir=None):
        self.url = url.rstrip("/")
        self.secret = secret
        self.testbed_dir = testbed_dir

    @classmethod
    def get(cls):
        """The process-wide homeserver: from the environment, an env file, or started here."""
        if cls._shared is None:
            url = os.environ.get("NATTER_TEST_HOMESERVER")
            secret = os.environ.get("NATTER_TEST_REGISTRATION_SECRET")
            if url:
                if not secret:
                    raise RuntimeError("NATTER_TEST_HOMESERVER is set but NATTER_TEST_REGISTRATION_SECRET is not")
                cls._shared = cls(url, secret)
            elif os.environ.get("NATTER_TESTBED_ENV"):
                env = read_env_file(os.environ["NATTER_TESTBED_ENV"])
                cls._shared = cls(env["NATTER_TEST_HOMESERVER"], env["NATTER_TEST_REGISTRATION_SECRET"])
            else:
                cls._shared = cls.start_testbed()
        return cls._shared

    @classmethod
    def start_testbed(cls, port=None):
        """Start a private Synapse via scripts/testbed; it is stopped at interpreter exit."""
        if os.geteuid() != 0:
            raise RuntimeError("scripts/testbed needs root; or set NATTER_TEST_HOMESERVER / NATTER_TESTBED_ENV")
        run = dict(stdin=subprocess.DEVNULL, check=True)
        subprocess.run([str(TESTBED), "setup"], **run)
        tmp = tempfile.mkdtemp(prefix="natter-testbed-")
        for attempt in range(3):
            p = port or free_port()
            proc = subprocess.run([str(TESTBED), "start", tmp, str(p)], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if proc.returncode == 0:
                break
            if "already in use" not in proc.stderr or port or attempt == 2:
                shutil.rmtree(tmp, ignore_errors=True)
                raise RuntimeError(f"scripts/testbed start failed:\n{proc.stderr}")

        env = read_env_file(Path(tmp) / "env")
        hs = cls(env["NATTER_TEST_HOMESERVER"], env["NATTER_TEST_REGISTRATION_SECRET"], testbed_dir=tmp)
        atexit.register(hs.stop)
        return hs

    def _testbed(self, command):
        if not self.testbed_dir:
            raise RuntimeError("only a homeserver started here (start_testbed) can be stopped")
        proc = subprocess.run([str(TESTBED), command, self.testbed_dir], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/testbed {command} failed:\n{proc.stderr}")

    def down(self):
        """Stops the homeserver (start_testbed's own), keeping its database."""
        self._testbed("down")

    def up(self):
        """Starts it again from the same database, on the same port; returns when it answers."""
        self._testbed("up")

    def stop(self):
        """Ends a homeserver start_testbed started and removes its data (again: nothing)."""
        if self.testbed_dir and Path(self.testbed_dir).exists():
            subprocess.run([str(TESTBED), "stop", self.testbed_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.testbed_dir, ignore_errors=True)

    def register(self, localpart=None, password=None, admin=False, displayname=None):
        """Register a fresh user via the shared-secret admin API; return it logged in."""
        localpart = localpart or "user"
        localpart = f"{localpart}-{uuid.uuid4().hex[:10]}"
        password = password or f"pw-{uuid.uuid4().hex}"
        path = "/_synapse/admin/v1/register"
        nonce = request(self.url, "GET", path)["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join(
            [nonce.encode(), localpart.encode(), password.encode(), b"admin" if admin else b"notadmin"]))
        body = {"nonce": nonce, "username": localpart, "password": password,
                "admin": admin, "mac": mac.hexdigest()}
        if displayname:
            body["displayname"] = displayname
        resp = request(self.url, "POST", path, json_body=body)
        return MatrixUser(self, resp["user_id"], resp["access_token"], password, resp.get("device_id"))

    def login(self, user, password, device_id=None):
        """Log in an existing user (localpart or full id) with a password; return a new session."""
        body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
                "password": password}
        if device_id:
            body["device_id"] = device_id
        resp = request(self.url, "POST", "/_matrix/client/v3/login", json_body=body)
        return MatrixUser(self, resp["user_id"], resp["access_token"], password, resp.get("device_id"))


class MatrixUser:
    """A logged-in Matrix session with thin helpers over the client-server API."""

    def __init__(self, hs, user_id, access_token, password, device_id):
        self.hs = hs
        self.user_id = user_id
        self.access_token = access_token
        self.password = password
        self.device_id = device_id
        self.since = None  # sync token kept by wait_for_event

    def __repr__(self):
        return f"MatrixUser({self.user_id!r}, device={self.device_id!r})"

    def api(self, method, path, body=None, **kwargs):
        """Authenticated call; path is relative to the server root (e.g. /_matrix/client/v3/...)."""
        return request(self.hs.url, method, path, token=self.access_token, json_body=body, **kwargs)

    def _c(self, method, path, body=None, **kwargs):
        """Authenticated call under /_matrix/client/v3."""
        return self.api(method, "/_matrix/client/v3" + path, body, **kwargs)

    def create_room(self, name=None, invite=(), is_direct=False, preset="private_chat", alias=None, **extra):
        """Create a room; return its room id."""
        body = {"preset": preset, "invite": list(invite), "is_direct": is_direct, **extra}
        if name is not None:
            body["name"] = name
        if alias is not None:
            body["room_alias_name"] = alias
        return self._c("POST", "/createRoom", body)["room_id"]

    def join(self, room_id_or_alias):
        """Join a room by id or alias; return the room id."""
        return self._c("POST", f"/join/{_q(room_id_or_alias)}", {})["room_id"]

    def leave(self, room_id):
        """Leave a room."""
        self._c("POST", f"/rooms/{_q(room_id)}/leave", {})

    def invite(self, room_id, user_id):
        """Invite user_id to a room."""
        self._c("POST", f"/rooms/{_q(room_id)}/invite", {"user_id": user_id})

    def send_event(self, room_id, type, content, txn=None):
        """Send a message-like event; return its event id."""
        path = f"/rooms/{_q(room_id)}/send/{_q(type)}/{_q(txn or _txn())}"
        return self._c("PUT", path, content)["event_id"]

    def send_text(self, room_id, body, txn=None):
        """Send an m.text message; return its event id."""
        return self.send_event(room_id, "m.room.message", {"msgtype": "m.text", "body": body}, txn)

    def send_state(self, room_id, type, state_key, content):
        """Set a state event; return its event id."""
        path = f"/rooms/{_q(room_id)}/state/{_q(type)}/{_q(state_key)}"
        return self._c("PUT", path, content)["event_id"]

    def get_state(self, room_id, type, state_key=""):
        """Return the content of one state event."""
        return self._c("GET", f"/rooms/{_q(room_id)}/state/{_q(type)}/{_q(state_key)}")

    def redact(self, room_id, event_id, reason=None):
        """Redact an event; return the redaction's event id."""
        path = f"/rooms/{_q(room_id)}/redact/{_q(event_id)}/{_q(_txn())}"
        return self._c("PUT", path, {"reason": reason} if reason else {})["event_id"]

    def react(self, room_id, event_id, key):
        """Annotate event_id with a reaction key; return the reaction's event id."""
        rel = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return self.send_event(room_id, "m.reaction", {"m.relates_to": rel})

    def sync(self, since=None, timeout=0, filter=None):
        """One /sync call (timeout in ms); filter may be a dict or a filter id. Returns the response."""
        if isinstance(filter, dict):
            filter = json.dumps(filter)
        query = {"since": since, "timeout": int(timeout), "filter": filter}
        return self._c("GET", "/sync", query=query, timeout=timeout / 1000 + 60)

    def wait_for_event(self, room_id, predicate, timeout=30):
        """Sync (from the kept token) until an event in room_id's timeline matches predicate; return it.

        Events seen while waiting are kept per room, so a later wait on another room (or
        for a later event of the same room) still finds what an earlier sync delivered."""
        deadline = time.monotonic() + timeout
        seen = self.__dict__.setdefault("_seen", {})
        while True:
            pending = seen.get(room_id, [])
            for i, event in enumerate(pending):
                if predicate(event):
                    del pending[: i + 1]
                    return event
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.user_id}: no matching event in {room_id} within {timeout}s")
            remaining = deadline - time.monotonic()
            resp = self.sync(since=self.since, timeout=max(0, min(remaining, 5)) * 1000)
            self.since = resp["next_batch"]
            for section in ("join", "leave"):
                for rid, room in resp.get("rooms", {}).get(section, {}).items():
                    seen.setdefault(rid, []).extend(room.get("timeline", {}).get("events", []))

    def messages(self, room_id, dir="b", limit=100, from_=None):
        """One page of /messages; returns the response (chunk, start, end)."""
        query = {"dir": dir, "limit": limit, "from": from_}
        return self._c("GET", f"/rooms/{_q(room_id)}/messages", query=query)

    def mark_read(self, room_id):
        """Send a read receipt for the room's newest event.

        Until a user has a receipt in a room, Synapse counts unread from their
        join, but a push summary rotated between invite and join still counts
        the invite: a receipt makes later unread counts exact."""
        newest = self.messages(room_id, limit=1)["chunk"][0]["event_id"]
        self._c("POST", f"/rooms/{_q(room_id)}/read_markers",
                {"m.fully_read": newest, "m.read": newest})

    def unread(self, room_id):
        """The server's count of notifying events unread in a joined room, from a
        fresh sync (what natter shows as unread)."""
        nothing = {"types": []}
        only = {"room": {"rooms": [room_id], "timeline": {"limit": 1}, "state": nothing,
                         "ephemeral": nothing, "account_data": nothing},
                "presence": nothing, "account_data": nothing}
        room = self.sync(filter=only)["rooms"]["join"][room_id]
        return room.get("unread_notifications", {}).get("notification_count", 0)

    def wait_unread(self, room_id, count, timeout=30):
        """Waits until the server counts count unread in room_id.

        Synapse counts from the newest receipt and rotates counts into
        summaries in the background: an exact count in a test is only
        natter's to get right once the server's has settled."""
        last = None

        def settled():
            nonlocal last
            last = self.unread(room_id)
            return last == count
        try:
            wait_until(settled, timeout, f"{count} unread in {room_id}")
        except AssertionError as e:
            raise AssertionError(f"{e}: the server counts {last}") from None

    def upload(self, data, content_type="application/octet-stream", filename=None):
        """Upload bytes to the media repository; return the mxc:// URI."""
        resp = self.api("POST", "/_matrix/media/v3/upload", data=data, content_type=content_type,
                        query={"filename": filename})
        return resp["content_uri"]

    def download(self, mxc):
        """Download an mxc:// URI via the authenticated media API; return the bytes."""
        if not mxc.startswith("mxc://"):
            raise ValueError(f"not an mxc URI: {mxc}")
        server, media_id = mxc[len("mxc://"):].split("/", 1)
        path = f"/_matrix/client/v1/media/download/{_q(server)}/{_q(media_id)}"
        return self.api("GET", path, raw=True)

    def set_account_data(self, type, content):
        """Set global account data of the given type."""
        self._c("PUT", f"/user/{_q(self.user_id)}/account_data/{_q(type)}", content)

    def get_account_data(self, type):
        """Return global account data of the given type (MatrixError 404 if unset)."""
        return self._c("GET", f"/user/{_q(self.user_id)}/account_data/{_q(type)}")

    def joined_rooms(self):
        """Return the list of joined room ids."""
        return self._c("GET", "/joined_rooms")["joined_rooms"]

    def set_displayname(self, name):
        """Set this user's display name."""
        self._c("PUT", f"/profile/{_q(self.user_id)}/displayname", {"displayname": name})


# The first line of each kind of report AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer write; natter itself never writes these words.
SANITIZER_REPORT = re.compile(
    r"^.*(?:(?:ERROR|WARNING): \w*Sanitizer|SUMMARY: \w*Sanitizer|runtime error: ).*$", re.M)


def sanitizer_report(stderr):
    """The first line of a sanitizer report in stderr, or None."""
    m = SANITIZER_REPORT.search(stderr or "")
    return m.group(0) if m else None


def check_exit(what, status, stderr, expected=0, stdout=None):
    """Raises AssertionError naming what when natter's stderr holds a sanitizer
    report, or when its exit status is not expected (None: any status)."""
    problems = []
    report = sanitizer_report(stderr)
    if report:
        problems.append(f"a sanitizer report ({report.strip()})")
    if expected is not None and status != expected:
        problems.append(f"exit status {status}, expected {expected}")
    if problems:
        out = f"\n--- stdout ---\n{stdout}" if stdout else ""
        raise AssertionError(f"{what}: {' and '.join(problems)}{out}\n--- stderr ---\n{stderr}")


class NatterRun:
    """Runs the natter binary ($NATTER_BIN) with a private HOME and XDG directories."""

    def __init__(self, binary=None, env=None):
        binary = binary or os.environ.get("NATTER_BIN")
        if not binary:
            raise RuntimeError("NATTER_BIN must name the natter binary to test")
        self.binary = str(Path(binary).resolve())
        self._tmp = tempfile.TemporaryDirectory(prefix="natter-home-")
        self.home = Path(self._tmp.name)
        self.config_home = self.home / ".config"
        self.data_home = self.home / ".local" / "share"
        self.state_home = self.home / ".local" / "state"
        self.cache_home = self.home / ".cache"
        for d in (self.config_home, self.data_home, self.state_home, self.cache_home):
            d.mkdir(parents=True, mode=0o700)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
        self.env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.config_home),
                        XDG_DATA_HOME=str(self.data_home), XDG_STATE_HOME=str(self.state_home),
                        XDG_CACHE_HOME=str(self.cache_home), LC_ALL="C.UTF-8", TERM="dumb")
        self.env.update(env or {})

    def add_host(self, name, address="127.0.0.1"):
        """From now on natter runs where name leads to address: /etc/hosts
        with that line is bind-mounted in a mount namespace of natter's own,
        so nothing outside the test sees it (needs root and unshare(1))."""
        require("root", os.geteuid() == 0 and shutil.which("unshare"),
                "a host name of the test's own needs root and unshare(1)")
        hosts = self.home / "hosts"
        if not hosts.exists():
            hosts.write_text(Path("/etc/hosts").read_text())
        with hosts.open("a") as f:
            f.write(f"\n{address} {name}\n")

    def argv(self, args):
        """The command line for natter with args, in its namespace when it has one."""
        argv = [self.binary, *map(str, args)]
        hosts = self.home / "hosts"
        if hosts.exists():
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts), *argv]
        return argv

    def run(self, *args, input=None, timeout=60, env=None):
        """Run natter to completion; return a CompletedProcess with text stdout/stderr.

        Whatever the status, a sanitizer report on stderr fails the caller."""
        r = subprocess.run(self.argv(args), input=input, timeout=timeout,
                           capture_output=True, text=True, env={**self.env, **(env or {})},
                           cwd=self.home, stdin=None if input is not None else subprocess.DEVNULL)
        check_exit(self.describe(args), r.returncode, r.stderr, expected=None, stdout=r.stdout)
        return r

    @staticmethod
    def describe(args):
        """The command line of a run, for messages."""
        return " ".join(["natter", *map(str, args)])

    def popen(self, *args, env=None, **kwargs):
        """Start natter in the background (pipes for stdin/stdout/stderr, text); caller
        ends it and hands its status and stderr to check_exit."""
        opts = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True, cwd=self.home, env={**self.env, **(env or {})})
        opts.update(kwargs)
        return subprocess.Popen(self.argv(args), **opts)

    def cleanup(self):
        """Remove the private HOME."""
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
