#!/usr/bin/env python3
"""Benchmark of `natter recover`: the room keys of an account's key
backup restored, and the messages the cache held waiting for them
decrypted, by the real natter against a homeserver on 127.0.0.1 that
this script runs.

usage: bench_backup.py NATTER GEN WORKDIR [RUNS [ROOMS [SESSIONS [MESSAGES]]]]
(defaults: 3 runs; 100 rooms, 100 Megolm sessions a room, 10 messages a
session: 10,000 room keys and 100,000 messages)

GEN is bench_backup_gen, which makes with natter's own crypto module
what the account holds: every message an m.room.encrypted event of one
device of @dana:bench, a new Megolm session every MESSAGES messages of a
room; each session's key, at its first index, in the server-side key
backup (m.megolm_backup.v1.curve25519-aes-sha2); the backup's private key
in secret storage, under a key whose recovery key natter is given. The
account has no cross-signing keys, so natter signs nothing.

Each run logs a fresh profile in (`natter login`) and brings the whole
history into its cache with `natter sync --once`, a round for each part
of it (the server answers at most 64 MB a response): every room with its
m.room.encryption state and its full timeline (not limited), without a
room key, so that every message waits for its key. Then the clock starts:

  backup-restore-10k-keys-100k-msgs
        `natter recover --key-stdin --no-backfill`, from its start to
        its exit, ms: secret storage opened, the backup's keys asked for,
        decrypted and kept, and every message that waited decrypted and
        stored. CPU is natter's (user + system, from wait4).
  backup-restore-10k-keys-100k-msgs-rss
        that natter's peak RSS (ru_maxrss), MB. It counts the pages of the
        cache file natter maps (SQLite's mmap); the note on stderr gives
        the peak of its anonymous memory too (RssAnon, polled).
  backup-restore-10k-keys-only
        the same on a profile whose cache has the rooms but no message:
        the restore alone, ms.
  backup-restore-10k-keys-only-rss
        its peak RSS, MB.

After each timed run the result is checked: natter's summary must say
every key was restored, and every message of a sample of rooms must read
back (`natter history ROOM --json`) decrypted, with the text it was sent
with. A run that fails says so on stderr and the script exits 1, with
no figure for it. natter is started (and waited for) by a small process
of this script's, started before the data is made: see spawn_loop().

Prints one "run\tFIGURE\tVALUE\tWALL_MS\tCPU_MS" line a figure a run;
notes go to stderr. Asserts nothing about time.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit

from bench_tty import SELF, WORDS, BenchServer, JsonHandler, emit, state

SENDER = "@dana:bench"
PART_BYTES = 24 << 20       # a sync's answer at most, well below natter's 64 MB
SAMPLE = 5                  # rooms whose every message is read back after a run
TEXT = 200                  # characters of a message's text


def room_id(r):
    return "!room%02d:bench" % r


def text(rnd):
    """About TEXT characters of words."""
    words = []
    while sum(len(w) + 1 for w in words) < TEXT:
        words.append(rnd.choice(WORDS))
    return " ".join(words)[:TEXT]


def plain_rooms(path, rooms, count):
    """The rooms' messages in clear, one room a line, for GEN; the texts
    of the rooms read back after a run."""
    rnd = random.Random(1)
    sample = {room_id(r) for r in range(0, rooms, max(rooms // SAMPLE, 1))}
    sample.add(room_id(rooms - 1))
    bodies = {}
    with open(path, "w") as f:
        for r in range(rooms):
            ts = 1700000000000 + r * 1000
            events = [{"type": "m.room.message", "sender": SENDER,
                       "event_id": "$e%d_%d" % (r, e), "origin_server_ts": ts + e * 1000,
                       "content": {"msgtype": "m.text", "body": text(rnd)}}
                      for e in range(count)]
            if room_id(r) in sample:
                bodies[room_id(r)] = [ev["content"]["body"] for ev in events]
            json.dump({"room_id": room_id(r), "events": events}, f)
            f.write("\n")
    return bodies


def room_state(r):
    """The room's state, with m.room.encryption; GEN adds none."""
    events = state(r, 1700000000000 + r * 1000)
    events.append({"type": "m.room.encryption", "state_key": "", "sender": SENDER,
                   "event_id": "$enc%d" % r, "origin_server_ts": 1700000000000,
                   "content": {"algorithm": "m.megolm.v1.aes-sha2"}})
    return events


def sync_parts(enc_path):
    """The encrypted history as the answers of successive syncs, each
    under PART_BYTES: every room in each, a slice of its timeline, the
    first with the rooms' state. Also the answer of a sync that brings the
    rooms alone, for the restore-only runs."""
    per_room = []                   # each room's events, as JSON texts
    with open(enc_path) as f:
        for line in f:
            room = json.loads(line)
            per_room.append((room["room_id"], [json.dumps(ev) for ev in room["events"]]))
    total = sum(len(e) + 1 for _, evs in per_room for e in evs)
    n = max(-(-total // PART_BYTES), 1)
    parts = []
    for k in range(n):
        join = []
        for r, (rid, evs) in enumerate(per_room):
            size = -(-len(evs) // n)
            first = (', "state": {"events": %s}' % json.dumps(room_state(r))
                     if k == 0 else "")
            body = '{"timeline": {"events": [%s], "limited": false}%s}' % (
                ",".join(evs[k * size:(k + 1) * size]), first)
            join.append("%s: %s" % (json.dumps(rid), body))
        parts.append(('{"next_batch": "p%d", "rooms": {"join": {%s}}}'
                      % (k + 1, ",".join(join))).encode())
    bare = {"next_batch": "p1", "rooms": {"join": {
        rid: {"state": {"events": room_state(r)}, "timeline": {"events": [], "limited": False}}
        for r, (rid, _) in enumerate(per_room)}}}
    return parts, json.dumps(bare).encode()


class Homeserver(BenchServer):
    """Answers the syncs with parts, in turn; the account data, key
    backup and devices with what GEN made."""

    def __init__(self, account, backup, parts):
        super().__init__(("127.0.0.1", 0), Handler)
        self.account = account
        self.backup = backup
        self.parts = parts
        self.otks = 0


class Handler(JsonHandler):
    def missing(self):
        return self.reply({"errcode": "M_NOT_FOUND", "error": "not found"}, 404)

    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urlsplit(self.path)
        hs = self.server
        path = url.path
        if path == "/_matrix/client/versions":
            return self.reply({"versions": ["v1.11", "v1.12"]})
        if path == "/_matrix/client/v3/login":
            return self.reply({"user_id": SELF, "access_token": "bench", "device_id": "BENCH"})
        if path.endswith("/filter"):
            return self.reply({"filter_id": "1"})
        if path == "/_matrix/client/v3/keys/upload":
            hs.otks += len(json.loads(body).get("one_time_keys", {}))
            return self.reply({"one_time_key_counts": {"signed_curve25519": hs.otks}})
        if path == "/_matrix/client/v3/keys/query":
            return self.reply(hs.account["device"])
        if path == "/_matrix/client/v3/keys/claim":
            return self.reply({"one_time_keys": {}})
        if path.endswith("/messages"):
            return self.reply({"chunk": [], "start": "t0"})
        if path == "/_matrix/client/v3/sync":
            return self.sync(url.query)
        if "/account_data/" in path and self.command == "GET":
            data = hs.account["account_data"].get(unquote(path.rsplit("/", 1)[1]))
            return self.reply(data) if data is not None else self.missing()
        if path == "/_matrix/client/v3/room_keys/version" and self.command == "GET":
            return self.reply(hs.account["version"])
        if path == "/_matrix/client/v3/room_keys/keys" and self.command == "GET":
            return self.reply(hs.backup)
        if path == "/_matrix/client/v3/room_keys/keys":
            return self.reply({"etag": "1", "count": hs.account["version"]["count"]})
        return self.reply({})

    do_POST = do_PUT = do_GET

    def sync(self, query):
        """The part after the one since names (p1 is the second)."""
        since = parse_qs(query).get("since", [None])[0]
        k = int(since[1:]) if since is not None else 0
        parts = self.server.parts
        if k < len(parts):
            return self.reply(parts[k])
        return self.reply({"next_batch": since})


def poll_anon(pid, peak):
    """The highest RssAnon of pid, in MB, into peak[0], until it exits."""
    while True:
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
        except OSError:
            return
        if "\nState:\tZ" in status:
            return
        for line in status.splitlines():
            if line.startswith("RssAnon:"):
                peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        time.sleep(0.02)


def timed(argv, env, stdin, out_path, err_path):
    """Runs argv with stdin written to it, stdout and stderr to files;
    its wall and CPU time (ms), peak RSS and peak anonymous memory (MB)."""
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        r, w = os.pipe()
        t = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(r, 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.execve(argv[0], argv, env)
        os.close(r)
        anon = [0.0]
        poll = threading.Thread(target=poll_anon, args=(pid, anon))
        poll.start()
        os.write(w, stdin.encode())
        os.close(w)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter() - t) * 1000
        poll.join()
    return {"status": os.waitstatus_to_exitcode(status), "wall": wall,
            "cpu": (ru.ru_utime + ru.ru_stime) * 1000, "rss": ru.ru_maxrss / 1024,
            "anon": anon[0]}


def spawn_loop():
    """The spawner: a process of its own, started before this script holds
    the account's data, that runs what it is sent, a JSON line each, and
    answers with timed()'s figures. Linux's ru_maxrss of a process keeps
    the peak of what it was before exec: a fork of this script, which then
    holds hundreds of MB, would pass its size on as natter's peak."""
    for line in sys.stdin:
        req = json.loads(line)
        got = timed(req["argv"], req["env"], req["stdin"], req["out"], req["err"])
        print(json.dumps(got), flush=True)


class Run:
    """A profile of its own, logged in to its own homeserver."""

    def __init__(self, natter, workdir, name, account, backup, parts):
        self.natter = natter
        self.hs = Homeserver(account, backup, parts)
        threading.Thread(target=self.hs.serve_forever, daemon=True).start()
        self.home = os.path.join(workdir, name)
        subprocess.run(["rm", "-rf", self.home], check=True)
        self.env = dict(os.environ, XDG_DATA_HOME=self.home + "/data",
                        XDG_CONFIG_HOME=self.home + "/config",
                        XDG_STATE_HOME=self.home + "/state", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        url = "http://127.0.0.1:%d" % self.hs.server_address[1]
        self.natter_run(["login", "--homeserver", url, "--user", SELF, "--password-stdin"],
                        b"secret\n")
        for _ in parts:
            self.natter_run(["sync", "--once"])

    def natter_run(self, args, stdin=b""):
        p = subprocess.run([self.natter, "-p", "backup"] + args, input=stdin, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError("natter %s failed: %s" % (args[0], p.stderr.decode().strip()))
        return p.stdout.decode()

    def history(self, room, limit):
        out = self.natter_run(["history", room, "--json", "--limit", str(limit)])
        msgs = [json.loads(line) for line in out.splitlines()]
        return [m for m in msgs if m.get("type") in ("m.room.message", "m.room.encrypted")]

    def recover(self, spawner, key):
        """`natter recover`, timed by spawner: wall ms, CPU ms, peak RSS
        MB, peak anonymous MB, stdout."""
        out_path = os.path.join(self.home, "recover.out")
        err_path = os.path.join(self.home, "recover.err")
        argv = [self.natter, "-p", "backup", "recover", "--key-stdin", "--no-backfill"]
        spawner.stdin.write(json.dumps({"argv": argv, "env": self.env, "stdin": key + "\n",
                                        "out": out_path, "err": err_path}).encode() + b"\n")
        spawner.stdin.flush()
        got = json.loads(spawner.stdout.readline())
        with open(out_path) as f:
            stdout = f.read()
        if got["status"] != 0:
            with open(err_path) as f:
                raise RuntimeError("natter recover failed: %s" % f.read().strip())
        return got["wall"], got["cpu"], got["rss"], got["anon"], stdout

    def close(self):
        self.hs.shutdown()
        self.hs.server_close()
        subprocess.run(["rm", "-rf", self.home], check=True)


def check_restored(stdout, keys):
    want = "{:,} of {:,} room keys restored".format(keys, keys)
    if want not in stdout:
        raise RuntimeError("natter recover did not restore every key: %r" % stdout.strip())


def check_waiting(run, bodies):
    """Before the clock: every message of a sample room waits for its key."""
    room = next(iter(bodies))
    msgs = run.history(room, len(bodies[room]))
    waiting = sum(1 for m in msgs if m.get("encryption", "").startswith("waiting for the key"))
    if len(msgs) != len(bodies[room]) or waiting != len(msgs):
        raise RuntimeError("%s holds %d messages, %d waiting for their key, not %d"
                           % (room, len(msgs), waiting, len(bodies[room])))


def check_read(run, bodies):
    """After: every message of the sample rooms decrypted, as it was sent."""
    read = 0
    for room, want in bodies.items():
        msgs = run.history(room, len(want))
        got = [m.get("body") for m in msgs if m.get("encryption") == "ok"]
        if got != want:
            bad = sum(1 for m in msgs if m.get("encryption") != "ok")
            raise RuntimeError("%s: %d of %d messages read back decrypted (%d not: %r)"
                               % (room, len(got), len(want), bad,
                                  next((m.get("encryption") for m in msgs
                                        if m.get("encryption") != "ok"), None)))
        read += len(got)
    return read


def prepare(gen_path, workdir, rooms, sessions, messages):
    plain = os.path.join(workdir, "backup-plain.jsonl")
    enc = os.path.join(workdir, "backup-encrypted.jsonl")
    backup_path = os.path.join(workdir, "backup-keys.json")
    bodies = plain_rooms(plain, rooms, sessions * messages)
    p = subprocess.run([gen_path, SENDER, str(messages), plain, enc, backup_path],
                       stdout=subprocess.PIPE)
    if p.returncode != 0 or not p.stdout:
        sys.exit("bench_backup: %s made no account" % gen_path)
    account = json.loads(p.stdout)
    with open(backup_path, "rb") as f:
        backup = f.read()
    parts, bare = sync_parts(enc)
    print("  backup: %d rooms x %d sessions x %d messages: %.1f MB of sync in %d parts, "
          "a backup of %.1f MB" % (rooms, sessions, messages, sum(map(len, parts)) / 1e6,
                                   len(parts), len(backup) / 1e6), file=sys.stderr)
    for path in (plain, enc, backup_path):
        os.unlink(path)
    return account, backup, parts, bare, bodies


def one_run(natter, workdir, n, data, keys, spawner):
    account, backup, parts, bare, bodies = data
    full = Run(natter, workdir, "backup-%d" % n, account, backup, parts)
    try:
        check_waiting(full, bodies)
        wall, cpu, rss, anon, out = full.recover(spawner, account["recovery_key"])
        check_restored(out, keys)
        read = check_read(full, bodies)
    finally:
        full.close()
    only = Run(natter, workdir, "backup-only-%d" % n, account, backup, [bare])
    try:
        owall, ocpu, orss, oanon, out = only.recover(spawner, account["recovery_key"])
        check_restored(out, keys)
    finally:
        only.close()
    emit("backup-restore-10k-keys-100k-msgs", wall, wall, cpu)
    emit("backup-restore-10k-keys-100k-msgs-rss", rss, wall, cpu)
    emit("backup-restore-10k-keys-only", owall, owall, ocpu)
    emit("backup-restore-10k-keys-only-rss", orss, owall, ocpu)
    print("  backup: run %d: %.0f ms (CPU %.0f ms, peak RSS %.1f MB, of it anonymous %.1f "
          "MB) with the messages, %.0f ms (CPU %.0f ms, %.1f MB, %.1f MB) keys alone; %d "
          "messages of %d rooms read back" % (n + 1, wall, cpu, rss, anon, owall, ocpu, orss,
                                               oanon, read, len(bodies)), file=sys.stderr)


def main():
    if sys.argv[1:] == ["--spawn"]:
        return spawn_loop()
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    spawner = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--spawn"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    natter, gen_path, workdir = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    rooms = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    sessions = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    messages = int(sys.argv[7]) if len(sys.argv) > 7 else 10
    data = prepare(gen_path, workdir, rooms, sessions, messages)
    try:
        for n in range(runs):
            one_run(natter, workdir, n, data, rooms * sessions, spawner)
    except RuntimeError as e:
        sys.exit("bench_backup: %s" % e)
    finally:
        spawner.stdin.close()
        spawner.wait()


if __name__ == "__main__":
    main()
